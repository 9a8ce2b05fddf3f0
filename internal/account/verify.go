package account

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/sync/errgroup"

	"github.com/rciam/rciam/internal/access"
	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/policysource"
	"github.com/rciam/rciam/internal/propagation"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
	"github.com/rciam/rciam/internal/verify"
)

// Verified is what verify shows: the checks, and the account and desired
// set they were made against.
type Verified struct {
	Report *verify.Report
	Live   *live.State
	Want   *desired.Set
}

// CheckError is an account verify could not check (unreachable, no
// credentials, a read refused): exit code 3, not a failed check.
type CheckError struct{ Err error }

func (e *CheckError) Error() string { return e.Err.Error() }
func (e *CheckError) Unwrap() error { return e.Err }

// Verify checks the account against the selected documents. Errors that
// kept it from checking are *CheckError.
func (t *Target) Verify(ctx context.Context, sel policysource.Selection, layout desired.Layout) (*Verified, error) {
	want := func(l *live.State) (*desired.Set, error) { return want(sel, layout, l) }
	l, ev, err := t.gatherEvidence(ctx, want)
	if err != nil {
		return nil, &CheckError{Err: err}
	}
	d, err := want(l)
	if err != nil {
		return nil, err
	}
	return &Verified{Report: verify.Run(d, l, *ev), Live: l, Want: d}, nil
}

