package faults_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/faults"
)

func TestAfterEffectHook(t *testing.T) {
	p, raw, _ := setup(t)
	ctx := context.Background()
	type seen struct {
		seq    int
		action string
	}
	var mu sync.Mutex
	var calls []seen
	p.AfterEffect(func(seq int, r faults.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, seen{seq, r.Action})
		return seq == 3 // the third request: CreateUser
	})
	p.SetRule(on(faults.Throttle, 1, "ListUsers")) // answered by the proxy: no hook
	callers["sts"].call(ctx, raw)
	iam.NewFromConfig(raw).ListUsers(ctx, &iam.ListUsersInput{})
	c := iam.NewFromConfig(raw)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("killed-client")}); err == nil {
		t.Error("CreateUser succeeded although the hook dropped its response")
	}
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("killed-client")}); err != nil {
		t.Errorf("user not created: %v", err)
	}
	want := []seen{{1, "GetCallerIdentity"}, {3, "CreateUser"}, {4, "GetUser"}}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Errorf("hook calls %v, want %v", calls, want)
	}
	if ev := p.Timeline()[2]; !ev.Dropped || ev.Upstream != 200 || ev.Status != 0 {
		t.Errorf("dropped event %+v", ev)
	}
}

func TestEventualConsistency(t *testing.T) {
	p, raw, _ := setup(t)
	ctx := context.Background()
	c := iam.NewFromConfig(raw)
	p.EventualConsistency(2)
	trust := aws.String(`{"Version":"2012-10-17","Statement":[]}`)
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r1"), AssumeRolePolicyDocument: trust}); err != nil {
		t.Fatal(err)
	}
	var nse *types.NoSuchEntityException
	for i := 1; i <= 3; i++ {
		_, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r1")})
		if i <= 2 && (!errors.As(err, &nse) || httpStatus(err) != 404 || !strings.Contains(err.Error(), "r1")) {
			t.Errorf("GetRole #%d right after CreateRole: %v, want NoSuchEntity", i, err)
		}
		if i == 3 && err != nil {
			t.Errorf("GetRole #3: %v", err)
		}
	}
	pol, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p1"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	attach := &iam.AttachRolePolicyInput{RoleName: aws.String("r1"), PolicyArn: pol.Policy.Arn}
	if _, err := c.AttachRolePolicy(ctx, attach); !errors.As(err, &nse) || !strings.Contains(err.Error(), *pol.Policy.Arn) {
		t.Errorf("AttachRolePolicy of a new policy: %v, want NoSuchEntity naming it", err)
	}
	if _, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("ip1")}); err != nil {
		t.Fatal(err)
	}
	add := &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("ip1"), RoleName: aws.String("r1")}
	for i := 0; i < 2; i++ {
		if _, err := c.AddRoleToInstanceProfile(ctx, add); !errors.As(err, &nse) {
			t.Errorf("AddRoleToInstanceProfile #%d: %v, want NoSuchEntity", i+1, err)
		}
	}
	if _, err := c.AddRoleToInstanceProfile(ctx, add); err != nil {
		t.Errorf("AddRoleToInstanceProfile after the window: %v", err)
	}
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("u1")}); !errors.As(err, &nse) {
		t.Errorf("CreateAccessKey for a new user: %v, want NoSuchEntity", err)
	}
	for _, ev := range p.Timeline() {
		if ev.Fault.Kind == faults.NoSuchEntity && ev.Upstream != 0 {
			t.Errorf("NoSuchEntity answer was forwarded: %+v", ev)
		}
	}

	p.EventualConsistencyFor(300 * time.Millisecond)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u2")}); err != nil {
		t.Fatal(err)
	}
	start := time.Now() // the proxy starts the window before it answers
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("u2")}); !errors.As(err, &nse) {
		t.Errorf("GetUser within the window: %v, want NoSuchEntity", err)
	}
	time.Sleep(300*time.Millisecond - time.Since(start))
	if _, err := c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("u2")}); err != nil {
		t.Errorf("GetUser after the window: %v", err)
	}
}

