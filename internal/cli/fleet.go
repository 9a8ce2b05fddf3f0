package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/template"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/account"
	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/fleet"
	"github.com/rciam/rciam/internal/iostreams"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/note"
	"github.com/rciam/rciam/internal/operator"
	"github.com/rciam/rciam/internal/organization"
	"github.com/rciam/rciam/internal/plan"
	"github.com/rciam/rciam/internal/policysource"
	"github.com/rciam/rciam/internal/rediscloud"
	"github.com/rciam/rciam/internal/view"
)

// fleetFlags are the flags that turn plan, apply, verify, outputs,
// register, rotate-key and destroy into a run over many accounts
// (docs/fleet.md).
type fleetFlags struct {
	spec         fleet.Spec
	assumeRole   string
	externalID   string
	parallel     int
	nameTemplate string
	// names is nameTemplate parsed, once, before any account runs.
	names *template.Template
}

// fleetOnly are the flags that mean something only beside targets.
var fleetOnly = []string{"exclude", "assume-role", "external-id", "parallel", "name-template"}

func (ff *fleetFlags) bind(cmd *cobra.Command, withNames bool) {
	fl := cmd.Flags()
	fl.StringSliceVar(&ff.spec.Accounts, "accounts", nil, "run on these AWS accounts (12-digit ids, comma-separated)")
	fl.StringVar(&ff.spec.AccountsFile, "accounts-file", "", "run on the accounts listed in FILE (one id a line, # comments)")
	fl.BoolVar(&ff.spec.Organization, "organization", false, "run on every ACTIVE account of the caller's organization")
	fl.StringArrayVar(&ff.spec.OUs, "ou", nil, "run on every ACTIVE account under this OU, nested OUs included (repeatable)")
	fl.StringSliceVar(&ff.spec.Exclude, "exclude", nil, "leave these accounts out of the targets")
	fl.StringVar(&ff.assumeRole, "assume-role", operator.DefaultMemberRole, "role assumed in each target account other than the caller's")
	fl.StringVar(&ff.externalID, "external-id", "", "external id to pass when assuming --assume-role")
	fl.IntVar(&ff.parallel, "parallel", 8, "accounts run at once, 1-64")
	if withNames {
		fl.StringVar(&ff.nameTemplate, "name-template", "{{.Name}}", "cloud account name of each AWS account: a Go template over .ID and .Name (the Organizations name, else the id)")
	}
}

// given reports a fleet run, after checking the flags that go with one.
func (ff *fleetFlags) given(cmd *cobra.Command) (bool, error) {
	if !ff.spec.Given() {
		for _, name := range fleetOnly {
			if f := cmd.Flags().Lookup(name); f != nil && f.Changed {
				return false, usageErrorf("--%s needs targets: give --accounts, --accounts-file, --organization or --ou", name)
			}
		}
		return false, nil
	}
	if ff.parallel < 1 || ff.parallel > 64 {
		return false, usageErrorf("invalid --parallel %d: give 1 to 64 accounts at once", ff.parallel)
	}
	if err := checkAssumeRole(ff.assumeRole); err != nil {
		return false, err
	}
	if err := ff.spec.Check(); err != nil {
		return false, &UsageError{Err: err}
	}
	return true, nil
}

// parseNames parses --name-template.
func (ff *fleetFlags) parseNames() error {
	t, err := template.New("name").Option("missingkey=error").Parse(ff.nameTemplate)
	if err != nil {
		return fmt.Errorf("invalid --name-template: %v", err)
	}
	ff.names = t
	return nil
}

// cloudAccountName renders the parsed --name-template for one account.
func (ff *fleetFlags) cloudAccountName(m fleet.Member) (string, error) {
	t := ff.names
	name := m.Name
	if name == "" {
		name = m.ID
	}
	var b bytes.Buffer
	if err := t.Execute(&b, struct{ ID, Name string }{m.ID, name}); err != nil {
		return "", fmt.Errorf("--name-template for account %s: %v", m.ID, err)
	}
	if strings.TrimSpace(b.String()) == "" {
		return "", fmt.Errorf("--name-template gives account %s an empty name", m.ID)
	}
	return b.String(), nil
}

