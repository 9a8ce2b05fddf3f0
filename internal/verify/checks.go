package verify

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/iampolicy"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/note"
	"github.com/rciam/rciam/internal/plan"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
)

const repair = "run 'rciam apply' to repair it"

func (v *verifier) missing(addr r.Address, what string) {
	if addr.Kind == r.KindSecret && v.elsewhere != nil {
		v.add("exists", addr.String(), Fail, fmt.Sprintf("%s %s does not exist in %s: %s", what, addr.Name, v.l.Region, v.elsewhere))
		return
	}
	v.add("exists", addr.String(), Fail, fmt.Sprintf("%s %s does not exist: %s", what, addr.Name, repair))
}

// region fails when redislabs-user places the secrets in another region:
// this run looks in the wrong one.
func (v *verifier) region() {
	if v.elsewhere != nil {
		v.compared("region", r.Addr(r.KindUser, r.UserName).String(), Fail, note.New(v.elsewhere.Error()), v.l.Books.UserRegion, v.l.Region)
	}
}

// tags: missing rciam tags are a warning, never a failure (docs/entities.md, "Tags").
func (v *verifier) tags(addr r.Address, want, have map[string]string) {
	var missing []string
	for _, k := range sortedKeys(want) {
		if have[k] != want[k] {
			missing = append(missing, k+"="+want[k])
		}
	}
	if len(missing) == 0 {
		v.add("tags", addr.String(), Pass, "tags as expected")
		return
	}
	v.compared("tags", addr.String(), Warn, note.New("lacks tag ", missing, ": 'rciam apply' adds it"), tagString(want), tagString(have))
}

func (v *verifier) policies() {
	for _, p := range v.d.Policies {
		addr := r.Addr(r.KindPolicy, p.Name)
		lp := v.l.Policy(p.Name)
		if lp == nil {
			v.missing(addr, "managed policy")
			continue
		}
		v.add("exists", addr.String(), Pass, "exists")
		if lp.TagsKnown {
			v.tags(addr, p.Tags, lp.Tags)
		}
		live, err := iampolicy.Parse(lp.Document)
		switch {
		case err != nil:
			v.add("policy-document", addr.String(), Fail, fmt.Sprintf("default version %s cannot be read (%v): %s", lp.DefaultVersionID, err, repair))
		case !iampolicy.Equal(live, p.Parsed):
			v.compared("policy-document", addr.String(), Fail, note.Of("default version %s differs from %s (sha256 %s); it %s: %s: %s",
				lp.DefaultVersionID, v.d.Source.Source, p.SHA256, plan.MatchNote(v.d, p.Name, live), strings.Join(iampolicy.Diff(live, p.Parsed), "; "), repair),
				string(p.Document), string(lp.Document))
		default:
			v.add("policy-document", addr.String(), Pass, fmt.Sprintf("default version %s matches %s (sha256 %s)", lp.DefaultVersionID, v.d.Source.Source, p.SHA256))
		}
		if lp.Description != "" && lp.Description != p.Description {
			v.add("description", addr.String(), Warn, fmt.Sprintf("description %q differs from rciam's (it cannot be changed and does not matter)", lp.Description))
		}
	}
}

func (v *verifier) roles() {
	for _, role := range v.d.Roles {
		addr := r.Addr(r.KindRole, role.Name)
		lr := v.l.Role(role.Name)
		if lr == nil {
			v.missing(addr, "role")
			continue
		}
		v.add("exists", addr.String(), Pass, "exists")
		v.tags(addr, role.Tags, lr.Tags)
		v.trust(addr, lr.Trust, role.Trust, role.Parsed)
		v.attachments(addr, role.Policies, lr.AttachedPolicies)
	}
}

// trust checks a trust policy and, when it differs, says how it differs
// in the terms that matter to Redis Cloud.
func (v *verifier) trust(addr r.Address, doc, wantDoc []byte, want *iampolicy.Policy) {
	live, err := iampolicy.Parse(doc)
	if err == nil && iampolicy.Equal(live, want) {
		who := "ec2.amazonaws.com only"
		if addr.Name == r.ConsoleRoleName {
			who = "Redis Cloud's account " + r.RedisCloudAccountID + " only, with MFA, without an external id"
		}
		v.add("trust-policy", addr.String(), Pass, "trusts "+who)
		return
	}
	var why []string
	if err != nil {
		why = append(why, "it cannot be read ("+err.Error()+")")
	} else {
		canon := strings.ToLower(string(live.Canonical()))
		if addr.Name == r.ConsoleRoleName {
			if !strings.Contains(canon, "aws:multifactorauthpresent") {
				why = append(why, "it does not require MFA")
			}
			if strings.Contains(canon, "sts:externalid") {
				why = append(why, "it has an sts:ExternalId condition Redis Cloud cannot meet")
			}
			if !strings.Contains(canon, r.RedisCloudAccountID) {
				why = append(why, "it does not trust Redis Cloud's account "+r.RedisCloudAccountID)
			}
		} else if !strings.Contains(canon, "ec2.amazonaws.com") {
			why = append(why, "it does not trust ec2.amazonaws.com")
		}
		why = append(why, iampolicy.Diff(live, want)...)
	}
	v.compared("trust-policy", addr.String(), Fail, note.New("trust policy differs: "+strings.Join(why, "; ")+": "+repair), string(wantDoc), string(doc))
}

