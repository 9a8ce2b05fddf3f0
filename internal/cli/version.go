package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/view"
)

func init() { register(newVersionCmd) }

// buildVersion reads what the binary was built from: the module version
// (a tag for `go install …@v1.2.3`, "(devel)" for a local build), the VCS
// revision and time, and the Go version.
func buildVersion() view.Version {
	v := view.Version{Schema: view.Schema, Version: "(devel)"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.GoVersion = bi.GoVersion
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.CommitTime = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func newVersionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print rciam's version, commit and Go version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := buildVersion()
			if f.JSON() {
				return view.WriteJSON(f.IO.Out, v)
			}
			_, err := fmt.Fprintln(f.IO.Out, v.Line())
			return err
		},
	}
}
