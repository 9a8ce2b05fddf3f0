package view

import (
	"fmt"
	"io"
	"strings"
)

// Simulate is simulate's JSON (docs/commands.md, "JSON"): the decision and
// the statements that made it.
type Simulate struct {
	Schema int `json:"schema"`
	// Decision is "allowed", "explicitDeny" or "implicitDeny".
	Decision string `json:"decision"`
	// Matched is never null: [] when no statement decided (implicit deny).
	Matched []SimulateMatch `json:"matched"`
}

// SimulateMatch names one deciding statement.
type SimulateMatch struct {
	Policy string `json:"policy"`
	// Sid is the statement's Sid, or "#N" (its 1-based position) when it
	// has none.
	Sid string `json:"sid"`
	// Effect is "Allow" or "Deny".
	Effect string `json:"effect"`
}

// SimulateJSON writes s in that shape.
func SimulateJSON(w io.Writer, s Simulate) error {
	if s.Matched == nil {
		s.Matched = []SimulateMatch{}
	}
	s.Schema = Schema
	return writeJSON(w, s)
}

// SimulateHuman writes the decision for the request, then one line per
// deciding statement, or where an Allow was missing:
//
//	explicitDeny  ec2:RunInstances on arn:aws:ec2:us-east-1:123456789012:instance/i-1
//	  Deny by user.json statement "ForceUnderlyingResourcesToHaveIdentifierTags"
func SimulateHuman(w io.Writer, action, resource string, s Simulate, missing []string, st Style) {
	color := map[string]string{"allowed": "32", "explicitDeny": "31", "implicitDeny": "33"}[s.Decision]
	fmt.Fprintf(w, "%s  %s on %s\n", st.paint(color, s.Decision), action, resource)
	for _, m := range s.Matched {
		name := m.Sid
		if !strings.HasPrefix(name, "#") {
			name = fmt.Sprintf("%q", name)
		}
		fmt.Fprintf(w, "  %s by %s statement %s\n", m.Effect, m.Policy, name)
	}
	if len(missing) > 0 {
		fmt.Fprintf(w, "  no Allow statement applies in: %s\n", strings.Join(missing, ", "))
	}
}
