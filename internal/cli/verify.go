package cli

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/rciam/rciam/internal/access"
	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
	"github.com/rciam/rciam/internal/verify"
	"github.com/rciam/rciam/internal/view"
)

func init() { register(newVerifyCmd) }

type verifyOptions struct {
	f      *Factory
	layout layoutFlag
	policy policyFlags
}

func newVerifyCmd(f *Factory) *cobra.Command {
	o := &verifyOptions{f: f}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check that the account works for Redis Cloud",
		Long: `Checks every entity, policy document, trust policy, attachment, key, login
profile and secret, proves the stored key pair works (STS), and evaluates every
request Redis Cloud makes against every policy that applies (the policy engine;
on AWS also iam:SimulatePrincipalPolicy). Changes nothing: 'rciam apply' repairs.

Exit codes: 0 all pass (warnings allowed); 1 a check fails; 3 could not check
(unreachable endpoint, no credentials, access denied on a read).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context()) },
	}
	o.layout.bind(cmd)
	o.policy.bind(cmd)
	return cmd
}

func (o *verifyOptions) run(ctx context.Context) error {
	f := o.f
	layout, err := o.layout.get()
	if err != nil {
		return err
	}
	sel, err := o.policy.selection()
	if err != nil {
		return err
	}
	ctx, cancel := f.withTimeout(ctx)
	defer cancel()
	env, err := f.aws(ctx)
	if err != nil {
		return &ExitError{Code: 3, Err: err}
	}
	l, ev, err := f.gatherEvidence(ctx, env, func(l *live.State) (*desired.Set, error) { return desiredFor(sel, layout, l) })
	if err != nil {
		return &ExitError{Code: 3, Err: err}
	}
	d, err := desiredFor(sel, layout, l)
	if err != nil {
		return err
	}
	rep := verify.Run(d, l, *ev)
	if f.JSON() {
		err = view.VerifyJSON(f.IO.Out, rep)
	} else {
		view.PlanHeader(f.IO.Out, l.AccountID, d)
		err = view.VerifyHuman(f.IO.Out, rep, view.Style{Color: f.IO.OutColorEnabled()})
	}
	if err != nil {
		return err
	}
	if !rep.OK() {
		return &ExitError{Code: 1}
	}
	return nil
}

// gatherEvidence reads the account in two dependent rounds: the snapshot's
// first round beside both secret values, then — beside the snapshot's
// second round — STS signed with the stored key pair and the simulation.
func (f *Factory) gatherEvidence(ctx context.Context, env *awsEnv, want func(*live.State) (*desired.Set, error)) (*live.State, *verify.Evidence, error) {
	ev := &verify.Evidence{Now: time.Now()}
	secretsRead := make(chan struct{})
	rd := env.reader(true)
	rd.Then = func(ctx context.Context, s *live.State) error {
		<-secretsRead
		if err := f.checkCaller(s); err != nil {
			return err
		}
		d, err := want(s)
		if err != nil {
			return err
		}
		g, gctx := errgroup.WithContext(ctx)
		g.Go(func() error { ev.Proof = f.proveKey(gctx, env, s, ev.KeySecret); return nil })
		g.Go(func() error { ev.Simulation = simulateUser(gctx, env, d, s); return nil })
		return g.Wait()
	}
	var l *live.State
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) { l, err = rd.Read(gctx); return explainAWSErr(err) })
	g.Go(func() error {
		defer close(secretsRead)
		done := make(chan struct{})
		go func() {
			defer close(done)
			ev.PasswordSecret, ev.PasswordSecretErr = readSecret(gctx, env.sm, r.PasswordSecretName)
		}()
		ev.KeySecret, ev.KeySecretErr = readSecret(gctx, env.sm, r.KeySecretName)
		<-done
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	return l, ev, nil
}

func explainAWSErr(err error) error {
	if err == nil {
		return nil
	}
	return explainAWS(err)
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

// proveKey calls STS GetCallerIdentity signed with the active key and the
// stored secret.
func (f *Factory) proveKey(ctx context.Context, env *awsEnv, s *live.State, value secret.Value) *verify.Proof {
	var active string
	for _, k := range s.Keys {
		if k.Active {
			active = k.ID
		}
	}
	if active == "" || value.IsZero() {
		return nil
	}
	out, err := env.stsWith(active, value).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return &verify.Proof{KeyID: active, Err: err}
	}
	return &verify.Proof{KeyID: active, ARN: aws.ToString(out.Arn)}
}

// simulateUser asks IAM to simulate the user's needed actions with the
// context Redis Cloud's requests carry (docs/behaviour.md, "What Redis Cloud's requests carry").
func simulateUser(ctx context.Context, env *awsEnv, d *desired.Set, s *live.State) *verify.Simulation {
	u := s.User(r.UserName)
	p := d.Policy(r.UserPolicyName)
	if u == nil || p == nil {
		return nil
	}
	needs := access.Needs(p.Parsed, d.Partition, d.AccountID, d.Region, r.UserName)
	seen := map[string]bool{}
	var actions []string
	for _, n := range needs {
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
	for {
		out, err := env.iam.SimulatePrincipalPolicy(ctx, in)
		if err != nil {
			sim.Unavailable, sim.Err = awsclient.IsUnavailable(err), err
			if sim.Unavailable {
				sim.Err = nil
			}
			return sim
		}
		for _, res := range out.EvaluationResults {
			name := aws.ToString(res.EvalActionName)
			if res.OrganizationsDecisionDetail != nil && !res.OrganizationsDecisionDetail.AllowedByOrganizations {
				sim.OrgDenied = append(sim.OrgDenied, name)
			} else if res.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed {
				sim.Denied = append(sim.Denied, name)
			}
			sim.Missing = append(sim.Missing, res.MissingContextValues...)
		}
		if !out.IsTruncated || out.Marker == nil {
			return sim
		}
		in.Marker = out.Marker
	}
}
