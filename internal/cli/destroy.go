package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/apply"
	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/plan"
	"github.com/rciam/rciam/internal/rediscloud"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/view"
)

func init() { register(newDestroyCmd) }

type destroyOptions struct {
	f                  *Factory
	layout             layoutFlag
	yes, force         bool
	forceDeleteSecrets bool
	deregister         bool
	apiURL             string
}

func newDestroyCmd(f *Factory) *cobra.Command {
	o := &destroyOptions{f: f}
	cmd := &cobra.Command{
		Use:   "destroy",
		Short: "Remove what rciam manages, in dependency order",
		Long: `Removes the layout's entities that carry ManagedBy=rciam and that no
CloudFormation stack owns; others are left in place and listed (--force removes
them too). Items rciam did not create that block a delete (MFA devices, SSH
keys, other policies, groups) make destroy fail and are listed, unless --force.
Secrets are deleted with a 7-day recovery window (a later apply restores them)
unless --force-delete-secrets.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(cmd.Context()) },
	}
	o.layout.bind(cmd)
	fl := cmd.Flags()
	fl.BoolVarP(&o.yes, "yes", "y", false, "destroy without asking")
	fl.BoolVar(&o.force, "force", false, "also remove entities rciam did not tag, stack-owned ones, and blocking items")
	fl.BoolVar(&o.forceDeleteSecrets, "force-delete-secrets", false, "delete the secrets without a recovery window")
	fl.BoolVar(&o.deregister, "deregister", false, "first delete the Redis Cloud cloud account this AWS account is registered as")
	fl.StringVar(&o.apiURL, "api-url", "", "Redis Cloud API base URL, /v1 included (with --deregister)")
	return cmd
}

func (o *destroyOptions) run(ctx context.Context) error {
	f := o.f
	if err := needConfirmation(f.IO, o.yes, "destroy"); err != nil {
		return err
	}
	ctx, cancel := f.withTimeout(ctx)
	defer cancel()
	ss, err := f.openSession(ctx, &o.layout)
	if err != nil {
		return stoppedOr(ctx, "destroy", err, "nothing was changed")
	}
	env, d, l := ss.env, ss.want, ss.live
	cloudID := l.Books.CloudAccount
	var rc *rediscloud.Client
	switch {
	case cloudID > 0 && !o.deregister:
		return fmt.Errorf("this account is registered with Redis Cloud as cloud account %d: pass --deregister to delete it first (Redis Cloud must not use it any more)", cloudID)
	case cloudID > 0:
		// The API keys are checked before anything changes.
		cfg, err := rediscloud.LoadConfig(o.apiURL, f.getenv)
		if err != nil {
			return err
		}
		if rc, err = rediscloud.New(cfg, f.redisOptions()); err != nil {
			return err
		}
	}
	var blockers *live.UserBlockers
	if l.User(r.UserName) != nil {
		if blockers, err = live.ReadUserBlockers(ctx, env.iam); err != nil {
			return stoppedOr(ctx, "destroy", err, "nothing was changed")
		}
	}
	p, err := plan.Destroy(d, l, plan.DestroyOptions{Force: o.force, ForceDeleteSecrets: o.forceDeleteSecrets, Blockers: blockers})
	if err != nil {
		return err
	}
	style := view.Style{Color: f.IO.ColorEnabled()}
	fmt.Fprintf(f.IO.ErrOut, "Account %s · layout %s\n\n", l.AccountID, d.Layout)
	if rc != nil {
		fmt.Fprintf(f.IO.ErrOut, "  - Redis Cloud cloud account %d                   deregister first\n", cloudID)
	}
	view.PlanHuman(f.IO.ErrOut, p, style)
	if !p.HasChanges() && rc == nil {
		return nil
	}
	if !o.yes {
		if err := f.IO.Confirm("\nDo you really want to destroy these entities?"); err != nil {
			return errors.New("destroy cancelled: nothing was changed")
		}
	}
	if rc != nil {
		if err := rc.Delete(ctx, cloudID); err != nil && !errors.Is(err, rediscloud.ErrNotFound) {
			return stoppedOr(ctx, "destroy", err, "nothing was removed from AWS (the cloud account may be deleted: Redis Cloud finishes a deletion it accepted)")
		}
		// The registration is over: a later apply that restores the key
		// secret must not bring it back.
		if err := (&bookkeeping.Books{Secrets: env.sm}).ForgetCloudAccount(ctx); err != nil {
			return stoppedOr(ctx, "destroy", err, "the cloud account is deleted, nothing was removed from AWS")
		}
		fmt.Fprintf(f.IO.ErrOut, "  ✓ deleted Redis Cloud cloud account %d\n", cloudID)
	}
	exec := &apply.Executor{IAM: env.iam, Secrets: env.sm, Region: l.Region,
		Hook: &view.Progress{W: f.IO.ErrOut, Style: style}, Logf: f.Logf}
	res, err := exec.Run(ctx, p)
	if err != nil {
		left := ""
		if res != nil {
			view.Summary(f.IO.ErrOut, res.Done, res.Failed, res.Skipped)
			left = fmt.Sprintf("what was removed stays removed, %d step(s) left to do", len(res.Failed)+len(res.Skipped))
		}
		if ctx.Err() != nil {
			return stopped(ctx, "destroy", left)
		}
		return err
	}
	fmt.Fprintln(f.IO.ErrOut, "\nDestroy complete.")
	return nil
}
