package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/policysource"
)

// The flags several commands share.

// policyFlags binds the policy selection flags of plan, apply, verify and
// render (docs/policy-sources.md).
type policyFlags struct {
	version, source, instanceFile, userFile string
	// resolver replaces the default one (tests).
	resolver *policysource.Resolver
}

func (p *policyFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&p.version, "policy-version", "", "bundled policy version (rciam policy list); "+policysource.DefaultVersion+" is the fallback")
	fl.StringVar(&p.source, "policy-source", "", "base URL holding "+policysource.InstanceFile+" and "+policysource.UserFile+
		" (default: "+policysource.EnvSource+", else the official published location)")
	fl.StringVar(&p.instanceFile, "instance-policy-file", "", "instance role policy document from a local file (with --user-policy-file)")
	fl.StringVar(&p.userFile, "user-policy-file", "", "user policy document from a local file (with --instance-policy-file)")
}

// selection returns the selected documents, fetched under ctx (the run's,
// bounded by --timeout). A fetch that fails is not an error: the cache or
// bundled docs-v1 stands in, and Note says which and why.
func (p *policyFlags) selection(ctx context.Context) (policysource.Selection, error) {
	given := 0
	for _, set := range []bool{p.version != "", p.source != "", p.instanceFile != "" || p.userFile != ""} {
		if set {
			given++
		}
	}
	if given > 1 {
		return policysource.Selection{}, usageErrorf("--policy-version, --policy-source and the policy file flags exclude each other: give one")
	}
	r := p.resolver
	if r == nil {
		r = &policysource.Resolver{Cache: policysource.DefaultCache()}
	}
	sel, err := r.Select(ctx, policysource.Request{Version: p.version, URL: p.source, InstanceFile: p.instanceFile, UserFile: p.userFile})
	if err != nil {
		if ctx.Err() != nil {
			return sel, err
		}
		return sel, &UsageError{Err: err}
	}
	return sel, nil
}

// layoutFlag binds --layout.
type layoutFlag struct{ value string }

func (l *layoutFlag) bind(cmd *cobra.Command) {
	cmd.Flags().StringVar(&l.value, "layout", string(desired.LayoutCloud), "entity layout: cloud (Redis Cloud) or rv (Redis Enterprise VPC)")
}

func (l *layoutFlag) get() (desired.Layout, error) {
	lay, err := desired.ParseLayout(l.value)
	if err != nil {
		return "", &UsageError{Err: err}
	}
	return lay, nil
}
