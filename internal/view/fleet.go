package view

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/rciam/rciam/internal/fleet"
	"github.com/rciam/rciam/internal/note"
)

// Fleet is a fleet run's JSON (docs/fleet.md): one outcome per account,
// sorted by account id, and the counts.
type Fleet struct {
	Schema   int             `json:"schema"`
	Command  string          `json:"command"`
	Accounts []fleet.Outcome `json:"accounts"`
	Summary  fleet.Summary   `json:"summary"`
}

// FleetJSON writes a fleet run's JSON.
func FleetJSON(w io.Writer, command string, os []fleet.Outcome) error {
	if os == nil {
		os = []fleet.Outcome{}
	}
	return WriteJSON(w, Fleet{Schema: Schema, Command: command, Accounts: os, Summary: fleet.Summarize(os)})
}

// FleetTable writes the summary table: account, name, result, what changed
// or failed, seconds; then the counts.
func FleetTable(w io.Writer, os []fleet.Outcome, detail func(fleet.Outcome) string, style Style) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tNAME\tRESULT\tDETAIL\tSECONDS")
	for _, o := range os {
		d := o.Error
		if d == "" && detail != nil && o.Status != fleet.Skipped {
			d = detail(o)
		}
		name := o.Name
		if name == "" {
			name = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.1f\n", o.Account, name, style.Result(o.Status), d, o.Seconds)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := fleet.Summarize(os)
	_, err := fmt.Fprintf(w, "\n%s: %d ok, %d with changes, %d failed, %d stopped, %d not started\n",
		note.Count(s.Accounts, "account"), s.OK, s.Changes, s.Failed, s.Stopped, s.Skipped)
	return err
}

// Result paints a fleet status.
func (s Style) Result(st fleet.Status) string {
	code := map[fleet.Status]string{fleet.OK: "32", fleet.Changes: "33", fleet.Failed: "31", fleet.Stopped: "31", fleet.Skipped: "2"}[st]
	return s.paint(code, string(st))
}

// FleetProgress shows a fleet run as it goes: on a terminal one line,
// rewritten (done, failed, running, elapsed); elsewhere a line per account
// as it ends.
type FleetProgress struct {
	W        io.Writer
	Terminal bool
	Style    Style
	Command  string
	Total    int

	mu                    sync.Mutex
	start                 time.Time
	running, done, failed int
	stop                  chan struct{}
	stopped               sync.WaitGroup
}

// Start begins the progress line (a terminal only).
func (p *FleetProgress) Start() {
	p.start = time.Now()
	if !p.Terminal {
		return
	}
	p.stop = make(chan struct{})
	p.stopped.Add(1)
	go func() {
		defer p.stopped.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				p.line()
				p.mu.Unlock()
			}
		}
	}()
}

// line rewrites the terminal line; p.mu is held.
func (p *FleetProgress) line() {
	el := time.Since(p.start).Round(time.Second)
	fmt.Fprintf(p.W, "\r\x1b[K%s: %d/%d done, %d failed, %d running, %s", p.Command, p.done, p.Total, p.failed, p.running, el)
}

// Started counts an account that started.
func (p *FleetProgress) Started(fleet.Member) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running++
}

// Done reports an account that ended.
func (p *FleetProgress) Done(o fleet.Outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if o.Status != fleet.Skipped {
		p.running--
	}
	p.done++
	if o.Status == fleet.Failed || o.Status == fleet.Stopped {
		p.failed++
	}
	if p.Terminal {
		p.line()
		return
	}
	name := o.Name
	if name != "" {
		name = " (" + name + ")"
	}
	line := fmt.Sprintf("%s%s %s %.1fs", o.Account, name, p.Style.Result(o.Status), o.Seconds)
	if o.Error != "" {
		line += ": " + o.Error
	}
	fmt.Fprintln(p.W, line)
}

// Finish ends the progress line.
func (p *FleetProgress) Finish() {
	if !p.Terminal {
		return
	}
	close(p.stop)
	p.stopped.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line()
	fmt.Fprintln(p.W)
}

// FleetWarnings writes the warnings an account's run printed, each
// prefixed by the account, with the indented lines that continue one (a
// list of missing permissions).
func FleetWarnings(w io.Writer, account string, stderr string, style Style) {
	in := false
	for _, l := range strings.Split(stderr, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "warning: "); ok {
			fmt.Fprintf(w, "%s %s %s\n", account, style.Warning(), rest)
			in = true
			continue
		}
		if in = in && strings.HasPrefix(l, "  ") && strings.TrimSpace(l) != ""; in {
			fmt.Fprintf(w, "%s %s\n", account, l)
		}
	}
}
