package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/keycheck"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/outputs"
	"github.com/rciam/rciam/internal/rediscloud"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/secret"
	"github.com/rciam/rciam/internal/view"
)

func init() { register(newRegisterCmd) }

type registerOptions struct {
	f           *Factory
	layout      layoutFlag
	name        string
	apiURL      string
	forceUpdate bool
}

func newRegisterCmd(f *Factory) *cobra.Command {
	o := &registerOptions{f: f}
	cmd := &cobra.Command{
		Use:   "register --name NAME",
		Short: "Create, find or update the Redis Cloud cloud account for this AWS account",
		Long: `Reads the outputs (secrets from Secrets Manager), waits until the access key
works, then creates the Redis Cloud cloud account — or finds it (by the id rciam
recorded, the access key id, or the exact name) and updates it when its key
differs — and waits until it is active. Prints its id. Never prompts.

API keys come only from REDISCLOUD_ACCESS_KEY and REDISCLOUD_SECRET_KEY; the
base URL from --api-url, else REDISCLOUD_URL, else ` + rediscloud.DefaultURL + `.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context()) },
	}
	o.layout.bind(cmd)
	cmd.Flags().StringVar(&o.name, "name", "", "cloud account name (required)")
	cmd.Flags().StringVar(&o.apiURL, "api-url", "", "Redis Cloud API base URL, /v1 included")
	cmd.Flags().BoolVar(&o.forceUpdate, "force-update", false, "send the credentials even when the access key id matches")
	return cmd
}

func (o *registerOptions) run(ctx context.Context) error {
	f := o.f
	if strings.TrimSpace(o.name) == "" {
		return usageErrorf("register needs --name: the name of the cloud account in Redis Cloud")
	}
	cfg, err := rediscloud.LoadConfig(o.apiURL, f.getenv)
	if err != nil {
		return err
	}
	ctx, cancel := f.withTimeout(ctx)
	defer cancel()
	ss, err := f.openSession(ctx, &o.layout)
	if err != nil {
		return err
	}
	env, d, l := ss.env, ss.want, ss.live
	if err := refuseIfPasswordPending(l); err != nil {
		return err
	}
	out, err := f.outputs(ctx, env, d, l, true)
	if err != nil {
		return err
	}
	if err := f.keyGate(env).Wait(ctx, out.AccessKeyID, out.AccessSecretKey); err != nil {
		return err
	}
	rc, err := rediscloud.New(cfg, f.redisOptions())
	if err != nil {
		return err
	}
	acct, err := o.converge(ctx, rc, l, out)
	if err != nil {
		return err
	}
	if err := (&bookkeeping.Books{Secrets: env.sm}).RecordCloudAccount(ctx, l.Books, acct.ID); err != nil {
		return err
	}
	if f.JSON() {
		return writeJSON(f.IO.Out, map[string]any{"id": acct.ID, "status": acct.Status})
	}
	fmt.Fprintf(f.IO.Out, "%d %s\n", acct.ID, acct.Status)
	return nil
}

// converge finds the cloud account (docs/behaviour.md, "Finding the cloud account") and creates or updates
// it as needed, then waits until it is active.
func (o *registerOptions) converge(ctx context.Context, rc *rediscloud.Client, l *live.State, out *outputs.Outputs) (*rediscloud.Account, error) {
	f := o.f
	body := bodyFrom(o.name, out)
	acct, err := findCloudAccount(ctx, rc, l, out.AccessKeyID, o.name)
	if err != nil {
		return nil, err
	}
	switch {
	case acct == nil:
		f.Logf("creating cloud account %q", o.name)
		id, err := rc.Create(ctx, body)
		if err != nil {
			return nil, err
		}
		return rc.WaitActive(ctx, id)
	case !rediscloud.SameKeyID(acct.AccessKeyID, out.AccessKeyID) || o.forceUpdate:
		f.Logf("updating cloud account %d", acct.ID)
		if err := rc.Update(ctx, acct.ID, body); err != nil {
			return nil, err
		}
		return rc.WaitActive(ctx, acct.ID)
	}
	fmt.Fprintf(f.IO.ErrOut, "cloud account %d already holds access key %s: no change (the secret and password cannot be compared; use --force-update to push them)\n",
		acct.ID, secret.MaskKeyID(out.AccessKeyID))
	return rc.WaitActive(ctx, acct.ID)
}

// findCloudAccount looks by the id recorded on the key secret, then by
// access key id, then by exact name.
func findCloudAccount(ctx context.Context, rc *rediscloud.Client, l *live.State, keyID, name string) (*rediscloud.Account, error) {
	if id := l.Books.CloudAccount; id > 0 {
		a, err := rc.Get(ctx, id)
		if err == nil {
			return a, nil
		}
		if !errors.Is(err, rediscloud.ErrNotFound) {
			return nil, err
		}
	}
	list, err := rc.List(ctx)
	if err != nil {
		return nil, err
	}
	return rediscloud.FindMatch(list, keyID, name)
}

// errPasswordPending: the console password rciam would send Redis Cloud
// may not be the login's.
var errPasswordPending = errors.New("the stored console password may not be the login's (a run is changing it, or stopped while changing it): run 'rciam apply' first")

// refuseIfPasswordPending refuses, before anything changes, a command that
// sends the stored console password to Redis Cloud while the password
// secret carries a password mark: a run that stopped between storing a
// password and setting it on the login (or the other way round) left them
// possibly different, and 'rciam apply' repairs that.
func refuseIfPasswordPending(l *live.State) error {
	if l.Books.Pending() {
		return errPasswordPending
	}
	return nil
}

func bodyFrom(name string, out *outputs.Outputs) rediscloud.Body {
	return rediscloud.Body{Name: name, AccessKeyID: out.AccessKeyID, AccessSecretKey: out.AccessSecretKey,
		ConsoleUsername: out.ConsoleUsername, ConsolePassword: out.ConsolePassword, SignInLoginURL: out.SignInLoginURL}
}

func (f *Factory) redisOptions() rediscloud.Options {
	o := rediscloud.Options{Logf: f.Logf}
	if f.redisTuning != nil {
		f.redisTuning(&o)
	}
	return o
}

// keyGate waits until a key pair signs STS calls as redislabs-user.
func (f *Factory) keyGate(env *awsEnv) keycheck.Gate {
	g := keycheck.Gate{WantSuffix: ":user/" + r.UserName, Logf: f.Logf, Interval: f.gateInterval,
		Probe: func(ctx context.Context, keyID string, sec secret.Value) (string, error) {
			out, err := env.stsWith(keyID, sec).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.Arn), nil
		}}
	return g
}

// stsWith is an STS client signing with a given key pair, with one retry.
func (e *awsEnv) stsWith(keyID string, sec secret.Value) *sts.Client {
	return sts.NewFromConfig(e.cfg, func(o *sts.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(keyID, sec.Reveal(), "")
		o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 2)
	})
}

func writeJSON(w io.Writer, v any) error { return view.WriteJSON(w, v) }
