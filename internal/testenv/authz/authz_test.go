package authz

import (
	"testing"

	"github.com/rciam/rciam/internal/testenv/faults"
)

// Key ids made with the emulator's generator (moto/iam/utils.py,
// generate_access_key_id_from_account_id) for known accounts.
func TestAccountOf(t *testing.T) {
	for key, want := range map[string]string{
		"ASIARZPUZDIKDXYZ2345": "123456789012",
		"ASIA5SOZCGIUTXYZ2345": "933000000041",
		"ASIAQAAAAAAATXYZ2345": "000000000001",
	} {
		if got, ok := AccountOf(key); !ok || got != want {
			t.Errorf("AccountOf(%s) = %s, %v; want %s", key, got, ok, want)
		}
	}
	if _, ok := AccountOf("AKIA"); ok {
		t.Error("a short key decoded")
	}
}

func TestNeeds(t *testing.T) {
	cases := []struct {
		r    faults.Request
		want []Need
	}{
		{faults.Request{Service: "iam", Action: "CreateRole", Fields: map[string]string{"RoleName": "r"}},
			[]Need{{Action: "iam:CreateRole", Resource: "arn:aws:iam::111122223333:role/r"}}},
		{faults.Request{Service: "iam", Action: "AttachRolePolicy", Fields: map[string]string{"RoleName": "r", "PolicyArn": "arn:aws:iam::111122223333:policy/p"}},
			[]Need{{Action: "iam:AttachRolePolicy", Resource: "arn:aws:iam::111122223333:role/r"}}},
		{faults.Request{Service: "iam", Action: "AddRoleToInstanceProfile", Fields: map[string]string{"RoleName": "r", "InstanceProfileName": "p"}},
			[]Need{{Action: "iam:AddRoleToInstanceProfile", Resource: "arn:aws:iam::111122223333:instance-profile/p"},
				{Action: "iam:PassRole", Resource: "arn:aws:iam::111122223333:role/r"}}},
		{faults.Request{Service: "iam", Action: "RemoveUserFromGroup", Fields: map[string]string{"UserName": "u", "GroupName": "g"}},
			[]Need{{Action: "iam:RemoveUserFromGroup", Resource: "arn:aws:iam::111122223333:group/g"}}},
		{faults.Request{Service: "secretsmanager", Action: "GetSecretValue", Region: "eu-west-1", Fields: map[string]string{"SecretId": "/a/b"}},
			[]Need{{Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:/a/b-AbC123"}}},
		{faults.Request{Service: "sts", Action: "GetCallerIdentity"}, nil},
		{faults.Request{Service: "organizations", Action: "ListAccounts"}, []Need{{Action: "organizations:ListAccounts", Resource: "*"}}},
	}
	for _, c := range cases {
		got, err := Needs(c.r, "111122223333", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(c.want) {
			t.Fatalf("%s: %v, want %v", c.r.Action, got, c.want)
		}
		for i := range got {
			if got[i].Action != c.want[i].Action || got[i].Resource != c.want[i].Resource {
				t.Errorf("%s: %v, want %v", c.r.Action, got[i], c.want[i])
			}
		}
	}
	if _, err := Needs(faults.Request{Service: "iam", Action: "CreateThing"}, "1", nil); err == nil {
		t.Error("an unknown action was mapped")
	}
}

func TestDeniedAndUnneeded(t *testing.T) {
	doc := []byte(`{"Version":"2012-10-17","Statement":[
	 {"Sid":"Roles","Effect":"Allow","Action":"iam:CreateRole","Resource":"arn:aws:iam::*:role/r"},
	 {"Sid":"Extra","Effect":"Allow","Action":"iam:DeleteRole","Resource":"*"},
	 {"Sid":"Secrets","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:/a/b-??????"}]}`)
	needs := []Need{{Action: "iam:CreateRole", Resource: "arn:aws:iam::111122223333:role/r"},
		{Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:/a/b-AbC123"}}
	d, err := Denied(doc, append(needs, Need{Action: "iam:CreateRole", Resource: "arn:aws:iam::111122223333:role/other"}))
	if err != nil || len(d) != 1 || d[0].Resource != "arn:aws:iam::111122223333:role/other" {
		t.Errorf("Denied = %v, %v", d, err)
	}
	u, err := Unneeded(doc, needs)
	if err != nil || len(u) != 1 || u[0] != `"Extra"` {
		t.Errorf("Unneeded = %v, %v", u, err)
	}
}
