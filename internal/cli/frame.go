package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/smithy-go/middleware"
	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/account"
	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/fleet"
	"github.com/rciam/rciam/internal/organization"
	"github.com/rciam/rciam/internal/policysource"
	"github.com/rciam/rciam/internal/rediscloud"
	"github.com/rciam/rciam/internal/rotate"
)

// frame is one command run: its context, bounded by --timeout and Ctrl-C;
// the AWS account it targets, made on first use (offline commands never
// touch AWS configuration); policy selection under that context; and the
// stop line when the context ends the run.
type frame struct {
	f       *Factory
	ctx     context.Context
	command string
	// left says what a stopped run leaves ("" for "what was done is
	// kept"): read-only commands say "nothing was changed".
	left string
	// stopCode is the exit code of a run --timeout stops (verify: 3,
	// "could not check"); Ctrl-C is always 130.
	stopCode int
	rec      *awsclient.Recorder
	acct     *account.Target
	// apiURL is --api-url for commands that reach Redis Cloud.
	apiURL string

	// On the frame of one account of a fleet run (docs/fleet.md):
	// member is the account; expectAccount the account the credentials
	// must reach; org the fleet's organization reader (the caller's
	// credentials); sel the policy selection made once for every account;
	// prepared what the first phase of apply or destroy prepared; and
	// cloudAccountName register's name from --name-template.
	member           *fleet.Member
	expectAccount    string
	org              *organization.Reader
	sel              *policysource.Selection
	prepared         any
	cloudAccountName string
}

// frameOptions say how a command's run frame reports a stop.
type frameOptions struct {
	readOnly bool // "nothing was changed"
	stopCode int  // exit code on --timeout (0: 1)
}

// run binds a command's run function to a frame: the context is bounded by
// --timeout, and an error the context caused becomes the stop line.
func (f *Factory) run(cmd *cobra.Command, o frameOptions, fn func(*frame) error) error {
	ctx, cancel := f.withTimeout(cmd.Context())
	defer cancel()
	fr := &frame{f: f, ctx: ctx, command: cmd.CommandPath()[len("rciam "):], stopCode: o.stopCode}
	if o.readOnly {
		fr.left = "nothing was changed"
	}
	return fr.end(fn(fr))
}

// withTimeout bounds a command's whole run by --timeout.
func (f *Factory) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, f.Timeout)
}

// end turns an error the run's context caused (Ctrl-C, --timeout) into
// the stop line, naming the limit and the last error AWS answered, which
// the deadline hid; a command that knows better what it left passes a
// *stopError of its own, which is completed the same way.
func (fr *frame) end(err error) error {
	if err == nil || fr.ctx.Err() == nil {
		return err
	}
	var se *stopError
	if !errors.As(err, &se) {
		se = &stopError{left: fr.left}
		if tellsWhere(err) {
			se.detail = err.Error()
		}
	}
	se.command = fr.command
	se.timeout = errors.Is(fr.ctx.Err(), context.DeadlineExceeded)
	se.limit, se.code = fr.f.Timeout, fr.stopCode
	if fr.rec != nil {
		if c, ok := fr.rec.LastError(); ok {
			se.lastAWS = strings.ToLower(c.Service) + " " + c.Operation + ": " + awsclient.Short(c.Err)
		}
	}
	return se
}

// tellsWhere reports an error that says more about where a stopped run
// left things than the stop line would: a Redis Cloud wait (its last
// status), a rotation that rolled back or forward.
func tellsWhere(err error) bool {
	var we *rediscloud.WaitError
	return errors.As(err, &we) || errors.Is(err, rotate.ErrRolledBack) || errors.Is(err, rotate.ErrForward)
}

// declined is the answer to a question that was not "yes": a refusal, or
// Ctrl-C while it was asked (then the stop line, exit 130).
func (fr *frame) declined(err error, command string) error {
	if fr.ctx.Err() != nil {
		return stopped("nothing was changed")
	}
	return fmt.Errorf("%s cancelled: nothing was changed", command)
}

// stopped is the stop line of a command that knows what it left.
func stopped(left string) error { return &stopError{left: left} }