func (v *verifier) attachments(addr r.Address, want []string, have []string) {
	var missing []string
	for _, pn := range want {
		if !contains(have, v.d.PolicyARN(pn)) {
			missing = append(missing, pn)
		}
	}
	if len(missing) > 0 {
		v.compared("attachments", addr.String(), Fail, note.New("policy ", missing, " is not attached: "+repair), strings.Join(want, ", "), strings.Join(have, ", "))
		return
	}
	var extra []string
	for _, arn := range have {
		if arn != v.d.PolicyARN(r.InstancePolicyName) && arn != v.d.PolicyARN(r.UserPolicyName) {
			extra = append(extra, arn)
		}
	}
	if len(extra) > 0 {
		v.addLine("attachments", addr.String(), Warn, note.New("also has ", extra, " attached (harmless unless it denies: see the permissions check)"))
		return
	}
	v.add("attachments", addr.String(), Pass, "exactly "+strings.Join(want, ", ")+" attached")
}

func (v *verifier) profile() {
	for _, p := range v.d.Profiles {
		addr := r.Addr(r.KindInstanceProfile, p.Name)
		lp := v.l.Profile(p.Name)
		if lp == nil {
			v.missing(addr, "instance profile")
			continue
		}
		v.add("exists", addr.String(), Pass, "exists")
		v.tags(addr, p.Tags, lp.Tags)
		if len(lp.Roles) == 1 && r.SameName(lp.Roles[0], p.Role) {
			v.add("instance-profile-role", addr.String(), Pass, "holds "+p.Role)
			continue
		}
		held := "no role"
		if len(lp.Roles) > 0 {
			held = strings.Join(lp.Roles, ", ")
		}
		v.compared("instance-profile-role", addr.String(), Fail, note.Of("holds %s instead of %s: %s", held, p.Role, repair), p.Role, strings.Join(lp.Roles, ", "))
	}
}

func (v *verifier) user() {
	u := v.d.User
	addr := r.Addr(r.KindUser, u.Name)
	lu := v.l.User(u.Name)
	if lu == nil {
		v.missing(addr, "user")
		return
	}
	v.add("exists", addr.String(), Pass, "exists")
	v.tags(addr, u.Tags, lu.Tags)
	v.attachments(addr, u.Policies, lu.AttachedPolicies)
}

func (v *verifier) keys() {
	addr := r.Addr(r.KindUser, r.UserName)
	if v.l.User(r.UserName) == nil {
		return
	}
	var active []string
	for _, k := range v.l.Keys {
		if k.Active {
			active = append(active, k.ID)
		}
	}
	prev := v.l.Books.Previous
	switch {
	case len(active) == 0:
		v.add("access-keys", addr.String(), Fail, "has no active access key: "+repair+" (a new key needs registering again: rciam register)")
	case len(active) == 2 && prev != "" && slices.Contains(active, prev):
		stored, _ := v.l.StoredKey()
		v.add("access-keys", addr.String(), Warn, fmt.Sprintf("keeps the previous key %s active beside the stored key %s (Redis Cloud may still use it): run 'rciam rotate-key' to move Redis Cloud to the stored key and delete %s",
			prev, secret.MaskKeyID(stored), prev))
	case len(active) > 1:
		v.compared("access-keys", addr.String(), Fail, note.Of("has %d active access keys (%s), want one: finish the rotation (rciam rotate-key) or 'rciam apply'", len(active), masked(active)),
			"1", fmt.Sprint(len(active)))
	case len(v.l.Keys) > 1 && v.l.Key(prev) == nil:
		v.add("access-keys", addr.String(), Warn, "has an inactive access key besides the active one: 'rciam apply' deletes it")
	default:
		v.add("access-keys", addr.String(), Pass, "exactly one active access key, "+secret.MaskKeyID(active[0]))
	}
	v.keySecret()
}