// fleetJob is how one command runs over a fleet: its single-account run on
// each account's frame, and how to read that account's JSON result.
type fleetJob struct {
	command string
	// policy, when set, is resolved once for every account.
	policy *policyFlags
	// run is the command's run on one account (its output is JSON).
	run func(fr *frame) error
	// changed reads, from a result, whether the account changed (plan:
	// has changes pending).
	changed func(result []byte) bool
	// failure says why an account failed when its run printed a result
	// and no error (verify: the failing checks).
	failure func(result []byte) string
	// detail is the summary table's column for an account that did not fail.
	detail func(o fleet.Outcome) string
	// detailed: plan --detailed-exitcode.
	detailed bool
	// stopCode is the exit code of an account --timeout stopped (verify: 3).
	stopCode int
	// preview, for apply and destroy, prepares every account first, shows
	// the combined plan and asks once.
	preview *fleetPreview
}

// fleetPreview is apply's and destroy's first phase on every account.
type fleetPreview struct {
	// prepare reads the account and plans, returning what the second
	// phase applies and the account's change counts.
	prepare  func(fr *frame) (any, fleetCounts, error)
	question string
	yes      bool
}

type fleetCounts struct {
	create, update, delete int
	warnings               []string
	lines                  func(w io.Writer, style view.Style)
}

func (c fleetCounts) any() bool { return c.create+c.update+c.delete > 0 }

// fleetRun is one run of a command over many accounts.
type fleetRun struct {
	f      *Factory
	job    fleetJob
	ff     *fleetFlags
	ctx    context.Context
	reach  fleet.Reach
	org    *organization.Reader
	sel    *policysource.Selection
	redis  *rediscloud.Pacer
	warnMu sync.Mutex
}

// runFleet runs job on every target account.
func (f *Factory) runFleet(cmd *cobra.Command, ff *fleetFlags, job fleetJob) error {
	if f.Output != "text" && f.Output != "json" {
		return usageErrorf("--output %s is for one account: a fleet run prints text or json", f.Output)
	}
	ctx, cancel := f.withTimeout(cmd.Context())
	defer cancel()
	pfr := &frame{f: f, ctx: ctx, command: job.command, left: "nothing was changed"}
	fl, members, err := f.prepareFleet(pfr, ff, job)
	if err != nil {
		return pfr.end(err)
	}
	if job.preview != nil {
		return fl.twoPhase(members)
	}
	return fl.report(fl.each(members, nil))
}

// prepareFleet loads the caller's configuration, resolves the targets and
// the policy selection, once for every account.
func (f *Factory) prepareFleet(pfr *frame, ff *fleetFlags, job fleetJob) (*fleetRun, []fleet.Member, error) {
	ctx := pfr.ctx
	cfg, err := pfr.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	// Who the caller is, beside resolving the targets: one round less.
	type caller struct {
		out *sts.GetCallerIdentityOutput
		err error
	}
	callerRead := make(chan caller, 1)
	go func() {
		out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		callerRead <- caller{out, err}
	}()
	org := organization.New(organizations.NewFromConfig(cfg))
	members, resolveErr := fleet.Resolve(ctx, &ff.spec, org)
	c := <-callerRead
	if c.err != nil {
		return nil, nil, account.ExplainAWS(awsclient.Wrap("read the caller (sts:GetCallerIdentity)", c.err))
	}
	if resolveErr != nil {
		return nil, nil, resolveErr
	}
	who := c.out
	fl := &fleetRun{f: f, job: job, ff: ff, ctx: ctx, org: org,
		reach: fleet.Reach{Caller: cfg, CallerAccount: aws.ToString(who.Account), Partition: live.PartitionOf(aws.ToString(who.Arn)), Role: ff.assumeRole, ExternalID: ff.externalID},
		redis: rediscloud.NewPacer()}
	if job.policy != nil {
		sel, err := pfr.selection(job.policy)
		if err != nil {
			return nil, nil, err
		}
		fl.sel = &sel
	}
	if ff.nameTemplate != "" {
		if err := ff.parseNames(); err != nil {
			return nil, nil, &UsageError{Err: err}
		}
		for _, m := range members {
			if _, err := ff.cloudAccountName(m); err != nil {
				return nil, nil, &UsageError{Err: err}
			}
		}
	}
	f.Logf("%s on %d accounts, %d at once", job.command, len(members), ff.parallel)
	return fl, members, nil
}

// accountRun is one account's frame in a fleet run, and what its run
// printed.
type accountRun struct {
	fr             *frame
	stdout, stderr *bytes.Buffer
}

