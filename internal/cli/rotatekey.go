package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/outputs"
	"github.com/rciam/rciam/internal/rediscloud"
	"github.com/rciam/rciam/internal/rotate"
	"github.com/rciam/rciam/internal/secret"
)

func init() { register(newRotateKeyCmd) }

type rotateOptions struct {
	f      *Factory
	layout layoutFlag
	apiURL string
	dryRun bool
	grace  time.Duration
}

func newRotateKeyCmd(f *Factory) *cobra.Command {
	o := &rotateOptions{f: f}
	cmd := &cobra.Command{
		Use:   "rotate-key",
		Short: "Replace redislabs-user's access key without downtime",
		Long: `new key → secret stored → key works → Redis Cloud updated (if registered) and
active → old key deactivated → old key deleted (with --grace, kept inactive and
deleted by a later run after the grace period). A failure before Redis Cloud
accepted the new key rolls back; after it, the next run finishes. Never prompts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context()) },
	}
	o.layout.bind(cmd)
	cmd.Flags().StringVar(&o.apiURL, "api-url", "", "Redis Cloud API base URL, /v1 included")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print the steps without taking them")
	cmd.Flags().DurationVar(&o.grace, "grace", 0, "keep the old key inactive this long before a later run deletes it")
	return cmd
}

func (o *rotateOptions) run(ctx context.Context) error {
	f := o.f
	if o.grace < 0 {
		return usageErrorf("invalid --grace %s: give a positive duration such as 24h", o.grace)
	}
	ctx, cancel := f.withTimeout(ctx)
	defer cancel()
	ss, err := f.openSession(ctx, &o.layout)
	if err != nil {
		return err
	}
	env, d, l := ss.env, ss.want, ss.live
	rot := &rotate.Rotator{IAM: env.iam, Secrets: env.sm, Gate: f.keyGate(env), Grace: o.grace, Logf: f.Logf, After: f.rotateAfter}
	var out *outputs.Outputs
	if id := l.Books.CloudAccount; id > 0 {
		// Registered: every update sends the console password too, which
		// must be the login's; and the API keys are needed before anything
		// changes.
		if err := refuseIfPasswordPending(l); err != nil {
			return err
		}
		cfg, err := rediscloud.LoadConfig(o.apiURL, f.getenv)
		if err != nil {
			return err
		}
		rc, err := rediscloud.New(cfg, f.redisOptions())
		if err != nil {
			return err
		}
		if out, err = f.outputs(ctx, env, d, l, !o.dryRun); err != nil {
			return err
		}
		rot.Redis = &registrar{rc: rc, id: id, out: out}
	}
	if o.dryRun {
		return o.printSteps(ctx, rot, l)
	}
	if out == nil {
		if out, err = f.outputs(ctx, env, d, l, true); err != nil {
			return err
		}
	}
	rot.StoredSecret = &out.AccessSecretKey
	res, err := rot.Run(ctx, l)
	if err != nil {
		return err
	}
	return o.print(res)
}

func (o *rotateOptions) printSteps(ctx context.Context, rot *rotate.Rotator, l *live.State) error {
	steps, err := rot.DryRun(ctx, l)
	if err != nil {
		return err
	}
	if o.f.JSON() {
		return writeJSON(o.f.IO.Out, map[string]any{"steps": steps})
	}
	for i, s := range steps {
		fmt.Fprintf(o.f.IO.Out, "%d. %s\n", i+1, s)
	}
	return nil
}

func (o *rotateOptions) print(res *rotate.Result) error {
	f := o.f
	if f.JSON() {
		return writeJSON(f.IO.Out, map[string]any{"oldAccessKeyId": res.OldKeyID, "accessKeyId": res.NewKeyID, "cloudAccountUpdated": res.CloudAccountUpdated})
	}
	fmt.Fprintf(f.IO.Out, "rotated %s → %s (Redis Cloud updated: %v)\n", secret.MaskKeyID(res.OldKeyID), secret.MaskKeyID(res.NewKeyID), res.CloudAccountUpdated)
	if !res.KeptUntil.IsZero() {
		fmt.Fprintf(f.IO.ErrOut, "the old key is kept inactive until %s; a later rotate-key deletes it\n", res.KeptUntil.Format(time.RFC3339))
	}
	return nil
}

// registrar updates the registered cloud account with a new key pair and
// the other credentials, as every PUT must carry them all.
type registrar struct {
	rc  *rediscloud.Client
	id  int
	out *outputs.Outputs
}

func (g *registrar) Update(ctx context.Context, keyID string, sec secret.Value) error {
	a, err := g.rc.Get(ctx, g.id)
	if err != nil {
		return err
	}
	body := bodyFrom(a.Name, g.out)
	body.AccessKeyID, body.AccessSecretKey = keyID, sec
	if err := g.rc.Update(ctx, g.id, body); err != nil {
		return err
	}
	_, err = g.rc.WaitActive(ctx, g.id)
	return err
}

func (g *registrar) Holds(ctx context.Context, keyID string) (bool, error) {
	a, err := g.rc.Get(ctx, g.id)
	if err != nil {
		return false, err
	}
	return rediscloud.SameKeyID(a.AccessKeyID, keyID), nil
}
