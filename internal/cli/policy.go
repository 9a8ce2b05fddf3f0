package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/policysource"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/view"
)

func init() { register(newPolicyCmd) }

func newPolicyCmd(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "List and show the bundled policy versions (offline)",
		Long: `The policy versions built into rciam. plan, apply, verify and render use one
with --policy-version; docs-v1 is also the fallback when a --policy-source
fetch fails and nothing is cached. Needs no credentials, region or network.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "list",
		Short: "List the bundled policy versions with their documents' SHA-256",
		Args:  cobra.NoArgs,
		RunE:  func(*cobra.Command, []string) error { return policyList(f) },
	})
	var document string
	show := &cobra.Command{
		Use:   "show NAME",
		Short: "Print a bundled version's two documents and their SHA-256",
		Example: `  rciam policy show docs-v1
  rciam policy show docs-v1 --document user | sha256sum`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("policy show takes one version name: see 'rciam policy list'")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error { return policyShow(f, args[0], document) },
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return policysource.Versions(), cobra.ShellCompDirectiveNoFileComp
		},
	}
	show.Flags().StringVar(&document, "document", "", "print only one document, byte for byte: instance or user")
	cmd.AddCommand(show)
	return cmd
}

func versionJSON(name string, sel policysource.Selection, withDocs bool) view.PolicyVersion {
	v := view.PolicyVersion{Name: name, Fallback: name == policysource.DefaultVersion, About: policysource.About(name)}
	for _, d := range []struct {
		policy string
		doc    policysource.Document
	}{{r.InstancePolicyName, sel.Instance}, {r.UserPolicyName, sel.User}} {
		j := view.PolicyDocument{File: d.doc.File, Policy: d.policy, SHA256: d.doc.SHA256()}
		if withDocs {
			j.Document = string(d.doc.Raw)
		}
		v.Documents = append(v.Documents, j)
	}
	return v
}

func policyList(f *Factory) error {
	var out []view.PolicyVersion
	for _, name := range policysource.Versions() {
		sel, err := policysource.Bundled(name)
		if err != nil {
			return err
		}
		out = append(out, versionJSON(name, sel, false))
	}
	if f.JSON() {
		return view.WriteJSON(f.IO.Out, view.PolicyVersions{Schema: view.Schema, Versions: out})
	}
	w := f.IO.Out
	for _, v := range out {
		mark := ""
		if v.Fallback {
			mark = " (fallback)"
		}
		fmt.Fprintf(w, "%s%s  %s\n", v.Name, mark, v.About)
		for _, d := range v.Documents {
			fmt.Fprintf(w, "  %-38s sha256 %s\n", d.File, d.SHA256)
		}
	}
	return nil
}

func policyShow(f *Factory, name, document string) error {
	sel, err := policysource.Bundled(name)
	if err != nil {
		return err
	}
	switch document {
	case "":
	case "instance":
		_, err := f.IO.Out.Write(sel.Instance.Raw)
		return err
	case "user":
		_, err := f.IO.Out.Write(sel.User.Raw)
		return err
	default:
		return usageErrorf("invalid --document %q: use instance or user", document)
	}
	v := versionJSON(name, sel, true)
	v.Schema = view.Schema
	if f.JSON() {
		return view.WriteJSON(f.IO.Out, v)
	}
	w := f.IO.Out
	fmt.Fprintf(w, "%s  %s\n", v.Name, v.About)
	for _, d := range v.Documents {
		fmt.Fprintf(w, "\n%s (policy %s)\nsha256 %s\n", d.File, d.Policy, d.SHA256)
		io.WriteString(w, d.Document)
		if !strings.HasSuffix(d.Document, "\n") {
			fmt.Fprintln(w)
		}
	}
	return nil
}
