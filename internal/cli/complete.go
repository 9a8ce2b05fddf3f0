package cli

import (
	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/operator"
	"github.com/rciam/rciam/internal/policysource"
	"github.com/rciam/rciam/internal/render"
)

// completeFlagValues gives the shell completion (rciam completion …) the
// values a flag accepts: the output formats (verify's too), layouts, render
// formats, bundled policy versions, policy documents and the profiles of
// the shared AWS config files. Every command is walked, so a flag is
// completed wherever it is bound.
func completeFlagValues(root *cobra.Command) {
	fixed := func(values ...string) cobra.CompletionFunc {
		return cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp)
	}
	byFlag := map[string]cobra.CompletionFunc{
		"output": func(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if cmd.Name() == "verify" {
				return []cobra.Completion{"text", "json", "junit", "sarif"}, cobra.ShellCompDirectiveNoFileComp
			}
			return []cobra.Completion{"text", "json"}, cobra.ShellCompDirectiveNoFileComp
		},
		"profile": func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return awsclient.Profiles(), cobra.ShellCompDirectiveNoFileComp
		},
		"layout":         fixed("cloud", "rv"),
		"policy-version": fixed(policysource.Versions()...),
		"document":       fixed("instance", "user"),
	}
	renderFormats := fixed(string(render.CloudFormation), string(render.Terraform), string(render.JSON), string(render.Mermaid), string(render.Dot),
		string(render.OperatorPolicy), string(render.OperatorPolicyCloudFormation), string(render.OperatorPolicyTerraform))
	var walk func(*cobra.Command)
	walk = func(cmd *cobra.Command) {
		for name, fn := range byFlag {
			if cmd.LocalFlags().Lookup(name) != nil || cmd == root && cmd.PersistentFlags().Lookup(name) != nil {
				_ = cmd.RegisterFlagCompletionFunc(name, fn)
			}
		}
		if cmd.Name() == "render" {
			_ = cmd.RegisterFlagCompletionFunc("format", renderFormats)
			_ = cmd.RegisterFlagCompletionFunc("commands", fixed(operator.Commands...))
		}
		for _, c := range cmd.Commands() {
			walk(c)
		}
	}
	walk(root)
}
