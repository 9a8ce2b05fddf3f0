package plan

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/testenv/fixture"
)

func want(t *testing.T, layout desired.Layout) *desired.Set { return fixture.Want(t, layout) }

func empty() *live.State { return fixture.Empty() }

func converged(d *desired.Set) *live.State { return fixture.Converged(d) }

func ops(p *Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, string(s.Op)+" "+s.Address.String())
	}
	return out
}

func hasOp(p *Plan, op Op) *Step {
	for i := range p.Steps {
		if p.Steps[i].Op == op {
			return &p.Steps[i]
		}
	}
	return nil
}

func TestEmptyAccountPlansEveryEntity(t *testing.T) {
	t.Parallel()
	d := want(t, desired.LayoutCloud)
	p, err := Compute(d, empty(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, u, del := p.Counts()
	if c != 10 || u != 0 || del != 0 {
		t.Errorf("counts = %d/%d/%d, want 10 creates: %v", c, u, del, ops(p))
	}
	// Dependencies: the key secret waits for the key, the key for the user,
	// the login profile for the password secret and the user.
	byID := map[string]Step{}
	for _, s := range p.Steps {
		byID[s.ID] = s
	}
	depOps := func(op Op) []string {
		var out []string
		for _, id := range hasOp(p, op).Deps {
			out = append(out, string(byID[id].Op))
		}
		return out
	}
	if got := strings.Join(depOps(OpStoreKeySecret), ","); got != "CreateAccessKey" {
		t.Errorf("StoreKeySecret deps = %s", got)
	}
	if got := strings.Join(depOps(OpCreateAccessKey), ","); got != "CreateUser" {
		t.Errorf("CreateAccessKey deps = %s", got)
	}
	if got := strings.Join(depOps(OpCreateLoginProfile), ","); got != "WritePassword,CreateUser" {
		t.Errorf("CreateLoginProfile deps = %s", got)
	}
	if s := hasOp(p, OpStoreKeySecret); s.Tags[bookkeeping.TagRegion] != "eu-west-1" || s.Tags[r.TagManagedBy] != "rciam" {
		t.Errorf("key secret tags = %v", s.Tags)
	}
}

func TestConvergedAccountPlansNothing(t *testing.T) {
	t.Parallel()
	for _, layout := range []desired.Layout{desired.LayoutCloud, desired.LayoutRV} {
		d := want(t, layout)
		p, err := Compute(d, converged(d), Options{})
		if err != nil || p.HasChanges() {
			t.Errorf("%s: err %v, steps %v", layout, err, ops(p))
		}
	}
}

func TestRVLayoutHasNoConsoleRole(t *testing.T) {
	t.Parallel()
	p, _ := Compute(want(t, desired.LayoutRV), empty(), Options{})
	for _, c := range p.Changes {
		if c.Address.String() == "role/redislabs-role" {
			t.Error("layout rv plans redislabs-role")
		}
	}
}

func TestDrift(t *testing.T) {
	t.Parallel()
	d := want(t, desired.LayoutCloud)
	cases := []struct {
		name  string
		drift func(l *live.State)
		ops   []Op
		opts  Options
		own   bool // the password mark is this run's own (bookkeeping.Books.Claim)
	}{
		{"template-made account: tags only", func(l *live.State) {
			for _, p := range l.Policies {
				p.Tags = map[string]string{}
			}
			for _, role := range l.Roles {
				role.Tags = map[string]string{r.TagUsedBy: r.UsedByValue}
			}
			l.Users["redislabs-user"].Tags = map[string]string{r.TagUsedBy: r.UsedByValue}
			l.Profiles["redislabs-cluster-node-role"].Tags = map[string]string{}
			l.Secrets[r.KeySecretName].Tags = map[string]string{}
			l.Secrets[r.KeySecretName].CurrentVersionID = "random"
			l.Secrets[r.PasswordSecretName].Tags = map[string]string{}
		}, []Op{OpTagPolicy, OpTagPolicy, OpTagRole, OpTagRole, OpTagProfile, OpTagUser, OpTagSecret, OpTagSecret}, Options{}, false},
		{"template-made account with --no-adopt-tags", func(l *live.State) {
			l.Users["redislabs-user"].Tags = map[string]string{r.TagUsedBy: r.UsedByValue}
			l.Secrets[r.KeySecretName].Tags = map[string]string{}
		}, nil, Options{NoAdoptTags: true}, false},
		{"user policy detached", func(l *live.State) { l.Users["redislabs-user"].AttachedPolicies = nil }, []Op{OpAttachUserPolicy}, Options{}, false},
		{"trust without MFA", func(l *live.State) {
			l.Roles["redislabs-role"].Trust = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"168085023892"},"Action":"sts:AssumeRole"}]}`)
		}, []Op{OpUpdateTrust}, Options{}, false},
		{"trust in another form, same meaning", func(l *live.State) {
			l.Roles["redislabs-role"].Trust = []byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["168085023892"]},"Action":["sts:AssumeRole"],"Condition":{"Bool":{"aws:MultiFactorAuthPresent":true}}}}`)
		}, nil, Options{}, false},
		{"role out of profile", func(l *live.State) { l.Profiles["redislabs-cluster-node-role"].Roles = []string{"other"} }, []Op{OpRemoveRoleFromProfile, OpAddRoleToProfile}, Options{}, false},
		{"key inactive", func(l *live.State) { l.Keys[0].Active = false }, []Op{OpDeleteAccessKey, OpCreateAccessKey, OpStoreKeySecret}, Options{}, false},
		{"login profile deleted", func(l *live.State) { l.LoginProfile = nil }, []Op{OpWritePassword, OpCreateLoginProfile}, Options{}, false},
		{"password secret deleted for good", func(l *live.State) { delete(l.Secrets, r.PasswordSecretName) }, []Op{OpWritePassword, OpUpdateLoginProfile}, Options{}, false},
		{"a run died between setting the console password and storing it", func(l *live.State) {
			l.Secrets[r.PasswordSecretName].Tags[bookkeeping.TagPasswordPending+"0a1b2c3d"] = "2026-12-04T10:00:00Z"
		}, []Op{OpWritePassword, OpUpdateLoginProfile}, Options{}, false},
		{"another run is changing the console password", func(l *live.State) {
			l.Secrets[r.PasswordSecretName].Tags[bookkeeping.TagPasswordPending+"0a1b2c3d"] = time.Now().UTC().Format(time.RFC3339)
		}, nil, Options{}, false},
		{"another run's mark, on a machine whose clock is AWS's, a minute behind ours", func(l *live.State) {
			l.ClockOffset = -time.Minute
			l.Secrets[r.PasswordSecretName].Tags[bookkeeping.TagPasswordPending+"0a1b2c3d"] = time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
		}, nil, Options{}, false},
		{"this run's own change was not confirmed", func(l *live.State) {
			l.Secrets[r.PasswordSecretName].Tags[bookkeeping.TagPasswordPending+"0a1b2c3d"] = time.Now().UTC().Format(time.RFC3339)
		}, []Op{OpWritePassword, OpUpdateLoginProfile}, Options{}, true},
		{"key secret scheduled for deletion", func(l *live.State) {
			now := time.Now()
			l.Secrets[r.KeySecretName].Deleted = &now
		}, []Op{OpRestoreSecret}, Options{}, false},
		{"password reset required", func(l *live.State) { l.LoginProfile.PasswordResetRequired = true }, []Op{OpUpdateLoginProfile}, Options{}, false},
		{"run died between secret write and tag", func(l *live.State) {
			used := time.Now()
			l.Keys = []live.AccessKey{{ID: "AKIAOLD", Active: false, LastUsed: &used, LastUsedRead: true}, {ID: "AKIANEW", Active: true}}
			l.Secrets[r.KeySecretName].CurrentVersionID = bookkeeping.KeyVersionID("AKIANEW")
		}, []Op{OpDeleteAccessKey, OpTagSecret}, Options{}, false},
		{"unused orphan key", func(l *live.State) {
			l.Keys = append(l.Keys, live.AccessKey{ID: "AKIAORPHAN", Active: true, LastUsedRead: true})
		}, []Op{OpDeleteAccessKey}, Options{}, false},
		{"rotation's previous key is kept", func(l *live.State) {
			l.Keys = append(l.Keys, live.AccessKey{ID: "AKIAPREV", Active: false, LastUsedRead: true})
			l.Secrets[r.KeySecretName].Tags[bookkeeping.TagPreviousKeyID] = "AKIAPREV"
		}, nil, Options{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := converged(d)
			tc.drift(l)
			l.ReadBooks(time.Now().Add(l.ClockOffset)) // as the reader judges marks: in AWS's time
			for i := range l.Books.Marks {
				l.Books.Marks[i].Own = tc.own
			}
			p, err := Compute(d, l, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range p.Steps {
				got = append(got, string(s.Op))
			}
			var w []string
			for _, o := range tc.ops {
				w = append(w, string(o))
			}
			if strings.Join(got, ",") != strings.Join(w, ",") {
				t.Errorf("steps = %v, want %v", got, w)
			}
		})
	}
}