// stopError is a command stopped by Ctrl-C or --timeout before it finished.
type stopError struct {
	command string
	timeout bool
	left    string
	// detail is the command's own account of where it stopped, when it
	// says more than left (rotate-key: rolled back or forward).
	detail  string
	limit   time.Duration
	lastAWS string
	code    int
}

func (e *stopError) Error() string {
	left := e.left
	if left == "" {
		left = "what was done is kept"
	}
	if e.detail != "" {
		left = e.detail + "; " + left
	}
	if !e.timeout {
		return fmt.Sprintf("%s: %s; run %s again to finish", errCancelled, left, e.command)
	}
	msg := e.command + " stopped: --timeout " + e.limit.String() + " reached"
	if e.lastAWS != "" {
		msg += "; last AWS error: " + e.lastAWS
	}
	return msg + "; " + left + ": run " + e.command + " again to finish"
}

// Unwrap makes a Ctrl-C exit 130 and a timeout exit 1 (or the command's
// own code).
func (e *stopError) Unwrap() error {
	if e.timeout {
		return context.DeadlineExceeded
	}
	return errCancelled
}

// target checks the layout flag, then returns the run's target account.
func (fr *frame) target(lf *layoutFlag) (*account.Target, desired.Layout, error) {
	layout, err := lf.get()
	if err != nil {
		return nil, "", err
	}
	t, err := fr.account()
	return t, layout, err
}

// account returns the run's target account, loading the AWS configuration
// on first use.
func (fr *frame) account() (*account.Target, error) {
	if fr.acct != nil {
		return fr.acct, nil
	}
	f := fr.f
	cfg, err := fr.loadConfig()
	if err != nil {
		return nil, err
	}
	t := account.New(cfg)
	t.Organization, t.ExpectAccount = fr.org, fr.expectAccount
	if t.Organization == nil {
		t.Organization = organization.New(organizations.NewFromConfig(cfg))
	}
	t.AllowRoot, t.Logf, t.GateInterval, t.RotateAfter = f.AllowRoot, f.Logf, f.gateInterval, f.rotateAfter
	t.Notef = func(format string, args ...any) { fmt.Fprintf(f.IO.ErrOut, format+"\n", args...) }
	t.RedisCloud = func() (*rediscloud.Client, error) {
		cfg, err := rediscloud.LoadConfig(fr.apiURL, f.getenv)
		if err != nil {
			return nil, err
		}
		o := rediscloud.Options{Logf: f.Logf}
		if f.redisTuning != nil {
			f.redisTuning(&o)
		}
		return rediscloud.New(cfg, o)
	}
	fr.acct = t
	return t, nil
}

// selection returns the selected policy documents, fetched under the run's
// context. A fetch that fails is not an error: the cache or bundled
// docs-v1 stands in, and one line on stderr says which and why.
func (fr *frame) selection(p *policyFlags) (policysource.Selection, error) {
	if fr.sel != nil {
		return *fr.sel, nil
	}
	sel, err := p.selection(fr.ctx)
	if err != nil {
		return sel, err
	}
	if sel.Note != "" {
		// Said once here; the plan header names the source actually used.
		fmt.Fprintf(fr.f.IO.ErrOut, "warning: %s\n", sel.Note)
		sel.Note = ""
	}
	return sel, nil
}

// loadConfig loads the AWS configuration of the run's flags, every call
// recorded (fr.rec) and, with -v, logged.
func (fr *frame) loadConfig() (aws.Config, error) {
	f := fr.f
	fr.rec = &awsclient.Recorder{}
	if f.Verbose {
		fr.rec.OnCall = func(c awsclient.Call) {
			status := "ok"
			if c.Err != nil {
				if status = awsclient.ErrorCode(c.Err); status == "" {
					status = "error"
				}
			}
			f.Logf("aws %s %s %s (%s)", strings.ToLower(c.Service), c.Operation, status, c.End.Sub(c.Start).Round(time.Millisecond))
		}
	}
	opts := append([]func(*middleware.Stack) error{fr.rec.APIOption}, f.apiOptions...)
	return awsclient.Load(fr.ctx, awsclient.Options{Profile: f.Profile, Region: f.Region, EndpointURL: f.EndpointURL, APIOptions: opts, Credentials: f.credentials})
}
