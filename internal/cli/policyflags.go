package cli

import (
	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/policysource"
)

// policyFlags binds the policy selection flags of plan, apply, verify and
// render.
type policyFlags struct {
	version, instanceFile, userFile string
}

func (p *policyFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&p.version, "policy-version", "", "bundled policy version (rciam policy list; default "+policysource.DefaultVersion+")")
	fl.StringVar(&p.instanceFile, "instance-policy-file", "", "instance role policy document from a local file (with --user-policy-file)")
	fl.StringVar(&p.userFile, "user-policy-file", "", "user policy document from a local file (with --instance-policy-file)")
}

func (p *policyFlags) selection() (policysource.Selection, error) {
	files := p.instanceFile != "" || p.userFile != ""
	if files && p.version != "" {
		return policysource.Selection{}, usageErrorf("--policy-version and the policy file flags exclude each other: give one")
	}
	if files {
		sel, err := policysource.Files(p.instanceFile, p.userFile)
		if err != nil {
			return sel, &UsageError{Err: err}
		}
		return sel, nil
	}
	v := p.version
	if v == "" {
		v = policysource.DefaultVersion
	}
	sel, err := policysource.Bundled(v)
	if err != nil {
		return sel, &UsageError{Err: err}
	}
	return sel, nil
}
