// Package planfile saves a plan for a later apply (plan --out FILE, apply
// FILE), as Terraform saves one: what the plan was computed from — the
// account and region, the layout, the exact policy documents, the plan
// options — with a fingerprint of the account as it was read, and the
// steps the plan holds. apply recomputes the plan from the same inputs on
// a fresh read and runs it only when the account still reads as it did
// and the steps are the same. A saved plan holds no secret: passwords and
// key secrets are made when it is applied.
package planfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/plan"
	"github.com/rciam/rciam/internal/policysource"
)

// Format names the file kind; Schema is its version.
const (
	Format = "rciam-plan"
	Schema = 1
)

// File is a saved plan.
type File struct {
	Format  string    `json:"format"`
	Schema  int       `json:"schema"`
	Version string    `json:"rciamVersion"`
	Created time.Time `json:"created"`

	Account string `json:"account"`
	Region  string `json:"region"`
	Layout  string `json:"layout"`
	Options struct {
		NoAdoptTags      bool `json:"noAdoptTags"`
		RemoveUnexpected bool `json:"removeUnexpected"`
	} `json:"options"`
	Policies struct {
		Source   string   `json:"source"`
		Instance Document `json:"instance"`
		User     Document `json:"user"`
	} `json:"policies"`
	// Fingerprint is live.State.Fingerprint of the account as read.
	Fingerprint string `json:"fingerprint"`
	// Steps are the plan's step ids, in order.
	Steps []string `json:"steps"`
}

// Document is a policy document as selected: where from, and its bytes.
type Document struct {
	File string `json:"file"`
	Text string `json:"text"`
}

// New saves p, computed from sel, layout and o on snapshot l.
func New(l *live.State, sel policysource.Selection, layout desired.Layout, o plan.Options, p *plan.Plan, version string, now time.Time) *File {
	f := &File{Format: Format, Schema: Schema, Version: version, Created: now.UTC(), Account: l.AccountID, Region: l.Region,
		Layout: string(layout), Fingerprint: l.Fingerprint(), Steps: stepIDs(p)}
	f.Options.NoAdoptTags, f.Options.RemoveUnexpected = o.NoAdoptTags, o.RemoveUnexpected
	f.Policies.Source = sel.Source
	f.Policies.Instance = Document{File: sel.Instance.File, Text: string(sel.Instance.Raw)}
	f.Policies.User = Document{File: sel.User.File, Text: string(sel.User.Raw)}
	return f
}

func stepIDs(p *plan.Plan) []string {
	ids := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		ids[i] = s.ID
	}
	return ids
}

// Write saves f at path (mode 0600, replacing what is there).
func (f *File) Write(path string) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save the plan: %w", err)
	}
	return nil
}

// Read loads a saved plan.
func Read(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("read saved plan %s: %w", path, err)
	}
	var f File
	if json.Unmarshal(b, &f) != nil || f.Format != Format {
		return nil, fmt.Errorf("%s is not a plan rciam saved (plan --out FILE writes one)", path)
	}
	if f.Schema != Schema {
		return nil, fmt.Errorf("%s was saved by another rciam (plan file schema %d, this rciam reads %d): make the plan again", path, f.Schema, Schema)
	}
	if _, err := desired.ParseLayout(f.Layout); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &f, nil
}

// Selection is the saved policy documents.
func (f *File) Selection() policysource.Selection {
	return policysource.Selection{Source: f.Policies.Source,
		Instance: policysource.Document{File: f.Policies.Instance.File, Raw: []byte(f.Policies.Instance.Text)},
		User:     policysource.Document{File: f.Policies.User.File, Raw: []byte(f.Policies.User.Text)},
		Known:    policysource.BundledKnown()}
}

// PlanOptions are the saved plan options.
func (f *File) PlanOptions() plan.Options {
	return plan.Options{NoAdoptTags: f.Options.NoAdoptTags, RemoveUnexpected: f.Options.RemoveUnexpected}
}

// StaleError is a saved plan that no longer fits the account: nothing was
// changed.
type StaleError struct{ Why string }

func (e *StaleError) Error() string {
	return "the saved plan no longer applies: " + e.Why + "; nothing was changed: make a new plan (rciam plan --out FILE) and review it"
}

// Check refuses to apply f to the account as now read (l) when it was
// made for another account or region, the account reads differently, or
// the plan computed now (p) has other steps.
func (f *File) Check(l *live.State, p *plan.Plan) error {
	switch {
	case l.AccountID != f.Account:
		return &StaleError{Why: fmt.Sprintf("it was made for account %s, and these credentials reach %s", f.Account, l.AccountID)}
	case l.Region != f.Region:
		return &StaleError{Why: fmt.Sprintf("it was made for region %s, and this run uses %s (pass --region %s)", f.Region, l.Region, f.Region)}
	case l.Fingerprint() != f.Fingerprint:
		return &StaleError{Why: "the account changed since the plan was made " + f.Created.Format(time.RFC3339)}
	case !slices.Equal(stepIDs(p), f.Steps):
		return &StaleError{Why: "the plan computed now has other steps (a password change another run left, or time-dependent bookkeeping, changed since)"}
	}
	return nil
}
