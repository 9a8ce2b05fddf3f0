package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/rciam/rciam/internal/fleet"
	"github.com/rciam/rciam/internal/rediscloud"
	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/rcserver"
)

// needOrg skips without moto_server and returns a fresh organization.
func needOrg(t *testing.T, perOU ...int) *testenv.Organization {
	t.Helper()
	if moto == nil {
		t.Skip("moto_server not available")
	}
	return moto.NewOrganization(t, perOU...)
}

// ownMoto starts a moto_server for one test and stops it after.
func ownMoto(t *testing.T) *testenv.Moto {
	t.Helper()
	if moto == nil {
		t.Skip("moto_server not available")
	}
	m, err := testenv.StartMoto()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m
}

// fleetDoc is a fleet run's JSON, read independently of the view types.
type fleetDoc struct {
	Schema   int
	Command  string
	Accounts []struct {
		Account, Name, Status, Error string
		ExitCode                     int
		Seconds                      float64
		Result                       json.RawMessage
	}
	Summary map[string]int
}

func readFleet(t *testing.T, r result) fleetDoc {
	t.Helper()
	var d fleetDoc
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("fleet output is not JSON: %v\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return d
}

// statuses maps each account of a fleet document to its status.
func (d fleetDoc) statuses() map[string]string {
	m := map[string]string{}
	for _, a := range d.Accounts {
		m[a.Account] = a.Status
	}
	return m
}

// failing makes op fail, for one fleet member only, as AWS would refuse it.
func failing(account, op, code string) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("fail-"+op, func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if awsmiddleware.GetOperationName(ctx) == op && fleet.AccountOf(ctx) == account {
				return middleware.InitializeOutput{}, middleware.Metadata{}, &smithy.GenericAPIError{Code: code, Message: "injected: " + op + " refused for " + account}
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
	}
}

// An organization of 25 member accounts in 3 OUs: fleet apply converges
// every one (read back independently), a second plan changes nothing,
// verify passes, outputs lists each account without a secret, and destroy
// leaves nothing anywhere.
func TestFleetOrganization(t *testing.T) {
	t.Parallel()
	org := needOrg(t, 9, 8, 8)
	mgmt := org.Management
	all := []string{"--organization", "--exclude", mgmt.ID}

	planned := readFleet(t, rciam(t, mgmt, runOpts{}, append([]string{"plan", "--output", "json"}, all...)...).mustCode(t, 0))
	if planned.Command != "plan" || planned.Schema != 1 || len(planned.Accounts) != 25 || planned.Summary["changes"] != 25 {
		t.Fatalf("plan: %+v", planned.Summary)
	}
	for _, a := range planned.Accounts {
		if a.Name != org.Names[a.Account] {
			t.Errorf("account %s named %q, want %q", a.Account, a.Name, org.Names[a.Account])
		}
	}

	applied := readFleet(t, rciam(t, mgmt, runOpts{}, append([]string{"apply", "--yes", "--output", "json", "--parallel", "8"}, all...)...).mustCode(t, 0))
	if applied.Summary["changes"] != 25 || applied.Summary["accounts"] != 25 {
		t.Fatalf("apply: %+v", applied.Summary)
	}
	keys := map[string]testenv.SpecState{}
	for _, id := range org.AllMembers() {
		keys[id] = testenv.CheckSpec(t, moto, org.Member(t, id), testenv.Spec{})
	}

	again := rciam(t, mgmt, runOpts{}, append([]string{"plan", "--detailed-exitcode"}, all...)...).mustCode(t, 0)
	if !strings.Contains(again.stdout, "25 accounts: 25 ok, 0 with changes, 0 failed, 0 stopped, 0 not started") {
		t.Errorf("second plan:\n%s", again.stdout)
	}
	verified := readFleet(t, rciam(t, mgmt, runOpts{}, append([]string{"verify", "--output", "json"}, all...)...).mustCode(t, 0))
	if verified.Summary["ok"] != 25 {
		t.Errorf("verify: %+v", verified.Summary)
	}

	out := rciam(t, mgmt, runOpts{}, append([]string{"outputs", "--output", "json"}, all...)...).mustCode(t, 0)
	outs := readFleet(t, out)
	for _, a := range outs.Accounts {
		var o map[string]string
		_ = json.Unmarshal(a.Result, &o)
		st := keys[a.Account]
		if o["accessKeyId"] != st.KeyID || !strings.HasPrefix(o["accessSecretKey"], "arn:aws:secretsmanager:") || o["consoleUsername"] != "redislabs-user" {
			t.Errorf("outputs of %s: %v", a.Account, o)
		}
		if strings.Contains(out.stdout, st.KeySecret) || strings.Contains(out.stdout, st.Password) {
			t.Errorf("outputs printed a secret of %s", a.Account)
		}
	}

	destroyed := readFleet(t, rciam(t, mgmt, runOpts{}, append([]string{"destroy", "--yes", "--output", "json"}, all...)...).mustCode(t, 0))
	if destroyed.Summary["changes"] != 25 {
		t.Errorf("destroy: %+v", destroyed.Summary)
	}
	for _, id := range org.AllMembers() {
		expectNothingLeft(t, org.Member(t, id))
	}
}

// One account whose role cannot be assumed and one whose apply fails part
// way: both are reported with the reason, every other account converges,
// the exit code is 1 and the JSON and summary agree; the next run finishes
// the failed ones.
func TestFleetFailuresAreIsolated(t *testing.T) {
	t.Parallel()
	org := needOrg(t, 6)
	mgmt, ou := org.Management, org.OUs[0]
	members := org.Members[ou]
	noRole, breaks := members[1], members[4]
	opts := runOpts{apiOptions: []func(*middleware.Stack) error{
		failing(noRole, "AssumeRole", "AccessDenied"),
		failing(breaks, "CreateLoginProfile", "AccessDenied"),
	}}
	res := rciam(t, mgmt, opts, "apply", "--ou", ou, "--yes", "--output", "json").mustCode(t, 1)
	d := readFleet(t, res)
	if d.Summary["failed"] != 2 || d.Summary["changes"] != 4 || d.Summary["accounts"] != 6 {
		t.Fatalf("summary %+v", d.Summary)
	}
	for _, a := range d.Accounts {
		switch a.Account {
		case noRole:
			if a.Status != "failed" || a.ExitCode != 1 || !strings.Contains(a.Error, "cannot assume arn:aws:iam::"+noRole+":role/OrganizationAccountAccessRole") || !strings.Contains(a.Error, "access denied") || !strings.Contains(a.Error, "sts:AssumeRole") {
				t.Errorf("unassumable account: %+v", a)
			}
		case breaks:
			if a.Status != "failed" || a.ExitCode != 1 || !strings.Contains(a.Error, "CreateLoginProfile") || len(a.Result) == 0 {
				t.Errorf("failing account: %+v", a)
			}
		default:
			if a.Status != "changes" || a.Error != "" {
				t.Errorf("account %s: %+v", a.Account, a)
			}
		}
	}

	text := rciam(t, mgmt, opts, "apply", "--ou", ou, "--yes").mustCode(t, 1)
	if !strings.Contains(text.stdout, "6 accounts: 4 ok, 0 with changes, 2 failed") || !strings.Contains(text.stdout, "cannot assume") {
		t.Errorf("text summary:\n%s", text.stdout)
	}

	fixed := readFleet(t, rciam(t, mgmt, runOpts{}, "apply", "--ou", ou, "--yes", "--output", "json").mustCode(t, 0))
	if st := fixed.statuses(); st[noRole] != "changes" || st[breaks] != "changes" || fixed.Summary["ok"] != 4 {
		t.Errorf("the next run: %v", st)
	}
	for _, id := range []string{noRole, breaks} {
		testenv.CheckSpec(t, moto, org.Member(t, id), testenv.Spec{})
	}
}

// An SCP denying ec2:RunInstances on one OU and an RCP denying
// sts:AssumeRole to principals outside the organization on another: verify
// fails exactly the accounts under them, naming policy, target and
// statement; accounts elsewhere pass.
func TestFleetGuardrails(t *testing.T) {
	t.Parallel()
	org := needOrg(t, 2, 2, 2)
	mgmt := org.Management
	all := []string{"--organization", "--exclude", mgmt.ID}
	rciam(t, mgmt, runOpts{}, append([]string{"apply", "--yes"}, all...)...).mustCode(t, 0)

	ctx := context.Background()
	c := organizations.NewFromConfig(mgmt.Config())
	for _, pt := range []orgtypes.PolicyType{orgtypes.PolicyTypeServiceControlPolicy, orgtypes.PolicyTypeResourceControlPolicy} {
		if _, err := c.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(org.Root), PolicyType: pt}); err != nil {
			t.Fatal(err)
		}
	}
	attach := func(pt orgtypes.PolicyType, name, doc, target string) string {
		p, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Type: pt, Name: aws.String(name), Description: aws.String(name), Content: aws.String(doc)})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(p.Policy.PolicySummary.Id)
		if _, err := c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(id), TargetId: aws.String(target)}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	scp := attach(orgtypes.PolicyTypeServiceControlPolicy, "NoLaunch",
		`{"Version":"2012-10-17","Statement":[{"Sid":"NoLaunch","Effect":"Deny","Action":"ec2:RunInstances","Resource":"*"}]}`, org.OUs[0])
	rcp := attach(orgtypes.PolicyTypeResourceControlPolicy, "DataPerimeter",
		`{"Version":"2012-10-17","Statement":[{"Sid":"EnforceOrgIdentities","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*",
		  "Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"`+org.ID+`"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`, org.OUs[1])

	d := readFleet(t, rciam(t, mgmt, runOpts{}, append([]string{"verify", "--output", "json"}, all...)...).mustCode(t, 1))
	under := map[string]string{}
	for i, ou := range org.OUs {
		for _, id := range org.Members[ou] {
			under[id] = []string{"scp", "rcp", ""}[i]
		}
	}
	for _, a := range d.Accounts {
		var r struct {
			Checks []struct{ ID, Resource, Status, Message string }
		}
		_ = json.Unmarshal(a.Result, &r)
		var fails []string
		for _, ch := range r.Checks {
			if ch.Status == "fail" {
				fails = append(fails, ch.ID)
				want := map[string]string{
					"scp": fmt.Sprintf(`SCP NoLaunch (%s), attached to OU %s, statement "NoLaunch" denies ec2:RunInstances`, scp, org.OUs[0]),
					"rcp": fmt.Sprintf(`RCP DataPerimeter (%s), attached to OU %s, statement "EnforceOrgIdentities" denies sts:AssumeRole`, rcp, org.OUs[1]),
				}[ch.ID]
				if want == "" || !strings.Contains(ch.Message, want) || !strings.Contains(ch.Message, "only the organization's administrators can change it") ||
					ch.Resource != "organization-policy/"+map[string]string{"scp": scp, "rcp": rcp}[ch.ID] {
					t.Errorf("account %s: check %+v", a.Account, ch)
				}
			}
		}
		if got := strings.Join(fails, ","); got != under[a.Account] {
			t.Errorf("account %s fails %q, want %q", a.Account, got, under[a.Account])
		}
		if want := map[bool]string{true: "failed", false: "ok"}[under[a.Account] != ""]; a.Status != want {
			t.Errorf("account %s: status %s, want %s", a.Account, a.Status, want)
		}
	}
}

