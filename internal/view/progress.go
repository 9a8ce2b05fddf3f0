package view

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/rciam/rciam/internal/apply"
	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/note"
	"github.com/rciam/rciam/internal/plan"
)

// Progress reports apply and destroy steps on stderr as they finish.
type Progress struct {
	W     io.Writer
	Style Style
	mu    sync.Mutex
	start map[string]time.Time
}

func (p *Progress) StepStart(s plan.Step) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.start == nil {
		p.start = map[string]time.Time{}
	}
	p.start[s.ID] = time.Now()
}

func (p *Progress) StepDone(s plan.Step, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := time.Since(p.start[s.ID]).Round(time.Millisecond)
	if err != nil {
		fmt.Fprintf(p.W, "  %s %s %s: %s\n", p.Style.paint("31", "✗"), s.Op, Human(s.Address), awsclient.Short(err))
		return
	}
	fmt.Fprintf(p.W, "  %s %s %s (%s)\n", p.Style.paint("32", "✓"), s.Op, Human(s.Address), d)
}

// Summary writes what a run did and did not do.
func Summary(w io.Writer, res *apply.Result) {
	parts := []string{note.Count(len(res.Done), "step") + " done", fmt.Sprintf("%d failed", len(res.Failed))}
	if len(res.Cancelled) > 0 {
		parts = append(parts, fmt.Sprintf("%d cancelled", len(res.Cancelled)))
	}
	parts = append(parts, fmt.Sprintf("%d not run", len(res.Skipped)))
	fmt.Fprintf(w, "%s.\n", strings.Join(parts, ", "))
	for _, s := range res.Cancelled {
		fmt.Fprintf(w, "  cancelled: %s %s\n", s.Op, Human(s.Address))
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(w, "  not run: %s %s\n", s.Op, Human(s.Address))
	}
}
