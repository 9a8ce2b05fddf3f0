package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/policysource"
)

// policyFlags binds the policy selection flags of plan, apply, verify and
// render (docs/policy-sources.md).
type policyFlags struct {
	version, source, instanceFile, userFile string
	// cmd is the command the flags are bound to: its context bounds a
	// fetch, and its stderr gets the one fallback line.
	cmd *cobra.Command
	// resolver replaces the default one (tests).
	resolver *policysource.Resolver
}

func (p *policyFlags) bind(cmd *cobra.Command) {
	p.cmd = cmd
	fl := cmd.Flags()
	fl.StringVar(&p.version, "policy-version", "", "bundled policy version (rciam policy list); "+policysource.DefaultVersion+" is the fallback")
	fl.StringVar(&p.source, "policy-source", "", "base URL holding "+policysource.InstanceFile+" and "+policysource.UserFile+
		" (default: "+policysource.EnvSource+", else the official published location)")
	fl.StringVar(&p.instanceFile, "instance-policy-file", "", "instance role policy document from a local file (with --user-policy-file)")
	fl.StringVar(&p.userFile, "user-policy-file", "", "user policy document from a local file (with --instance-policy-file)")
}

// selection returns the selected documents. A fetch that fails is not an
// error: the cache or bundled docs-v1 stands in, and one line on stderr
// says which and why.
func (p *policyFlags) selection() (policysource.Selection, error) {
	given := 0
	for _, set := range []bool{p.version != "", p.source != "", p.instanceFile != "" || p.userFile != ""} {
		if set {
			given++
		}
	}
	if given > 1 {
		return policysource.Selection{}, usageErrorf("--policy-version, --policy-source and the policy file flags exclude each other: give one")
	}
	ctx, stderr := context.Background(), io.Discard
	if p.cmd != nil {
		stderr = p.cmd.ErrOrStderr()
		if c := p.cmd.Context(); c != nil {
			ctx = c
		}
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
	if sel.Note != "" {
		// Said once here; the plan header names the source actually used.
		fmt.Fprintf(stderr, "warning: %s\n", sel.Note)
		sel.Note = ""
	}
	return sel, nil
}