// frameFor makes the frame of one account: a factory of its own (its own
// AWS clients, retries and throttling), JSON output captured, credentials
// that reach the account, and the fleet's shared organization reader and
// policy selection.
func (fl *fleetRun) frameFor(ctx context.Context, m fleet.Member, creds aws.CredentialsProvider) *accountRun {
	f := fl.f
	stdout, stderr := &bytes.Buffer{}, &bytes.Buffer{}
	var errOut io.Writer = stderr
	if f.Verbose {
		errOut = io.MultiWriter(stderr, &prefixWriter{w: f.IO.ErrOut, prefix: m.ID + " "})
	}
	ios := iostreams.Captured(stdout, iostreams.Locked(errOut))
	child := &Factory{IO: ios, Output: "json", Timeout: f.Timeout, Profile: f.Profile, Region: f.Region, EndpointURL: f.EndpointURL,
		Verbose: f.Verbose, AllowRoot: f.AllowRoot, getenv: f.getenv, apiOptions: f.apiOptions, gateInterval: f.gateInterval,
		rotateAfter: f.rotateAfter, credentials: creds}
	if creds == nil {
		child.credentials = f.credentials
	}
	pacer := fl.redis
	child.redisTuning = func(o *rediscloud.Options) {
		if f.redisTuning != nil {
			f.redisTuning(o)
		}
		o.Pacer = pacer
	}
	fr := &frame{f: child, ctx: ctx, command: fl.job.command, stopCode: fl.job.stopCode, member: &m, org: fl.org, sel: fl.sel,
		expectAccount: m.ID}
	return &accountRun{fr: fr, stdout: stdout, stderr: stderr}
}

// prepared is what the first phase of apply or destroy made on one
// account: its frame (the second phase runs on it) and the plan.
type prepared struct {
	ar    *accountRun
	value any
}

// each runs the job on every member; with prepared (the second phase of
// apply or destroy), only on the members prepared, on their frames.
func (fl *fleetRun) each(members []fleet.Member, prep map[string]prepared) []fleet.Outcome {
	f := fl.f
	progress := &view.FleetProgress{W: f.IO.ErrOut, Terminal: f.IO.ErrTTY() && !f.JSON(), Style: view.Style{Color: f.IO.ColorEnabled()},
		Command: fl.job.command, Total: len(members)}
	if f.JSON() {
		progress.W = io.Discard
	}
	progress.Start()
	defer progress.Finish()
	return fleet.Run(fl.ctx, members, fl.ff.parallel, func(ctx context.Context, m fleet.Member) fleet.Outcome {
		if prep == nil {
			return fl.one(ctx, m, fl.job.run)
		}
		p := prep[m.ID]
		p.ar.fr.prepared = p.value
		return fl.finish(ctx, p.ar, fl.job.run)
	}, progress.Started, progress.Done)
}

// one runs fn on one account and reads its outcome.
func (fl *fleetRun) one(ctx context.Context, m fleet.Member, fn func(*frame) error) fleet.Outcome {
	creds, err := fl.reach.Credentials(ctx, m)
	if err != nil {
		return fl.unreached(ctx, err)
	}
	ar := fl.frameFor(ctx, m, creds)
	if err := fl.nameFor(ar.fr, m); err != nil {
		return fleet.Outcome{Status: fleet.Failed, ExitCode: exitError, Error: err.Error()}
	}
	return fl.finish(ctx, ar, fn)
}

// unreached is the outcome of an account whose role was not assumed.
func (fl *fleetRun) unreached(ctx context.Context, err error) fleet.Outcome {
	if ctx.Err() != nil {
		return fleet.Outcome{Status: fleet.Stopped, ExitCode: exitInterrupted, Error: "stopped before the role was assumed"}
	}
	code := exitError
	if fl.job.stopCode == 3 {
		code = 3 // verify: could not check this account
	}
	return fleet.Outcome{Status: fleet.Failed, ExitCode: code, Error: err.Error()}
}

// finish runs fn on an account's frame and reads its outcome.
func (fl *fleetRun) finish(ctx context.Context, ar *accountRun, fn func(*frame) error) fleet.Outcome {
	m := *ar.fr.member
	err := ar.fr.end(fn(ar.fr))
	code := exitCode(ar.fr.f.IO, nil, err, ctx)
	o := fleet.Outcome{ExitCode: code}
	if out := bytes.TrimSpace(ar.stdout.Bytes()); json.Valid(out) && len(out) > 0 {
		o.Result = json.RawMessage(out)
	}
	fl.warnings(m, ar.stderr.String())
	switch {
	case code == 0 || code == 2 && fl.job.detailed:
		o.Status = fleet.OK
		if code == 2 || fl.job.changed != nil && o.Result != nil && fl.job.changed(o.Result) {
			o.Status = fleet.Changes
		}
		o.ExitCode = 0
	case ctx.Err() != nil:
		o.Status, o.Error = fleet.Stopped, oneLine(err)
	default:
		o.Status, o.Error = fleet.Failed, oneLine(err)
		if o.Error == "" && fl.job.failure != nil && o.Result != nil {
			o.Error = fl.job.failure(o.Result)
		}
	}
	return o
}

