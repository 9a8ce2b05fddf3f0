package verify

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
	"github.com/rciam/rciam/internal/testenv/fixture"
)

func good() Evidence {
	return Evidence{
		KeySecret: secret.New("s"), PasswordSecret: secret.New(`{"password":"p"}`),
		Proof: &Proof{KeyID: fixture.KeyID, ARN: "arn:aws:iam::" + fixture.Account + ":user/redislabs-user"},
		Now:   time.Now(),
	}
}

func find(rep *Report, id, resource string) *Check {
	for i := range rep.Checks {
		if rep.Checks[i].ID == id && rep.Checks[i].Resource == resource {
			return &rep.Checks[i]
		}
	}
	return nil
}

func TestCleanAccountPasses(t *testing.T) {
	t.Parallel()
	d := fixture.Want(t, desired.LayoutCloud)
	rep := Run(d, fixture.Converged(d), good())
	for _, c := range rep.Checks {
		if c.Status != Pass {
			t.Errorf("%+v", c)
		}
	}
	if !rep.OK() || len(rep.Checks) < 25 {
		t.Errorf("ok %v, %d checks", rep.OK(), len(rep.Checks))
	}
}

func TestChecks(t *testing.T) {
	t.Parallel()
	d := fixture.Want(t, desired.LayoutCloud)
	cases := []struct {
		name         string
		drift        func(l *live.State, ev *Evidence)
		id, resource string
		status       Status
		says         string
	}{
		{"user missing", func(l *live.State, _ *Evidence) { delete(l.Users, "redislabs-user") }, "exists", "user/redislabs-user", Fail, "rciam apply"},
		{"external id", func(l *live.State, _ *Evidence) {
			l.Roles["redislabs-role"].Trust = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::168085023892:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"StringEquals":{"sts:ExternalId":"x"}}}]}`)
		}, "trust-policy", "role/redislabs-role", Fail, "ExternalId"},
		{"no MFA", func(l *live.State, _ *Evidence) {
			l.Roles["redislabs-role"].Trust = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"168085023892"},"Action":"sts:AssumeRole"}]}`)
		}, "trust-policy", "role/redislabs-role", Fail, "does not require MFA"},
		{"wrong secret", func(_ *live.State, ev *Evidence) {
			ev.Proof = &Proof{KeyID: fixture.KeyID, Err: errors.New("SignatureDoesNotMatch")}
		}, "key-secret", "secret//redislabsuser/secret_access_key", Fail, "does not sign"},
		{"key still propagating", func(_ *live.State, ev *Evidence) {
			ev.Proof = &Proof{KeyID: fixture.KeyID, Err: errors.New("InvalidClientTokenId"), Propagating: true, Age: 30 * time.Second}
		}, "key-secret", "secret//redislabsuser/secret_access_key", Warn, "still propagating: run verify again"},
		{"two active keys", func(l *live.State, _ *Evidence) {
			l.Keys = append(l.Keys, live.AccessKey{ID: "AKIASECOND000000", Active: true})
		}, "access-keys", "user/redislabs-user", Fail, "2 active"},
		{"reset required", func(l *live.State, _ *Evidence) { l.LoginProfile.PasswordResetRequired = true }, "login-profile", "login-profile/redislabs-user", Fail, "reset"},
		{"password malformed", func(_ *live.State, ev *Evidence) { ev.PasswordSecret = secret.New("hunter2") }, "password-secret", "secret//redislabsuser/password", Fail, `{"password"`},
		{"a run stopped while changing the password", func(l *live.State, _ *Evidence) {
			l.Secrets["/redislabsuser/password"].Tags[bookkeeping.TagPasswordPending+"0a1b2c3d"] = "2026-12-04T10:00:00Z"
		}, "password-secret", "secret//redislabsuser/password", Fail, "may not be the login's"},
		{"instance policy edited by hand", func(l *live.State, _ *Evidence) {
			l.Policies["redislabsinstancerolepolicy"].Document = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}`)
		}, "policy-document", "policy/RedisLabsInstanceRolePolicy", Fail, "matches no known version (edited by hand?)"},
		{"tags missing", func(l *live.State, _ *Evidence) { l.Users["redislabs-user"].Tags = map[string]string{} }, "tags", "user/redislabs-user", Warn, "ManagedBy=rciam"},
		{"region differs", func(l *live.State, _ *Evidence) { l.Region = "us-west-2" }, "region", "user/redislabs-user", Fail, "pass --region eu-west-1"},
		{"region differs, template-made user without the tag", func(l *live.State, _ *Evidence) {
			l.Region = "us-west-2"
			delete(l.Users["redislabs-user"].Tags, bookkeeping.TagRegion)
		}, "region", "secret//redislabsuser/secret_access_key", Warn, "--region eu-west-1"},
		{"lost key secret: the previous key kept active", func(l *live.State, _ *Evidence) {
			l.Keys = append(l.Keys, live.AccessKey{ID: "AKIAPREVIOUSKEY00001", Active: true})
			l.Secrets[r.KeySecretName].Tags[bookkeeping.TagPreviousKeyID] = "AKIAPREVIOUSKEY00001"
		}, "access-keys", "user/redislabs-user", Warn, "run 'rciam rotate-key'"},
		{"password ages", func(l *live.State, ev *Evidence) {
			l.PasswordPolicy = &live.PasswordPolicy{MaxAgeDays: 90}
			l.LoginProfile.Created = ev.Now.Add(-80 * 24 * time.Hour)
		}, "password-age", "login-profile/redislabs-user", Warn, "10 left"},
		{"simulation unavailable", func(_ *live.State, ev *Evidence) { ev.Simulation = &Simulation{Unavailable: true} }, "simulation", "user/redislabs-user", Warn, "offline only"},
		{"scp denies", func(_ *live.State, ev *Evidence) {
			ev.Simulation = &Simulation{OrgDenied: []string{"ec2:RunInstances"}}
		}, "simulation", "user/redislabs-user", Fail, "SCP"},
		{"inline deny", func(l *live.State, _ *Evidence) {
			l.Users["redislabs-user"].InlinePolicies["x"] = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"support:*","Resource":"*"}]}`)
		}, "permissions", "user/redislabs-user", Fail, "inline policy x denies support:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, ev := fixture.Converged(d), good()
			tc.drift(l, &ev)
			l.ReadBooks(time.Now())
			rep := Run(d, l, ev)
			c := find(rep, tc.id, tc.resource)
			if c == nil || c.Status != tc.status || !strings.Contains(c.Message.Full(), tc.says) {
				t.Fatalf("check %s %s = %+v, want %s saying %q", tc.id, tc.resource, c, tc.status, tc.says)
			}
			if rep.OK() != (tc.status != Fail) {
				t.Errorf("OK() = %v", rep.OK())
			}
			if sorted := rep.Sorted(); tc.status == Fail && sorted[0].Status != Fail {
				t.Error("failures are not listed first")
			}
		})
	}
}