// gatherEvidence reads the account in two dependent rounds: the snapshot's
// first round beside both secret values, then — beside the snapshot's
// second round — STS signed with the stored key pair and the simulation.
func (t *Target) gatherEvidence(ctx context.Context, want func(*live.State) (*desired.Set, error)) (*live.State, *verify.Evidence, error) {
	ev := &verify.Evidence{Now: time.Now()}
	secretsRead := make(chan struct{})
	rd := t.reader(true)
	rd.Then = func(ctx context.Context, s *live.State) error {
		<-secretsRead
		if err := t.checkCaller(s); err != nil {
			return err
		}
		d, err := want(s)
		if err != nil {
			return err
		}
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() error { ev.Proof = t.proveKey(gctx, s, ev.KeySecret); return nil })
		g.Go(func() error { ev.Simulation = t.simulateUser(gctx, d, s); return nil })
		if t.Organization != nil {
			// Read with the caller's credentials; never "could not check".
			g.Go(func() error {
				ev.Guardrails, ev.GuardrailsErr = t.Organization.Guardrails(gctx, s.AccountID)
				return nil
			})
		}
		return g.Wait()
	}
	var l *live.State
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if l, err = rd.Read(gctx); err != nil {
			return ExplainAWS(err)
		}
		return nil
	})
	g.Go(func() error {
		defer close(secretsRead)
		done := make(chan struct{})
		go func() {
			defer close(done)
			ev.PasswordSecret, ev.PasswordSecretErr = readSecret(gctx, t.Secrets, r.PasswordSecretName)
		}()
		ev.KeySecret, ev.KeySecretErr = readSecret(gctx, t.Secrets, r.KeySecretName)
		<-done
		// A value the caller may not read cannot be checked: exit 3,
		// not a failure of the account.
		for _, s := range []struct {
			name string
			err  error
		}{{r.KeySecretName, ev.KeySecretErr}, {r.PasswordSecretName, ev.PasswordSecretErr}} {
			if awsclient.IsAccessDenied(s.err) {
				return awsclient.Wrap("read secret "+s.name, s.err)
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return l, ev, nil
}

func readSecret(ctx context.Context, sm *secretsmanager.Client, name string) (secret.Value, error) {
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if awsclient.IsNotFound(err) || awsclient.ErrorCode(err) == "InvalidRequestException" {
		return secret.Value{}, nil // absent or scheduled for deletion: the snapshot says which
	}
	if err != nil {
		return secret.Value{}, err
	}
	return secret.New(aws.ToString(out.SecretString)), nil
}

// proveKey calls STS GetCallerIdentity signed with the stored key (or the
// active one) and the stored secret. A young key AWS refuses is propagating: it is asked again
// until it signs or is propagation.KeyWindow old (docs/behaviour.md, "IAM
// eventual consistency").
func (t *Target) proveKey(ctx context.Context, s *live.State, value secret.Value) *verify.Proof {
	// The stored key: beside it there may be the previous key a rotation
	// or a lost key secret keeps.
	stored, _ := s.StoredKey()
	var active *live.AccessKey
	for i := range s.Keys {
		if s.Keys[i].Active && (active == nil || s.Keys[i].ID == stored) {
			active = &s.Keys[i]
		}
	}
	if active == nil || value.IsZero() {
		return nil
	}
	out, err := t.stsWith(active.ID, value).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil {
		return &verify.Proof{KeyID: active.ID, ARN: aws.ToString(out.Arn)}
	}
	age := time.Now().Add(s.ClockOffset).Sub(active.Created)
	if !propagation.Refused(err) || !propagation.Young(active.Created, time.Now().Add(s.ClockOffset)) {
		return &verify.Proof{KeyID: active.ID, Err: err}
	}
	gate := t.keyGate()
	gate.WantSuffix, gate.Need, gate.Budget = "", 1, propagation.KeyWindow-age
	arn, gerr := gate.Until(ctx, active.ID, value)
	var nv *propagation.NotValidError
	if errors.As(gerr, &nv) {
		if nv.Last != nil {
			err = nv.Last
		}
		return &verify.Proof{KeyID: active.ID, Err: err, Propagating: true, Age: age + nv.Waited}
	}
	if gerr != nil {
		return &verify.Proof{KeyID: active.ID, Err: gerr}
	}
	return &verify.Proof{KeyID: active.ID, ARN: arn}
}

// simulateUser asks IAM to simulate the user's needed actions with the
// context Redis Cloud's requests carry (docs/behaviour.md, "What Redis
// Cloud's requests carry").
func (t *Target) simulateUser(ctx context.Context, d *desired.Set, s *live.State) *verify.Simulation {
	u := s.User(r.UserName)
	p := d.Policy(r.UserPolicyName)
	if u == nil || p == nil {
		return nil
	}
	seen := map[string]bool{}
	var actions []string
	for _, n := range access.Needs(p.Parsed, d.Partition, d.AccountID, d.Region, r.UserName) {
		if !seen[n.Action] {
			seen[n.Action] = true
			actions = append(actions, n.Action)
		}
	}
	ctxEntries := []iamtypes.ContextEntry{
		{ContextKeyName: aws.String("aws:RequestTag/RedisLabsIdentifier"), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{"Redislabs-VPC"}},
		{ContextKeyName: aws.String("ec2:ResourceTag/RedisLabsIdentifier"), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{"Redislabs-VPC"}},
		{ContextKeyName: aws.String("kms:GrantIsForAWSResource"), ContextKeyType: iamtypes.ContextKeyTypeEnumBoolean, ContextKeyValues: []string{"true"}},
		{ContextKeyName: aws.String("iam:AWSServiceName"), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{"transitgateway.amazonaws.com"}},
	}
	sim := &verify.Simulation{}
	in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(u.ARN), ActionNames: actions, ContextEntries: ctxEntries}
	err := t.simulate(ctx, in, func(res iamtypes.EvaluationResult) {
		name := aws.ToString(res.EvalActionName)
		if res.OrganizationsDecisionDetail != nil && !res.OrganizationsDecisionDetail.AllowedByOrganizations {
			sim.OrgDenied = append(sim.OrgDenied, name)
		} else if res.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed {
			sim.Denied = append(sim.Denied, name)
		}
		sim.Missing = append(sim.Missing, res.MissingContextValues...)
	})
	if err != nil {
		sim.Unavailable, sim.Err = awsclient.IsUnavailable(err), err
		if sim.Unavailable {
			sim.Err = nil
		}
	}
	return sim
}
