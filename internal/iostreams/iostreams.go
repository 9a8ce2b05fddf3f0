// Package iostreams owns the three streams a command writes to and knows
// whether they are terminals: data goes to Out, status and errors to ErrOut,
// and colour or prompts appear only where a person is watching.
package iostreams

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"
)

// IOStreams is the set of streams a command uses. Every write goes through it.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	inTTY, outTTY, errTTY bool
	noColor, forceColor   bool
}

// System returns streams bound to the process's stdin, stdout and stderr.
func System() *IOStreams {
	return &IOStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: Locked(os.Stderr),
		inTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		outTTY: term.IsTerminal(int(os.Stdout.Fd())),
		errTTY: term.IsTerminal(int(os.Stderr.Fd())),
		// https://no-color.org: any non-empty NO_COLOR disables colour;
		// a dumb terminal has none.
		noColor: os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb",
		// CLICOLOR_FORCE (not "0") asks for colour where no terminal is
		// (a CI log that renders it).
		forceColor: os.Getenv("CLICOLOR_FORCE") != "" && os.Getenv("CLICOLOR_FORCE") != "0",
	}
}

// Test returns streams backed by buffers; none of them is a terminal.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: Locked(errOut)}, in, out, errOut
}

// Captured returns streams that write to out and errOut and read nothing:
// one account's run inside a fleet run. None of them is a terminal.
func Captured(out, errOut io.Writer) *IOStreams {
	return &IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut}
}

// ErrTTY reports whether stderr is a terminal (live progress lines).
func (s *IOStreams) ErrTTY() bool { return s.errTTY }

// lockedWriter serialises writes: progress and -v lines come from many
// goroutines at once.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// Locked returns w with its writes serialised.
func Locked(w io.Writer) io.Writer { return &lockedWriter{w: w} }

// SetTTY marks the streams as terminals (tests of prompting code).
func (s *IOStreams) SetTTY(in, out, errOut bool) { s.inTTY, s.outTTY, s.errTTY = in, out, errOut }

// SetNoColor turns colour off whatever the terminal supports.
func (s *IOStreams) SetNoColor(v bool) { s.noColor = s.noColor || v }

// CanPrompt reports whether a person can answer a question: stdin and stderr
// are both terminals.
func (s *IOStreams) CanPrompt() bool { return s.inTTY && s.errTTY }

// ColorEnabled reports whether ErrOut may carry ANSI colour: a terminal
// (or CLICOLOR_FORCE), and neither NO_COLOR, TERM=dumb nor --no-color.
func (s *IOStreams) ColorEnabled() bool { return (s.errTTY || s.forceColor) && !s.noColor }

// OutColorEnabled reports whether Out may carry ANSI colour.
func (s *IOStreams) OutColorEnabled() bool { return (s.outTTY || s.forceColor) && !s.noColor }

// ErrNotConfirmed is returned by Confirm when the answer was not "yes".
var ErrNotConfirmed = errors.New("not confirmed")

// Confirm asks question on ErrOut and accepts only the exact word "yes",
// as Terraform does. It must only be called when CanPrompt is true. When
// ctx ends first (Ctrl-C), it ends the prompt's line and returns ctx's
// error: the caller reports an interrupt, not a refusal.
func (s *IOStreams) Confirm(ctx context.Context, question string) error {
	fmt.Fprintf(s.ErrOut, "%s\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", question)
	answer := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(s.In).ReadString('\n')
		switch {
		case err != nil && !(errors.Is(err, io.EOF) && line != ""):
			answer <- ErrNotConfirmed
		case strings.TrimSpace(line) != "yes":
			answer <- ErrNotConfirmed
		default:
			answer <- nil
		}
	}()
	select {
	case err := <-answer:
		return err
	case <-ctx.Done():
		fmt.Fprintln(s.ErrOut)
		return ctx.Err()
	}
}

// Color wraps text in an ANSI colour code when colour is enabled for w.
func (s *IOStreams) Color(enabled bool, code, text string) string {
	if !enabled {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}
