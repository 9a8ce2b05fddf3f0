// Package view renders each command's result for people (text) and for
// scripts (JSON in the shapes of docs/commands.md, from dedicated structs).
package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/plan"
	"github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
)

// Style decorates text; the zero value adds nothing.
type Style struct{ Color bool }

func (s Style) paint(code, text string) string {
	if !s.Color {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

var actionMark = map[plan.Action]struct{ sign, color string }{
	plan.Create: {"+", "32"}, plan.Update: {"~", "33"}, plan.Delete: {"-", "31"}, plan.NoOp: {"=", "2"},
}

// PlanHeader writes the account, layout, policy source and document
// hashes: where the documents came from is always visible.
func PlanHeader(w io.Writer, account string, d *desired.Set) {
	fmt.Fprintf(w, "Account %s · layout %s · policies %s\n", account, d.Layout, d.Source.Source)
	for _, p := range d.Policies {
		fmt.Fprintf(w, "  %-34s sha256 %s\n", p.Name, p.SHA256)
	}
	if d.Source.Note != "" {
		fmt.Fprintf(w, "  note: %s\n", d.Source.Note)
	}
	fmt.Fprintln(w)
}

// PlanHuman writes every entity with its action and details, then a
// summary line.
func PlanHuman(w io.Writer, p *plan.Plan, st Style) {
	for _, c := range p.Changes {
		m := actionMark[c.Action]
		fmt.Fprintf(w, "  %s %-46s %s\n", st.paint(m.color, m.sign), Human(c.Address), st.paint(m.color, c.Action.String()))
		for _, d := range c.Details {
			fmt.Fprintf(w, "      %s\n", d)
		}
	}
	for _, warn := range p.Warnings {
		fmt.Fprintf(w, "  %s %s\n", st.paint("33", "warning:"), warn)
	}
	create, update, del := p.Counts()
	if !p.HasChanges() {
		fmt.Fprintf(w, "\nNo changes. The account matches the %s layout.\n", p.Layout)
		return
	}
	fmt.Fprintf(w, "\nPlan: %d to create, %d to update, %d to delete.\n", create, update, del)
}

// planJSON is plan's JSON shape.
type planJSON struct {
	Account string       `json:"account"`
	Changes []changeJSON `json:"changes"`
}

type changeJSON struct {
	Resource string   `json:"resource"`
	Action   string   `json:"action"`
	Details  []string `json:"details"`
}

// PlanJSON writes the plan as JSON.
func PlanJSON(w io.Writer, p *plan.Plan) error {
	out := planJSON{Account: p.Account, Changes: []changeJSON{}}
	for _, c := range p.Changes {
		d := make([]string, 0, len(c.Details))
		for _, l := range c.Details {
			d = append(d, strings.TrimSpace(l))
		}
		out.Changes = append(out.Changes, changeJSON{Resource: c.Address.String(), Action: c.Action.String(), Details: d})
	}
	return writeJSON(w, out)
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error { return writeJSON(w, v) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Human renders an address for people: access key ids are masked
// (AKIA…WXYZ); JSON output and the outputs table give them in full.
func Human(a resource.Address) string {
	if a.Kind != resource.KindAccessKey {
		return a.String()
	}
	user, id, _ := strings.Cut(a.Name, "/")
	return string(a.Kind) + "/" + user + "/" + secret.MaskKeyID(id)
}
