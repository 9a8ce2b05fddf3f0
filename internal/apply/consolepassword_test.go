package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/plan"
	r "github.com/rciam/rciam/internal/resource"
)

// pwAccount is the part of an account the console password protocol
// touches: the login's password, the password secret (value, version,
// tags). Every call may be delayed at random so that runs interleave, and
// a run can be made to die after its n-th call.
type pwAccount struct {
	mu              sync.Mutex
	rng             *rand.Rand
	login           string // "" when there is no login profile
	exists          bool
	stored, version string
	versions        int
	tags            map[string]string
}

func (a *pwAccount) pause() {
	a.mu.Lock()
	d := time.Duration(a.rng.IntN(300)) * time.Microsecond
	a.mu.Unlock()
	time.Sleep(d)
}

func (a *pwAccount) marks() []string { return a.judge(time.Now()).MarkKeys() }

// judge reads the marks as a plan at now would.
func (a *pwAccount) judge(now time.Time) bookkeeping.Record {
	return bookkeeping.Read(nil, &bookkeeping.Secret{Tags: a.tags}, nil, now)
}

// pwRun is one run's view of the account: it dies (every call fails)
// after dieAfter calls when dieAfter ≥ 0.
type pwRun struct {
	IAM
	Secrets
	a        *pwAccount
	calls    int
	dieAfter int
}

var errDied = errors.New("the run died")

func (p *pwRun) call() error {
	p.a.pause()
	p.calls++
	if p.dieAfter >= 0 && p.calls > p.dieAfter {
		return errDied
	}
	return nil
}

func pwOf(s *string) string {
	var b struct{ Password string }
	_ = json.Unmarshal([]byte(aws.ToString(s)), &b)
	return b.Password
}

func (p *pwRun) CreateLoginProfile(_ context.Context, in *iam.CreateLoginProfileInput, _ ...func(*iam.Options)) (*iam.CreateLoginProfileOutput, error) {
	if err := p.call(); err != nil {
		return nil, err
	}
	p.a.mu.Lock()
	defer p.a.mu.Unlock()
	if p.a.login != "" {
		return nil, &smithy.GenericAPIError{Code: "EntityAlreadyExists"}
	}
	p.a.login = aws.ToString(in.Password)
	return &iam.CreateLoginProfileOutput{}, nil
}

func (p *pwRun) UpdateLoginProfile(_ context.Context, in *iam.UpdateLoginProfileInput, _ ...func(*iam.Options)) (*iam.UpdateLoginProfileOutput, error) {
	if err := p.call(); err != nil {
		return nil, err
	}
	p.a.mu.Lock()
	defer p.a.mu.Unlock()
	if in.Password != nil {
		p.a.login = *in.Password
	}
	return &iam.UpdateLoginProfileOutput{}, nil
}

// newVersion stores value; a.mu must be held.
func (a *pwAccount) newVersion(value string) string {
	a.versions++
	a.stored, a.version = value, "v"+strconv.Itoa(a.versions)
	return a.version
}

func (p *pwRun) CreateSecret(_ context.Context, in *secretsmanager.CreateSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.CreateSecretOutput, error) {
	if err := p.call(); err != nil {
		return nil, err
	}
	p.a.mu.Lock()
	defer p.a.mu.Unlock()
	if p.a.exists {
		return nil, &smithy.GenericAPIError{Code: "ResourceExistsException"}
	}
	p.a.exists = true
	for _, t := range in.Tags {
		p.a.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return &secretsmanager.CreateSecretOutput{VersionId: aws.String(p.a.newVersion(pwOf(in.SecretString)))}, nil
}

func (p *pwRun) PutSecretValue(_ context.Context, in *secretsmanager.PutSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	if err := p.call(); err != nil {
		return nil, err
	}
	p.a.mu.Lock()
	defer p.a.mu.Unlock()
	return &secretsmanager.PutSecretValueOutput{VersionId: aws.String(p.a.newVersion(pwOf(in.SecretString)))}, nil
}

func (p *pwRun) GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if err := p.call(); err != nil {
		return nil, err
	}
	p.a.mu.Lock()
	defer p.a.mu.Unlock()
	b, _ := json.Marshal(map[string]string{"password": p.a.stored})
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(string(b)), VersionId: aws.String(p.a.version)}, nil
}