// Ctrl-C during a fleet apply: exit 130 promptly; the JSON says which
// accounts were done, stopped or not started; the next run converges all,
// each with one key whose secret is stored.
func TestFleetInterrupt(t *testing.T) {
	t.Parallel()
	org := needOrg(t, 8)
	mgmt, ou := org.Management, org.OUs[0]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	var stoppedAt time.Time
	slow := func(s *middleware.Stack) error {
		return s.Finalize.Add(middleware.FinalizeMiddlewareFunc("slow", func(c context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleFinalize(c, in)
			if awsmiddleware.GetOperationName(c) == "CreateAccessKey" && err == nil {
				// The first key made anywhere: stop the run there.
				once.Do(func() { stoppedAt = time.Now(); cancel() })
			}
			time.Sleep(20 * time.Millisecond)
			return out, md, err
		}), middleware.After)
	}
	res := rciam(t, mgmt, runOpts{ctx: ctx, apiOptions: []func(*middleware.Stack) error{slow}}, "apply", "--ou", ou, "--yes", "--parallel", "2", "--output", "json")
	if res.code != 130 {
		t.Fatalf("exit %d, want 130\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if took := time.Since(stoppedAt); took > 5*time.Second {
		t.Errorf("the run took %s to stop", took)
	}
	d := readFleet(t, res)
	if d.Summary["accounts"] != 8 || d.Summary["stopped"] < 1 || d.Summary["skipped"] < 1 || d.Summary["stopped"]+d.Summary["skipped"]+d.Summary["changes"] != 8 {
		t.Errorf("after Ctrl-C: %+v", d.Summary)
	}
	lines := strings.Split(strings.TrimSpace(res.stderr), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "interrupted") || !strings.Contains(last, "run apply again") {
		t.Errorf("last stderr line %q", last)
	}

	again := readFleet(t, rciam(t, mgmt, runOpts{}, "apply", "--ou", ou, "--yes", "--output", "json").mustCode(t, 0))
	if again.Summary["failed"] != 0 {
		t.Errorf("the next run: %+v", again.Summary)
	}
	for _, id := range org.Members[ou] {
		testenv.CheckSpec(t, moto, org.Member(t, id), testenv.Spec{}) // one key, its secret stored
	}
}

// Fleet register: one cloud account per AWS account, named by
// --name-template; a rerun creates nothing.
func TestFleetRegister(t *testing.T) {
	t.Parallel()
	org := needOrg(t, 3)
	mgmt, ou := org.Management, org.OUs[0]
	srv := redisServer(t, rcserver.Options{})
	opts := withRedis(srv)
	rciam(t, mgmt, runOpts{}, "apply", "--ou", ou, "--yes").mustCode(t, 0)
	d := readFleet(t, rciam(t, mgmt, opts, "register", "--ou", ou, "--name-template", "redis-{{.Name}}-{{.ID}}", "--output", "json").mustCode(t, 0))
	if d.Summary["ok"] != 3 {
		t.Fatalf("register: %+v", d.Summary)
	}
	named := map[string]bool{}
	for _, a := range srv.Accounts() {
		named[a.Name] = true
	}
	for _, id := range org.Members[ou] {
		if !named["redis-"+org.Names[id]+"-"+id] {
			t.Errorf("no cloud account for %s among %v", id, named)
		}
	}
	before := len(srv.Accounts())
	rciam(t, mgmt, opts, "register", "--ou", ou).mustCode(t, 0)
	if after := len(srv.Accounts()); after != before {
		t.Errorf("a second register made %d cloud accounts", after-before)
	}
}

// Bad fleet input: one line each, exit 1, and no AWS write.
func TestFleetBadInput(t *testing.T) {
	t.Parallel()
	org := needOrg(t, 1)
	mgmt := org.Management
	plain := testenv.NeedMoto(t, moto) // an account in no organization
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("# none yet\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		acct *testenv.Account
		args []string
		want string
	}{
		{mgmt, []string{"apply", "--yes", "--accounts", "12345"}, `invalid account id "12345" in --accounts`},
		{mgmt, []string{"apply", "--yes", "--accounts-file", empty}, "lists no account ids"},
		{mgmt, []string{"apply", "--yes", "--accounts-file", filepath.Join(dir, "none")}, "no such file or directory"},
		{mgmt, []string{"apply", "--yes", "--ou", "ou-zzzz-00000000"}, "--ou ou-zzzz-00000000: no such organizational unit"},
		{plain, []string{"apply", "--yes", "--organization"}, "--organization: the caller's account is not in an AWS organization"},
		{mgmt, []string{"apply", "--yes", "--organization", "--parallel", "0"}, "invalid --parallel 0"},
		{mgmt, []string{"apply", "--yes", "--parallel", "4"}, "--parallel needs targets"},
		{mgmt, []string{"register", "--organization", "--name", "x"}, "--name names one cloud account"},
		{mgmt, []string{"plan", "--organization", "--out", filepath.Join(dir, "p")}, "--out saves one account's plan"},
		{mgmt, []string{"verify", "--organization", "--output", "sarif"}, "--output sarif is for one account"},
		{mgmt, []string{"register", "--organization", "--name-template", "{{.Nope}}"}, "--name-template"},
		{mgmt, []string{"stackset", "deploy", "--yes"}, "stackset deploy needs targets"},
		{mgmt, []string{"stackset", "deploy", "--yes", "--ou", "ou-ab12-11111111", "--accounts", mgmt.ID}, "exclude each other"},
		{mgmt, []string{"stackset", "deploy", "--yes", "--ou", "ou-ab12-11111111", "--permission-model", "self-managed"}, "a self-managed StackSet targets accounts"},
		{mgmt, []string{"stackset", "deploy", "--yes", "--accounts", mgmt.ID, "--permission-model", "org"}, `invalid --permission-model "org"`},
		{mgmt, []string{"stackset", "deploy", "--accounts", mgmt.ID}, "stdin is not a terminal: pass --yes"},
		{mgmt, []string{"stackset", "status", "--stack-set-name", "none"}, "no StackSet none in this account and region"},
	} {
		res := rciam(t, tc.acct, runOpts{}, tc.args...)
		if res.code != 1 {
			t.Errorf("%v: exit %d, want 1\n%s", tc.args, res.code, res.stderr)
		}
		res.oneLine(t, tc.want)
		if w := writes(res.calls); len(w) != 0 {
			t.Errorf("%v wrote %v", tc.args, w)
		}
	}
	// The caller's own account is reached directly, never by a role.
	var assumed []string
	spy := func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("spy", func(c context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if in, ok := in.Parameters.(*sts.AssumeRoleInput); ok {
				assumed = append(assumed, aws.ToString(in.RoleArn))
			}
			return next.HandleInitialize(c, in)
		}), middleware.Before)
	}
	rciam(t, mgmt, runOpts{apiOptions: []func(*middleware.Stack) error{spy}}, "plan", "--accounts", mgmt.ID).mustCode(t, 0)
	if len(assumed) != 0 {
		t.Errorf("the caller's own account was reached through %v", assumed)
	}
}

