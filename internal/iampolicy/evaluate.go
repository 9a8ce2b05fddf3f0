package iampolicy

import (
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Request is one request to decide: an action ("ec2:RunInstances"), a
// resource ARN or "*" ("" reads as "*"), and context keys with one or more
// values. Key names may be written in any case. No key is derived: policy
// variables such as ${aws:username} resolve only from Context.
type Request struct {
	Action, Resource string
	Context          map[string][]string
}

// Input is the set of policies that apply to a request: the principal's
// identity policies, an optional permissions boundary (nil: none), the
// SCPs of each level of the principal's organization path and the RCPs of
// each level of the resource's, root first (empty: none apply). An SCP
// level without an applicable Allow allows nothing; RCP levels can only
// deny, since AWS attaches RCPFullAWSAccess to every root, OU and account
// and it cannot be detached. Whether SCPs and RCPs apply at all (the
// management account, service-linked roles, services RCPs do not cover) is
// the caller's to decide.
type Input struct {
	Identity []*Compiled
	Boundary *Compiled
	SCPs     [][]*Compiled
	RCPs     [][]*Compiled
}

// Decision is the outcome of an evaluation.
type Decision int

// The decisions, as SimulatePrincipalPolicy names them.
const (
	ImplicitDeny Decision = iota
	Allowed
	ExplicitDeny
)

// String returns "allowed", "explicitDeny" or "implicitDeny".
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	case ImplicitDeny:
		return "implicitDeny"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// Match names a statement that took part in a decision.
type Match struct {
	Policy string // the name given to Compile
	Sid    string // may be empty
	Effect string // "Allow" or "Deny"
	Index  int    // 0-based position of the statement in its policy
}

// Statement names the statement as messages do: `"Sid"` or `#3`.
func (m Match) Statement() string { return statementName(m.Sid, m.Index) }

// Result is a decision and the statements that made it: for ExplicitDeny
// every Deny statement that applies; for Allowed every Allow statement that
// applies; for ImplicitDeny none, and Missing names the places without an
// applicable Allow ("identity policies", "permissions boundary",
// "SCP level 2").
type Result struct {
	Decision Decision
	Matched  []Match
	Missing  []string
	// MissingSCPLevels are the 1-based SCP levels among Missing.
	MissingSCPLevels []int
}

// Evaluate decides req against in, following AWS's evaluation logic: an
// explicit Deny in any policy denies; otherwise the request is allowed only
// when an identity policy allows it, the permissions boundary (if any)
// allows it, and every SCP level allows it; otherwise it is implicitly
// denied. Principal and NotPrincipal are not evaluated: no principal is
// assumed.
//
// [Evaluation logic]: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
func Evaluate(in *Input, req Request) Result {
	var buf [128]byte
	act := lowerAction(req.Action, buf[:0])
	resource := req.Resource
	if resource == "" {
		resource = "*"
	}
	e := evaluation{resource: resource, r: resolver{ctx: req.Context}}
	if in == nil {
		return Result{Decision: ImplicitDeny, Missing: []string{"identity policies"}}
	}
	identity := e.layer(act, in.Identity)
	boundary := in.Boundary == nil || e.policy(act, in.Boundary)
	scpMissing := e.levels(act, in.SCPs)
	e.levels(act, in.RCPs) // only their Deny statements count
	switch {
	case e.denies > 0:
		return Result{Decision: ExplicitDeny, Matched: e.only(Deny)}
	case identity && boundary && len(scpMissing) == 0:
		return Result{Decision: Allowed, Matched: e.only(Allow)}
	}
	res := Result{Decision: ImplicitDeny}
	if !identity {
		res.Missing = append(res.Missing, "identity policies")
	}
	if !boundary {
		res.Missing = append(res.Missing, "permissions boundary")
	}
	for _, n := range scpMissing {
		res.Missing = append(res.Missing, "SCP level "+strconv.Itoa(n))
	}
	res.MissingSCPLevels = scpMissing
	return res
}

// levels evaluates organization policy levels and returns the 1-based
// numbers of those that allow nothing for act.
func (e *evaluation) levels(act string, levels [][]*Compiled) []int {
	var missing []int
	for i, level := range levels {
		if !e.layer(act, level) {
			missing = append(missing, i+1)
		}
	}
	return missing
}

// evaluation is the state of one Evaluate call. It lives on the stack:
// the first matches are kept inline, so a decision allocates only its
// Result.
type evaluation struct {
	resource string
	r        resolver
	n        int
	inline   [8]Match
	more     []Match
	denies   int
}

func (e *evaluation) add(m Match) {
	if e.n < len(e.inline) {
		e.inline[e.n] = m
	} else {
		e.more = append(e.more, m)
	}
	e.n++
}

// layer evaluates each policy of a layer and reports whether any allows.
func (e *evaluation) layer(act string, ps []*Compiled) bool {
	allowed := false
	for _, p := range ps {
		if e.policy(act, p) {
			allowed = true
		}
	}
	return allowed
}

// policy records the statements of p that apply to act and reports whether one of
// them is an Allow.
func (e *evaluation) policy(act string, p *Compiled) bool {
	if p == nil {
		return false
	}
	var small [4]uint64
	set := small[:]
	if n := (len(p.stmts) + 63) / 64; n > len(small) {
		set = make([]uint64, n)
	}
	p.candidates(act, set)
	allowed := false
	for w, word := range set {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			s := &p.stmts[w*64+b]
			if !s.applies(e.resource, e.r) {
				continue
			}
			e.add(Match{Policy: p.name, Sid: s.sid, Effect: s.effect.String(), Index: s.index})
			if s.effect == Deny {
				e.denies++
			} else {
				allowed = true
			}
		}
	}
	return allowed
}

// only copies out the matches of one effect.
func (e *evaluation) only(effect Effect) []Match {
	want := effect.String()
	out := make([]Match, 0, e.n)
	for i := 0; i < e.n; i++ {
		m := &e.inline[i%len(e.inline)]
		if i >= len(e.inline) {
			m = &e.more[i-len(e.inline)]
		}
		if m.Effect == want {
			out = append(out, *m)
		}
	}
	return out
}

// lowerAction lowercases an action into buf when it is short ASCII, else
// allocates; action names compare without regard to case.
func lowerAction(a string, buf []byte) string {
	if len(a) > cap(buf) {
		return toLower(a)
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if c >= utf8.RuneSelf {
			return toLower(a)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf = append(buf, c)
	}
	return unsafeString(buf)
}

func toLower(s string) string { return strings.ToLower(s) }

// unsafeString views b as a string without copying. The result must not
// outlive the Evaluate call that owns b (it never leaves it).
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