func (p *pwRun) RestoreSecret(context.Context, *secretsmanager.RestoreSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.RestoreSecretOutput, error) {
	return &secretsmanager.RestoreSecretOutput{}, p.call()
}

func (p *pwRun) TagResource(_ context.Context, in *secretsmanager.TagResourceInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.TagResourceOutput, error) {
	if err := p.call(); err != nil {
		return nil, err
	}
	p.a.mu.Lock()
	defer p.a.mu.Unlock()
	if !p.a.exists {
		return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException"}
	}
	for _, t := range in.Tags {
		p.a.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return &secretsmanager.TagResourceOutput{}, nil
}

func (p *pwRun) UntagResource(_ context.Context, in *secretsmanager.UntagResourceInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.UntagResourceOutput, error) {
	if err := p.call(); err != nil {
		return nil, err
	}
	p.a.mu.Lock()
	defer p.a.mu.Unlock()
	for _, k := range in.TagKeys {
		delete(p.a.tags, k)
	}
	return &secretsmanager.UntagResourceOutput{}, nil
}

// passwordSteps are the two steps plan.Compute makes for the console
// password in each start state (plan/keys.go password).
func passwordSteps(start string, stale []string) []plan.Step {
	write := plan.Step{ID: "write", Op: plan.OpWritePassword, Name: r.PasswordSecretName}
	switch start {
	case "fresh": // no login, no secret
		return []plan.Step{write, {ID: "login", Op: plan.OpCreateLoginProfile, Name: r.UserName}}
	case "secret missing": // login, no secret
		write.Mark = true
		return []plan.Step{write, {ID: "login", Op: plan.OpUpdateLoginProfile, Name: r.UserName}}
	default: // "stopped run's mark": login and secret, a stale mark
		write.Exists, write.Mark = true, true
		return []plan.Step{write, {ID: "login", Op: plan.OpUpdateLoginProfile, Name: r.UserName, Untag: stale}}
	}
}

// Two runs go through the console password protocol at once, from every
// start state, with random interleavings, and in some trials one of them
// dies after a random call. Whatever happened, the login's password is
// the stored one, or a mark is left for the next plan; when no run died,
// no mark is left either.
func TestConsolePasswordUnderConcurrency(t *testing.T) {
	t.Parallel()
	const stale = bookkeeping.TagPasswordPending + "deadbeef"
	for _, start := range []string{"fresh", "secret missing", "stopped run's mark"} {
		t.Run(start, func(t *testing.T) {
			t.Parallel()
			for seed := range uint64(300) {
				a := &pwAccount{rng: rand.New(rand.NewPCG(seed, 7)), tags: map[string]string{}}
				switch start {
				case "secret missing":
					a.login = "old"
				case "stopped run's mark":
					a.login, a.exists = "old", true
					a.newVersion("other")
					a.tags[stale] = "2026-01-01T00:00:00Z"
				}
				die := -1
				if seed%2 == 1 {
					die = int(seed/2) % 8 // the second run dies after this many calls
				}
				runs := []*pwRun{{a: a, dieAfter: -1}, {a: a, dieAfter: die}}
				var wg sync.WaitGroup
				for _, run := range runs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						e := &Executor{IAM: run, Secrets: run}
						for _, s := range passwordSteps(start, []string{stale}) {
							if e.run(context.Background(), s) != nil {
								return
							}
						}
					}()
				}
				wg.Wait()
				desc := fmt.Sprintf("seed %d (second run dies after %d calls): login %q stored %q marks %v", seed, die, a.login, a.stored, a.marks())
				if a.login != a.stored && len(a.marks()) == 0 {
					t.Errorf("%s: the login's password is not the stored one, and no mark says so", desc)
				}
				if die < 0 && (a.login != a.stored || len(a.marks()) > 0) {
					t.Errorf("%s: two runs that finished left a difference or a mark", desc)
				}
			}
		})
	}
}