// Fleet register and rotate-key share one pair of Redis Cloud API keys and
// so one rate limit: every account is registered and moved to its new key
// without downtime, with never more than rediscloud.MaxInFlight requests
// at the API at once and none refused. (How a fleet holds together on a
// 429 is internal/rediscloud's TestPacer; the test server's window is a
// minute, as the API's, so exceeding it here would cost a minute.)
func TestFleetRotateKeyWithinRateLimit(t *testing.T) {
	t.Parallel()
	org := needOrg(t, 6)
	mgmt, ou := org.Management, org.OUs[0]
	srv := redisServer(t, rcserver.Options{Latency: 30 * time.Millisecond})
	opts := withRedis(srv)
	rciam(t, mgmt, runOpts{}, "apply", "--ou", ou, "--yes").mustCode(t, 0)
	rciam(t, mgmt, opts, "register", "--ou", ou, "--parallel", "6").mustCode(t, 0)
	d := readFleet(t, rciam(t, mgmt, opts, "rotate-key", "--ou", ou, "--parallel", "6", "--output", "json").mustCode(t, 0))
	if d.Summary["changes"] != 6 {
		t.Fatalf("rotate-key: %+v", d.Summary)
	}
	held := map[string]bool{}
	for _, a := range srv.Accounts() {
		held[a.AccessKeyID] = true
	}
	for _, id := range org.Members[ou] {
		st := testenv.CheckSpec(t, moto, org.Member(t, id), testenv.Spec{}) // one key: the old one is gone
		if !held[st.KeyID] {
			t.Errorf("account %s: Redis Cloud does not hold its key %s", id, st.KeyID)
		}
	}
	for _, r := range srv.Requests() {
		if r.Status == http.StatusTooManyRequests {
			t.Errorf("%s %s was refused (429)", r.Method, r.Path)
		}
	}
	if peak := srv.PeakInFlight(); peak != rediscloud.MaxInFlight {
		t.Errorf("at most %d requests at once at the API, want %d (6 accounts, each slowed by the API)", peak, rediscloud.MaxInFlight)
	}
}