// nameFor gives register its cloud account name.
func (fl *fleetRun) nameFor(fr *frame, m fleet.Member) error {
	if fl.ff.nameTemplate == "" {
		return nil
	}
	name, err := fl.ff.cloudAccountName(m)
	fr.cloudAccountName = name
	return err
}

// warnings passes on, in text mode, the warnings an account's run printed.
func (fl *fleetRun) warnings(m fleet.Member, stderr string) {
	if fl.f.JSON() || fl.f.Verbose {
		return
	}
	fl.warnMu.Lock()
	defer fl.warnMu.Unlock()
	view.FleetWarnings(fl.f.IO.ErrOut, m.ID, stderr, view.Style{Color: fl.f.IO.ColorEnabled()})
}

// report prints the outcomes and returns the run's exit code.
func (fl *fleetRun) report(os []fleet.Outcome) error {
	f := fl.f
	interrupted := fl.ctx.Err() != nil && !errors.Is(fl.ctx.Err(), context.DeadlineExceeded)
	if f.JSON() {
		if err := view.FleetJSON(f.IO.Out, fl.job.command, os); err != nil {
			return err
		}
	} else if err := view.FleetTable(f.IO.Out, os, fl.job.detail, view.Style{Color: f.IO.OutColorEnabled()}); err != nil {
		return err
	}
	code := fleet.ExitCode(os, interrupted, fl.job.detailed)
	if fl.ctx.Err() != nil && code == 0 {
		code = exitError // --timeout: accounts were stopped
	}
	switch {
	case interrupted:
		return &ExitError{Code: exitInterrupted, Err: fmt.Errorf("%s: interrupted; run %s again to finish the accounts stopped or not started", errCancelled, fl.job.command)}
	case fl.ctx.Err() != nil:
		return &ExitError{Code: code, Err: fmt.Errorf("%s stopped: --timeout %s reached; run %s again to finish the accounts stopped or not started", fl.job.command, f.Timeout, fl.job.command)}
	case code != 0:
		return &ExitError{Code: code}
	}
	return nil
}

// twoPhase is apply's and destroy's fleet run: prepare every account,
// show the combined plan, ask once, then apply each account's plan.
func (fl *fleetRun) twoPhase(members []fleet.Member) error {
	f, p := fl.f, fl.job.preview
	type preview struct {
		prepared
		counts fleetCounts
	}
	var mu sync.Mutex
	preps := map[string]preview{}
	first := fleet.Run(fl.ctx, members, fl.ff.parallel, func(ctx context.Context, m fleet.Member) fleet.Outcome {
		creds, err := fl.reach.Credentials(ctx, m)
		if err != nil {
			return fl.unreached(ctx, err)
		}
		ar := fl.frameFor(ctx, m, creds)
		v, c, err := p.prepare(ar.fr)
		if err = ar.fr.end(err); err != nil {
			st := fleet.Failed
			if ctx.Err() != nil {
				st = fleet.Stopped
			}
			return fleet.Outcome{Status: st, ExitCode: exitCode(ar.fr.f.IO, nil, err, ctx), Error: oneLine(err)}
		}
		mu.Lock()
		preps[m.ID] = preview{prepared{ar, v}, c}
		mu.Unlock()
		return fleet.Outcome{Status: fleet.OK}
	}, nil, nil)
	if fl.ctx.Err() != nil {
		return fl.report(first)
	}
	style := view.Style{Color: f.IO.ColorEnabled()}
	changes := false
	fmt.Fprintf(f.IO.ErrOut, "%s on %d accounts:\n\n", fl.job.command, len(members))
	for i, m := range members {
		pr, ok := preps[m.ID]
		if !ok {
			fmt.Fprintf(f.IO.ErrOut, "  %s  %s: %s\n", m.ID, style.Result(first[i].Status), first[i].Error)
			continue
		}
		changes = changes || pr.counts.any()
		fmt.Fprintf(f.IO.ErrOut, "  %s  %-24s %d to create, %d to update, %d to delete\n", m.ID, m.Name, pr.counts.create, pr.counts.update, pr.counts.delete)
		for _, w := range pr.counts.warnings {
			fmt.Fprintf(f.IO.ErrOut, "      %s %s\n", style.Warning(), w)
		}
		if f.Verbose && pr.counts.lines != nil {
			pr.counts.lines(f.IO.ErrOut, style)
		}
	}
	if changes && !p.yes {
		if err := f.IO.Confirm(fl.ctx, "\n"+p.question); err != nil {
			if fl.ctx.Err() != nil {
				return &ExitError{Code: exitInterrupted, Err: stopped("nothing was changed")}
			}
			return fmt.Errorf("%s cancelled: nothing was changed", fl.job.command)
		}
	}
	// The second phase runs on the accounts the first prepared; the others
	// keep their first outcome.
	var ready []fleet.Member
	prep := map[string]prepared{}
	for _, m := range members {
		if pr, ok := preps[m.ID]; ok {
			ready = append(ready, m)
			prep[m.ID] = pr.prepared
		}
	}
	done := map[string]fleet.Outcome{}
	for _, o := range fl.each(ready, prep) {
		done[o.Account] = o
	}
	second := make([]fleet.Outcome, len(members))
	for i, m := range members {
		if o, ok := done[m.ID]; ok {
			second[i] = o
		} else {
			second[i] = first[i]
		}
	}
	return fl.report(second)
}

