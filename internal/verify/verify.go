// Package verify checks, without changing anything, that an account holds
// exactly what Redis Cloud needs: every entity, document, trust policy,
// attachment, key, login profile and secret, and that the user and roles
// are really allowed every request Redis Cloud makes. Each check has a
// stable id, the resource it concerns, a status and a message that says
// what to do. It is pure: the CLI gathers the evidence (one snapshot, the
// secret values, an STS call signed with the stored key, the simulation).
package verify

import (
	"sort"
	"time"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/note"
	"github.com/rciam/rciam/internal/organization"
	"github.com/rciam/rciam/internal/secret"
)

// Status is a check's outcome.
type Status string

const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Check is one verified fact.
type Check struct {
	ID       string
	Resource string
	Status   Status
	// Message says what was found and, when it is not a pass, what to do
	// (text output shortens its lists, JSON never).
	Message note.Line
	// Expected and Actual, when set, are the value looked for and the one
	// found (a document, tags, a list of policies, a key's ARN).
	Expected, Actual string
}

// Report is the list of checks, in the order they were made.
type Report struct{ Checks []Check }

// OK reports whether no check failed (warnings allowed).
func (r *Report) OK() bool {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return false
		}
	}
	return true
}

// Sorted returns the checks failures first, then warnings, then passes,
// keeping their order within each group.
func (r *Report) Sorted() []Check {
	rank := map[Status]int{Fail: 0, Warn: 1, Pass: 2}
	out := append([]Check(nil), r.Checks...)
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i].Status] < rank[out[j].Status] })
	return out
}

// Evidence is what the CLI gathered beside the snapshot.
type Evidence struct {
	// KeySecret is the stored access key secret (zero when unreadable).
	KeySecret    secret.Value
	KeySecretErr error
	// PasswordSecret is the password secret's SecretString.
	PasswordSecret    secret.Value
	PasswordSecretErr error
	// Proof is the STS call signed with the stored key pair; nil when it
	// could not be made (no key or no secret).
	Proof *Proof
	// Simulation is iam:SimulatePrincipalPolicy for the user; nil when not
	// run (no user).
	Simulation *Simulation
	// Guardrails are the organization's SCPs and RCPs on the account's
	// path; GuardrailsErr says why they could not be read
	// (organization.ErrNotInOrganization: the account is in none).
	Guardrails    *organization.Guardrails
	GuardrailsErr error
	Now           time.Time
}

// Proof is the result of GetCallerIdentity signed with the stored key.
type Proof struct {
	KeyID string
	ARN   string
	Err   error
	// Propagating: AWS refused a key younger than propagation.KeyWindow
	// until the end of the wait; Age is the key's age then.
	Propagating bool
	Age         time.Duration
}

// Simulation is the result of SimulatePrincipalPolicy for the user.
type Simulation struct {
	Unavailable bool // the endpoint does not implement it
	Err         error
	Denied      []string // actions not allowed
	OrgDenied   []string // actions an SCP denies (AllowedByOrganizations=false)
	Missing     []string // context keys the simulation lacked (a bug)
}

// Run makes every check of the layout.
func Run(d *desired.Set, l *live.State, ev Evidence) *Report {
	v := &verifier{d: d, l: l, ev: ev, elsewhere: l.Books.CheckRegion(l.Region)}
	v.region()
	v.policies()
	v.roles()
	v.profile()
	v.user()
	v.keys()
	v.login()
	v.secrets()
	v.permissions()
	v.simulation()
	v.guardrails()
	return &Report{Checks: v.checks}
}

type verifier struct {
	d      *desired.Set
	l      *live.State
	ev     Evidence
	checks []Check
	// elsewhere is why rciam's secrets are not in this region (the user's
	// rciam:region names another); nil when they are.
	elsewhere error
}

func (v *verifier) add(id, resource string, st Status, msg string) {
	v.addLine(id, resource, st, note.New(msg))
}

func (v *verifier) addLine(id, resource string, st Status, msg note.Line) {
	v.checks = append(v.checks, Check{ID: id, Resource: resource, Status: st, Message: msg})
}

// compared adds a check with the value looked for and the one found.
func (v *verifier) compared(id, resource string, st Status, msg note.Line, expected, actual string) {
	v.checks = append(v.checks, Check{ID: id, Resource: resource, Status: st, Message: msg, Expected: expected, Actual: actual})
}