// runMixed sends the same request sequence through a proxy with seed and
// returns the faults applied, in order.
func runMixed(t *testing.T, seed int64) []string {
	acct := testenv.NeedMoto(t, moto)
	p := faults.Start(t, acct.Endpoint, faults.Options{Seed: seed, Latency: time.Millisecond})
	p.Random(0.4, faults.Throttle, faults.Unavailable, faults.InternalError, faults.ResetBeforeForward, faults.Latency)
	cfg := p.Via(acct).Config()
	cfg.Retryer = func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) }
	ctx := context.Background()
	for i := 0; i < 15; i++ {
		for _, svc := range []string{"iam", "sts", "secretsmanager"} {
			callers[svc].call(ctx, cfg)
		}
	}
	var got []string
	for _, ev := range p.Timeline() {
		got = append(got, ev.Fault.Kind.String())
	}
	return got
}

func TestRandomIsDeterministicForASeed(t *testing.T) {
	a, b, c := runMixed(t, 7), runMixed(t, 7), runMixed(t, 8)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("same seed, different faults:\n%v\n%v", a, b)
	}
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Errorf("seeds 7 and 8 gave the same faults: %v", a)
	}
	n := 0
	for _, k := range a {
		if k != "None" {
			n++
		}
	}
	if n < 8 || n > 30 {
		t.Errorf("%d of %d requests faulted at rate 0.4: %v", n, len(a), a)
	}
}

func TestTimelineHasServiceAndActionButNoBodies(t *testing.T) {
	p, raw, _ := setup(t)
	ctx := context.Background()
	const secretValue, password = "s3cr3t-VALUE-in-body", "Pa55word-in-body!"
	if _, err := secretsmanager.NewFromConfig(raw).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("rciam/test"), SecretString: aws.String(secretValue)}); err != nil {
		t.Fatal(err)
	}
	if _, err := secretsmanager.NewFromConfig(raw).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String("rciam/test")}); err != nil {
		t.Fatal(err)
	}
	c := iam.NewFromConfig(raw)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("bob"), Password: aws.String(password)}); err != nil {
		t.Fatal(err)
	}
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	if err := callers["sts"].call(ctx, raw); err != nil {
		t.Fatal(err)
	}
	want := []string{"secretsmanager CreateSecret rciam/test", "secretsmanager GetSecretValue rciam/test",
		"iam CreateUser bob", "iam CreateLoginProfile bob", "iam CreateAccessKey bob", "sts GetCallerIdentity "}
	tl := p.Timeline()
	var got []string
	for _, ev := range tl {
		got = append(got, ev.Service+" "+ev.Action+" "+ev.Entity)
		if ev.Status != 200 || ev.Upstream != 200 || ev.End.Before(ev.Start) || ev.Fault.Kind != faults.None {
			t.Errorf("event %+v", ev)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("timeline\n%q\nwant\n%q", got, want)
	}
	dump := fmt.Sprintf("%#v", tl)
	for _, s := range []string{secretValue, password, *key.AccessKey.SecretAccessKey} {
		if strings.Contains(dump, s) {
			t.Errorf("timeline holds body content %q", s)
		}
	}
}

// A child process (here the AWS CLI, as rciam's binary would be) goes
// through the proxy with AWS_ENDPOINT_URL and can be killed by the hook
// after its CreateUser took effect.
func TestChildProcessKilledAfterEffect(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("aws CLI not found")
	}
	acct := testenv.NeedMoto(t, moto)
	p := faults.Start(t, acct.Endpoint, faults.Options{})
	cmd := exec.Command("aws", "iam", "create-user", "--user-name", "crashed")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, p.Via(acct).Env()...)
	cmd.Env = append(cmd.Env, "AWS_DEFAULT_REGION="+testenv.Region) // the v1 CLI does not read AWS_REGION
	var mu sync.Mutex
	p.AfterEffect(func(seq int, r faults.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if r.Action == "CreateUser" {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			return true
		}
		return false
	})
	mu.Lock()
	err := cmd.Start()
	mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("aws CLI was not killed by the hook: %v\n%s", err, out.String())
	}
	if _, err := iam.NewFromConfig(acct.Config()).GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String("crashed")}); err != nil {
		t.Errorf("user created by the killed process does not exist: %v", err)
	}
	if tl := p.Timeline(); len(tl) != 1 || tl[0].Service != "iam" || tl[0].Action != "CreateUser" || !tl[0].Dropped {
		t.Errorf("timeline %+v", tl)
	}
}