// oneLine is an account's error as its one line (no "rciam: ").
func oneLine(err error) string {
	if err == nil {
		return ""
	}
	var exit *ExitError
	if errors.As(err, &exit) && exit.Err == nil {
		return ""
	}
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}

// prefixWriter writes each line with a prefix (-v output of one account).
type prefixWriter struct {
	w      io.Writer
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if _, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i]); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
}

// fleetOutcome is one account's outcome, as a job's detail column reads it.
type fleetOutcome = fleet.Outcome

// planCounts are a plan's counts and warnings for the combined plan.
func planCounts(p *plan.Plan) fleetCounts {
	c := fleetCounts{lines: func(w io.Writer, style view.Style) { view.PlanHuman(w, p, style) }}
	c.create, c.update, c.delete = p.Counts()
	for _, w := range p.Warnings {
		c.warnings = append(c.warnings, w.Short())
	}
	return c
}

// stepCount reads how many steps an apply's JSON lists.
func stepCount(result []byte) int {
	var r struct{ Steps []json.RawMessage }
	_ = json.Unmarshal(result, &r)
	return len(r.Steps)
}

// jsonCounts reads a plan's JSON counts.
func jsonCounts(result []byte) (create, update, del int) {
	var r struct {
		Counts struct{ Create, Update, Delete int }
	}
	_ = json.Unmarshal(result, &r)
	return r.Counts.Create, r.Counts.Update, r.Counts.Delete
}

// jsonField reads one top-level field of a result as text.
func jsonField(result []byte, name string) string {
	var r map[string]json.RawMessage
	if json.Unmarshal(result, &r) != nil || r[name] == nil {
		return ""
	}
	var s string
	if json.Unmarshal(r[name], &s) == nil {
		return s
	}
	return string(r[name])
}

// verifyChecks reads a verify result's checks.
func verifyChecks(result []byte) []struct{ ID, Resource, Status string } {
	var r struct {
		Checks []struct{ ID, Resource, Status string }
	}
	_ = json.Unmarshal(result, &r)
	return r.Checks
}

// failingChecks is a failed verify's one line: the failing checks.
func failingChecks(result []byte) string {
	var fails []string
	for _, c := range verifyChecks(result) {
		if c.Status == "fail" {
			fails = append(fails, c.ID+" ("+c.Resource+")")
		}
	}
	return note.Count(len(fails), "check") + " failed: " + strings.Join(fails, ", ")
}

// checkCounts is a passing verify's detail column.
func checkCounts(result []byte) string {
	pass, warn := 0, 0
	for _, c := range verifyChecks(result) {
		switch c.Status {
		case "pass":
			pass++
		case "warn":
			warn++
		}
	}
	return fmt.Sprintf("%d passed, %s", pass, note.Count(warn, "warning"))
}

// checkAssumeRole validates --assume-role: a role name, or path/name.
func checkAssumeRole(role string) error {
	if strings.TrimSpace(role) == "" || strings.ContainsAny(role, ":* ") {
		return usageErrorf("invalid --assume-role %q: give a role name (or path/name), e.g. OrganizationAccountAccessRole", role)
	}
	return nil
}
