// Package view renders each command's result for people (text) and for
// scripts (JSON in the shapes of docs/commands.md, from dedicated structs).
package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/note"
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

// Status paints ok, pass (green), warn (yellow) and fail (red).
func (s Style) Status(status string) string {
	code := map[string]string{"ok": "32", "pass": "32", "warn": "33", "fail": "31"}[status]
	return s.paint(code, status)
}

// Warning is the "warning:" that starts a warning line.
func (s Style) Warning() string { return s.paint("33", "warning:") }

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
		fmt.Fprintf(w, "  %s %s\n", st.Warning(), warn.Short())
	}
	create, update, del := p.Counts()
	switch {
	case !p.HasChanges() && p.Teardown:
		fmt.Fprintf(w, "\nNothing to destroy: no entity of the %s layout that rciam may remove is left.\n", p.Layout)
	case !p.HasChanges() && len(p.Warnings) > 0:
		fmt.Fprintf(w, "\nNo changes to make. Each warning above says what is left to do.\n")
	case !p.HasChanges():
		fmt.Fprintf(w, "\nNo changes. The account matches the %s layout.\n", p.Layout)
	case p.Teardown:
		fmt.Fprintf(w, "\nDestroy: %d to delete, %d to update.\n", del, update)
	default:
		fmt.Fprintf(w, "\nPlan: %d to create, %d to update, %d to delete.\n", create, update, del)
	}
}

// planJSON is plan's JSON (docs/commands.md): lists in full.
type planJSON struct {
	Schema       int          `json:"schema"`
	Account      string       `json:"account"`
	Layout       string       `json:"layout"`
	PolicySource string       `json:"policySource"`
	Counts       countsJSON   `json:"counts"`
	Changes      []changeJSON `json:"changes"`
	Warnings     []detailJSON `json:"warnings"`
	// Permissions is the pre-flight's answer (nil: nothing was planned).
	Permissions *PermissionsJSON `json:"permissions,omitempty"`
}

// PermissionsJSON is what plan learned of the caller's permissions for the
// planned steps: checked, and what is denied, or why it was not checked.
type PermissionsJSON struct {
	Checked bool         `json:"checked"`
	Caller  string       `json:"caller,omitempty"`
	Note    string       `json:"note,omitempty"`
	Denied  []DeniedJSON `json:"denied"`
	// Undecided are those a condition kept the simulation from deciding.
	Undecided []DeniedJSON `json:"undecided"`
}

// DeniedJSON is one permission a planned step needs (that the caller
// lacks, or that the simulation could not decide).
type DeniedJSON struct {
	Action   string `json:"action"`
	Resource string `json:"resource"`
	Step     string `json:"step"`
}

type countsJSON struct {
	Create int `json:"create"`
	Update int `json:"update"`
	Delete int `json:"delete"`
	NoOp   int `json:"no-op"`
}

type changeJSON struct {
	Resource string       `json:"resource"`
	Action   string       `json:"action"`
	Details  []detailJSON `json:"details"`
}

// detailJSON is one detail or warning: its text with every list whole,
// and the items of its list when it has one (tags, actions).
type detailJSON struct {
	Text  string   `json:"text"`
	Items []string `json:"items,omitempty"`
}

func details(lines []note.Line) []detailJSON {
	out := make([]detailJSON, 0, len(lines))
	for _, l := range lines {
		d := detailJSON{Text: strings.TrimSpace(l.Full())}
		if lists := l.Lists(); len(lists) > 0 {
			d.Items = lists[0]
		}
		out = append(out, d)
	}
	return out
}

// PlanJSON writes the plan as JSON.
func PlanJSON(w io.Writer, p *plan.Plan, perm *PermissionsJSON) error {
	create, update, del := p.Counts()
	out := planJSON{Schema: Schema, Account: p.Account, Layout: string(p.Layout), PolicySource: p.Source,
		Counts:  countsJSON{Create: create, Update: update, Delete: del, NoOp: len(p.Changes) - create - update - del},
		Changes: []changeJSON{}, Warnings: details(p.Warnings), Permissions: perm}
	for _, c := range p.Changes {
		out.Changes = append(out.Changes, changeJSON{Resource: c.Address.String(), Action: c.Action.String(), Details: details(c.Details)})
	}
	return writeJSON(w, out)
}

// Schema is the version of every JSON document rciam defines: a change
// that breaks a reader bumps it.
const Schema = 1

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
