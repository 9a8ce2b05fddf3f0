package desired

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/policysource"
)

func TestCloudLayoutMatchesSpec(t *testing.T) {
	t.Parallel()
	sel, _ := policysource.Bundled("docs-v1")
	s, err := Build(sel, Options{Layout: LayoutCloud, AccountID: "123456789012", Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range s.Policies {
		names = append(names, p.Name)
		if len(p.Tags) != 1 || p.Tags["ManagedBy"] != "rciam" {
			t.Errorf("policy %s tags %v", p.Name, p.Tags)
		}
	}
	for _, r := range s.Roles {
		names = append(names, r.Name)
		if len(r.Tags) != 2 || r.Tags["UsedBy"] != "RedisLabs" || r.Tags["ManagedBy"] != "rciam" {
			t.Errorf("role %s tags %v", r.Name, r.Tags)
		}
	}
	got := strings.Join(append(names, s.Profiles[0].Name, s.User.Name, s.Secrets[0].Name, s.Secrets[1].Name), ",")
	want := "RedisLabsInstanceRolePolicy,RedislabsIAMUserRestrictedPolicy,redislabs-cluster-node-role,redislabs-role,redislabs-cluster-node-role,redislabs-user,/redislabsuser/secret_access_key,/redislabsuser/password"
	if got != want {
		t.Errorf("names = %s", got)
	}
	if s.Roles[1].Policies[0] != "RedislabsIAMUserRestrictedPolicy" || s.Roles[0].Policies[0] != "RedisLabsInstanceRolePolicy" || s.User.Policies[0] != "RedislabsIAMUserRestrictedPolicy" {
		t.Error("attachments differ from docs/entities.md")
	}
	// The trust policies are docs/entities.md's, byte for byte, and valid JSON.
	if string(s.Roles[1].Trust) != `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::168085023892:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}` {
		t.Errorf("console trust = %s", s.Roles[1].Trust)
	}
	if !json.Valid(s.Roles[0].Trust) || s.SignInURL() != "https://123456789012.signin.aws.amazon.com/console" {
		t.Error("node trust or sign-in URL wrong")
	}
	if s.PolicyARN("X") != "arn:aws:iam::123456789012:policy/X" {
		t.Error(s.PolicyARN("X"))
	}
}

func TestRVLayoutHasNoConsoleRole(t *testing.T) {
	t.Parallel()
	sel, _ := policysource.Bundled("docs-v1")
	s, err := Build(sel, Options{Layout: LayoutRV, AccountID: "123456789012"})
	if err != nil || len(s.Roles) != 1 || s.HasRole("redislabs-role") {
		t.Errorf("rv: %v %+v", err, s.Roles)
	}
}

func TestPlaceholderIsReplacedAndInvalidDocumentsRejected(t *testing.T) {
	t.Parallel()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::ACCOUNT-ID-WITHOUT-HYPHENS:role/x"}]}`
	sel := policysource.Selection{Source: "files",
		Instance: policysource.Document{File: "i.json", Raw: []byte(doc)}, User: policysource.Document{File: "u.json", Raw: []byte(doc)}}
	s, err := Build(sel, Options{Layout: LayoutCloud, AccountID: "210987654321"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(s.Policies[1].Document), "arn:aws:iam::210987654321:role/x") {
		t.Errorf("placeholder not replaced: %s", s.Policies[1].Document)
	}
	sel.User.Raw = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Permit","Action":"x:y","Resource":"*"}]}`)
	if _, err := Build(sel, Options{Layout: LayoutCloud, AccountID: "210987654321"}); err == nil || !strings.Contains(err.Error(), "u.json") {
		t.Errorf("invalid document: %v", err)
	}
	if _, err := ParseLayout("vpc"); err == nil {
		t.Error("layout vpc accepted")
	}
}