func TestPolicyUpdateRespectsVersionLimit(t *testing.T) {
	t.Parallel()
	d := want(t, desired.LayoutCloud)
	l := converged(d)
	p := l.Policies["redislabsiamuserrestrictedpolicy"]
	old := []byte(`{"Version":"2012-10-17","Statement":[{"Sid":"Support","Effect":"Allow","Action":"support:*","Resource":"*"}]}`)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	p.Versions = nil
	for i, id := range []string{"v7", "v3", "v4", "v5", "v6"} {
		p.Versions = append(p.Versions, live.PolicyVersion{ID: id, IsDefault: id == "v7", Created: base.Add(time.Duration(i) * time.Hour), Document: old})
	}
	p.Versions[0].Created = base.Add(10 * time.Hour)
	p.Document = old
	plan, err := Compute(d, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := hasOp(plan, OpUpdatePolicy)
	if st == nil || st.DeleteVersion != "v3" {
		t.Fatalf("update step = %+v", st)
	}
	var details string
	for _, c := range plan.Changes {
		details += detailText(c)
	}
	if !strings.Contains(details, "delete policy version v3") || !strings.Contains(details, "ec2:") {
		t.Errorf("plan does not show the diff and the deleted version:\n%s", details)
	}
}

// A lost key secret (docs/entities.md, "A lost key secret"): the used key
// is kept, active, as the previous key, and a new key is made and stored
// with the previous one recorded; the warning names the old key in full
// and the one command that finishes.
func TestLostKeySecretKeepsTheUsedKey(t *testing.T) {
	t.Parallel()
	d := want(t, desired.LayoutCloud)
	l := converged(d)
	delete(l.Secrets, r.KeySecretName)
	used := time.Now()
	l.Keys[0].LastUsed, l.Keys[0].LastUsedRead = &used, true
	l.ReadBooks(time.Now())
	p, err := Compute(d, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ops(p), ","); got != "CreateAccessKey access-key/redislabs-user/(new),StoreKeySecret secret//redislabsuser/secret_access_key" {
		t.Errorf("steps %s", got)
	}
	if st := hasOp(p, OpStoreKeySecret); st.Tags[bookkeeping.TagPreviousKeyID] != fixture.KeyID {
		t.Errorf("the new key's secret does not record the previous key: %v", st.Tags)
	}
	if w := warnText(p); !strings.Contains(w, "access key "+fixture.KeyID+" is lost") || !strings.Contains(w, "run 'rciam rotate-key'") {
		t.Errorf("warnings %q", w)
	}
	// Two used keys and no secret: no room for a new key; both named in full.
	l.Keys = append(l.Keys, live.AccessKey{ID: "AKIASECONDUSEDKEY001", Active: true, LastUsed: &used, LastUsedRead: true})
	_, err = Compute(d, l, Options{})
	var kerr *KeyInUseError
	if !errors.As(err, &kerr) || !strings.Contains(err.Error(), fixture.KeyID) || !strings.Contains(err.Error(), "AKIASECONDUSEDKEY001") || strings.Contains(err.Error(), "…") {
		t.Errorf("err = %v", err)
	}
}

// A used key beside the stored one is refused, named in full.
func TestUsedKeyBesideTheStoredOneIsRefused(t *testing.T) {
	t.Parallel()
	d := want(t, desired.LayoutCloud)
	l := converged(d)
	used := time.Now()
	l.Keys = append(l.Keys, live.AccessKey{ID: "AKIABESIDE0000000001", Active: true, LastUsed: &used, LastUsedRead: true})
	_, err := Compute(d, l, Options{})
	var kerr *KeyInUseError
	if !errors.As(err, &kerr) || !kerr.Beside || !strings.Contains(err.Error(), "AKIABESIDE0000000001") || !strings.Contains(err.Error(), "aws iam delete-access-key") {
		t.Errorf("err = %v", err)
	}
}

// redislabs-user records the region of the secrets (IAM is global): a run
// in another region is refused before anything is planned.
func TestWrongRegionIsRefused(t *testing.T) {
	t.Parallel()
	d := want(t, desired.LayoutCloud)
	l := converged(d)
	l.Users["redislabs-user"].Tags[bookkeeping.TagRegion] = "ap-south-1"
	l.ReadBooks(time.Now())
	_, err := Compute(d, l, Options{})
	var wr *bookkeeping.WrongRegionError
	if !errors.As(err, &wr) || !strings.Contains(err.Error(), "pass --region ap-south-1") {
		t.Errorf("err = %v", err)
	}
	if _, err := Destroy(d, l, DestroyOptions{}); !errors.As(err, &wr) {
		t.Errorf("destroy: err = %v", err)
	}
}

func TestDestroy(t *testing.T) {
	t.Parallel()
	d := want(t, desired.LayoutCloud)
	l := converged(d)
	p, err := Destroy(d, l, DestroyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, del := p.Counts(); del != 10 {
		t.Errorf("deletes = %d: %v", del, ops(p))
	}
	byID := map[string]Step{}
	for _, s := range p.Steps {
		byID[s.ID] = s
	}
	for _, s := range p.Steps {
		if s.Op == OpDeletePolicy && len(s.Deps) < 1 {
			t.Errorf("DeletePolicy %s has no detach before it", s.Name)
		}
		if s.Op == OpDeleteUser {
			var deps []string
			for _, id := range s.Deps {
				deps = append(deps, string(byID[id].Op))
			}
			if got := strings.Join(deps, ","); got != "DeleteAccessKey,DeleteLoginProfile,DetachUserPolicy" {
				t.Errorf("DeleteUser deps = %s", got)
			}
		}
	}

	// Foreign items block without --force and are listed.
	l.Users["redislabs-user"].Groups = []string{"admins"}
	l.Roles["redislabs-role"].InlinePolicies = map[string][]byte{"extra": nil}
	_, err = Destroy(d, l, DestroyOptions{Blockers: &live.UserBlockers{MFADevices: []string{"arn:mfa"}}})
	var blocked *BlockedError
	if !errors.As(err, &blocked) || len(blocked.Items) != 3 {
		t.Fatalf("err = %v", err)
	}
	if p, err = Destroy(d, l, DestroyOptions{Force: true, Blockers: &live.UserBlockers{MFADevices: []string{"arn:mfa"}}}); err != nil || hasOp(p, OpRemoveUserFromGroup) == nil || hasOp(p, OpDeactivateMFA) == nil {
		t.Errorf("--force: %v %v", err, ops(p))
	}

	// Untagged (template-made) and stack-owned entities stay.
	l = converged(d)
	l.Users["redislabs-user"].Tags = map[string]string{r.TagUsedBy: r.UsedByValue}
	l.StackOwned = map[string]string{"role/redislabs-role": "RedisCloud"}
	p, _ = Destroy(d, l, DestroyOptions{})
	for _, s := range p.Steps {
		if s.Op == OpDeleteUser || (s.Op == OpDeleteRole && s.Name == "redislabs-role") || s.Op == OpDeleteAccessKey {
			t.Errorf("destroy removes %s %s", s.Op, s.Name)
		}
	}
	if w := warnText(p); !strings.Contains(w, "RedisCloud") || !strings.Contains(w, "ManagedBy=rciam") {
		t.Errorf("warnings = %s", w)
	}
}

// A key a CloudFormation stack owns is never deleted outside the stack,
// even when apply would delete it as an orphan; --force lifts that.
func TestStackOwnedKeyIsNotDeleted(t *testing.T) {
	t.Parallel()
	d := want(t, desired.LayoutCloud)
	l := converged(d)
	l.Keys = append(l.Keys, live.AccessKey{ID: "AKIASTACKKEY0001", Active: true, LastUsedRead: true})
	l.StackOwned = map[string]string{"access-key/redislabs-user/AKIASTACKKEY0001": "RedisCloud"}
	p, err := Compute(d, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := hasOp(p, OpDeleteAccessKey); s != nil {
		t.Errorf("plan deletes the stack's key: %+v", s)
	}
	if w := warnText(p); !strings.Contains(w, "stack RedisCloud owns it") {
		t.Errorf("warnings = %q", w)
	}
}

// A used key beside the stored one may be in use, stack-owned or not: the
// plan refuses (the stack check never bypasses that).
func TestUsedKeyBesideAStackKeyRefuses(t *testing.T) {
	t.Parallel()
	d := want(t, desired.LayoutCloud)
	l := converged(d)
	used := time.Now()
	l.Keys = append(l.Keys, live.AccessKey{ID: "AKIAMANUAL000001", Active: true, LastUsed: &used, LastUsedRead: true})
	l.StackOwned = map[string]string{"access-key/redislabs-user/AKIAMANUAL000001": "RedisCloud"}
	var inUse *KeyInUseError
	if _, err := Compute(d, l, Options{}); !errors.As(err, &inUse) {
		t.Errorf("err = %v, want KeyInUseError", err)
	}
}

// A stack that owns the key secret makes the key: when a new key is
// needed, the plan says to update the stack instead of writing into it.
func TestStackOwnedKeySecretIsNotRewritten(t *testing.T) {
	t.Parallel()
	d := want(t, desired.LayoutCloud)
	l := converged(d)
	l.Keys[0].Active = false
	l.StackOwned = map[string]string{"secret//redislabsuser/secret_access_key": "RedisCloud"}
	if _, err := Compute(d, l, Options{}); err == nil || !strings.Contains(err.Error(), "stack RedisCloud owns secret//redislabsuser/secret_access_key: update the stack") {
		t.Errorf("err = %v", err)
	}
}

// rotate-key killed between storing the new key's secret (version id of
// the new key) and tagging it: the key the tag still names may be what
// Redis Cloud uses. The plan keeps it as the previous key, records that in
// the tags as rotate-key would have, and says to finish with rotate-key.
func TestInterruptedRotationKeepsThePreviousKey(t *testing.T) {
	t.Parallel()
	d := want(t, desired.LayoutCloud)
	l := converged(d) // tag rciam:access-key-id = fixture.KeyID
	used := time.Now()
	l.Keys = []live.AccessKey{{ID: fixture.KeyID, Active: true, LastUsed: &used, LastUsedRead: true}, {ID: "AKIANEW", Active: true, LastUsed: &used, LastUsedRead: true}}
	l.Secrets[r.KeySecretName].CurrentVersionID = bookkeeping.KeyVersionID("AKIANEW")
	l.ReadBooks(time.Now())
	p, err := Compute(d, l, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := hasOp(p, OpDeleteAccessKey); s != nil {
		t.Errorf("plan deletes %s", s.Target)
	}
	tag := hasOp(p, OpTagSecret)
	if tag == nil || tag.Tags[bookkeeping.TagKeyID] != "AKIANEW" || tag.Tags[bookkeeping.TagPreviousKeyID] != fixture.KeyID {
		t.Errorf("tag step = %+v", tag)
	}
	if w := warnText(p); !strings.Contains(w, "run 'rciam rotate-key' to finish the rotation") {
		t.Errorf("warnings = %q", w)
	}
}

// warnText is the plan's warnings as people read them, one a line.
func warnText(p *Plan) string {
	lines := make([]string, len(p.Warnings))
	for i, w := range p.Warnings {
		lines[i] = w.Short()
	}
	return strings.Join(lines, "\n")
}

// detailText is a change's details in full, one a line.
func detailText(c Change) string {
	lines := make([]string, len(c.Details))
	for i, d := range c.Details {
		lines[i] = d.Full()
	}
	return strings.Join(lines, "\n")
}