// keySecret proves the stored secret belongs to the active key: STS
// answered a call signed with it as redislabs-user.
func (v *verifier) keySecret() {
	addr := r.Addr(r.KindSecret, r.KeySecretName)
	sec := v.secretPresent(addr, "key-secret", v.ev.KeySecretErr)
	if sec == nil {
		return
	}
	if rec := v.l.Books.Region; rec != "" && rec != v.l.Region {
		v.compared("region", addr.String(), Warn, note.Of("rciam recorded region %s, this run uses %s: pass --region %s", rec, v.l.Region, rec), rec, v.l.Region)
	}
	p := v.ev.Proof
	switch {
	case p == nil:
		v.add("key-secret", addr.String(), Fail, "no active access key to prove the stored secret with: "+repair)
	case p.Err != nil && p.Propagating:
		v.add("key-secret", addr.String(), Warn, fmt.Sprintf("AWS does not accept key %s yet (%s); it is %s old and still propagating: run verify again",
			secret.MaskKeyID(p.KeyID), awsclient.Short(p.Err), p.Age.Round(time.Second)))
	case p.Err != nil:
		v.add("key-secret", addr.String(), Fail, fmt.Sprintf("the stored secret does not sign for key %s (%s): %s", secret.MaskKeyID(p.KeyID), awsclient.Short(p.Err), repair))
	case !strings.HasSuffix(p.ARN, ":user/"+r.UserName):
		v.compared("key-secret", addr.String(), Fail, note.Of("the stored key signs as %s, not %s: %s", p.ARN, r.UserName, repair), "arn:…:user/"+r.UserName, p.ARN)
	default:
		msg := "belongs to key " + secret.MaskKeyID(p.KeyID) + " (STS answered as " + r.UserName + ")"
		if tag := v.l.Books.KeyID; tag != p.KeyID {
			v.add("key-secret", addr.String(), Warn, msg+", but tag "+bookkeeping.TagKeyID+" does not name it: 'rciam apply' fixes the tag")
			return
		}
		v.add("key-secret", addr.String(), Pass, msg)
	}
}

func (v *verifier) login() {
	addr := r.Addr(r.KindLoginProfile, r.UserName)
	if v.l.User(r.UserName) == nil {
		return
	}
	lp := v.l.LoginProfile
	if lp == nil {
		v.missing(addr, "console login for")
		return
	}
	if lp.PasswordResetRequired {
		v.add("login-profile", addr.String(), Fail, "requires a password reset, which Redis Cloud cannot do: "+repair)
		return
	}
	v.add("login-profile", addr.String(), Pass, "exists, no password reset required")
	if pp := v.l.PasswordPolicy; pp != nil && pp.MaxAgeDays > 0 && !lp.Created.IsZero() {
		age := int(v.ev.Now.Sub(lp.Created).Hours() / 24)
		left := pp.MaxAgeDays - age
		switch {
		case left < 0 && pp.HardExpiry:
			v.add("password-age", addr.String(), Fail, fmt.Sprintf("the password expired %d days ago and the policy sets HardExpiry: 'rciam apply' after deleting the login profile sets a new one", -left))
		default:
			v.add("password-age", addr.String(), Warn, fmt.Sprintf("the account password policy expires passwords after %d days: %d left", pp.MaxAgeDays, left))
		}
	}
}

func (v *verifier) secrets() {
	addr := r.Addr(r.KindSecret, r.PasswordSecretName)
	sec := v.secretPresent(addr, "password-secret", v.ev.PasswordSecretErr)
	if sec == nil {
		return
	}
	if rec := v.l.Books; rec.Pending() {
		v.add("password-secret", addr.String(), Fail, "a run is changing the console password, or stopped while changing it ("+strings.Join(rec.MarkKeys(), ", ")+"): the stored password may not be the login's: "+repair)
		return
	}
	var body struct {
		Password string `json:"password"`
	}
	if json.Unmarshal([]byte(v.ev.PasswordSecret.Reveal()), &body) != nil || body.Password == "" {
		v.add("password-secret", addr.String(), Fail, `is not of the form {"password":"…"}: `+repair)
		return
	}
	v.add("password-secret", addr.String(), Pass, "well formed")
}

// secretPresent checks that a secret exists, is not scheduled for deletion,
// could be read, and carries rciam's tag; it returns nil when a check failed.
func (v *verifier) secretPresent(addr r.Address, id string, readErr error) *live.Secret {
	sec := v.l.Secrets[addr.Name]
	switch {
	case sec == nil:
		v.missing(addr, "secret")
		return nil
	case sec.Deleted != nil:
		v.add("exists", addr.String(), Fail, "is scheduled for deletion: 'rciam apply' restores it")
		return nil
	case readErr != nil:
		v.add(id, addr.String(), Fail, "cannot be read: "+awsclient.Short(readErr))
		return nil
	}
	v.add("exists", addr.String(), Pass, "exists")
	v.tags(addr, map[string]string{r.TagManagedBy: r.ManagedByValue}, sec.Tags)
	if sec.RotationEnabled {
		v.compared("rotation", addr.String(), Warn, note.New(live.AutoRotationWarning(addr.Name)), "automatic rotation off", "automatic rotation on")
	}
	return sec
}

func tagString(t map[string]string) string {
	keys := sortedKeys(t)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + t[k]
	}
	return strings.Join(parts, ", ")
}

func masked(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = secret.MaskKeyID(id)
	}
	return strings.Join(out, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
