package render

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/testenv"
)

// The rendered code is judged by the tools its users run: cfn-lint on the
// CloudFormation (no error, no warning, both layouts) and `terraform fmt
// -check` on the Terraform (terraform's own formatting, so a user's
// `terraform fmt` in CI changes nothing).
func TestRenderedCodePassesItsTools(t *testing.T) {
	t.Parallel()
	cfnLint := testenv.NeedTool(t, "cfn-lint")
	terraform := testenv.NeedTool(t, "terraform")
	for _, tc := range []struct {
		name   string
		file   string
		layout desired.Layout
		opts   Options
		cmd    func(file string) *exec.Cmd
	}{
		{"cloudformation", "template.json", desired.LayoutCloud, Options{Format: CloudFormation},
			func(f string) *exec.Cmd { return exec.Command(cfnLint, "--format", "parseable", "--", f) }},
		{"cloudformation-rv", "template.json", desired.LayoutRV, Options{Format: CloudFormation},
			func(f string) *exec.Cmd { return exec.Command(cfnLint, "--format", "parseable", "--", f) }},
		{"terraform", "main.tf", desired.LayoutCloud, Options{Format: Terraform},
			func(f string) *exec.Cmd { return exec.Command(terraform, "fmt", "-check", "-diff", f) }},
		{"terraform-registration", "main.tf", desired.LayoutCloud, Options{Format: Terraform, WithRegistration: true},
			func(f string) *exec.Cmd { return exec.Command(terraform, "fmt", "-check", "-diff", f) }},
		{"terraform-rv", "main.tf", desired.LayoutRV, Options{Format: Terraform},
			func(f string) *exec.Cmd { return exec.Command(terraform, "fmt", "-check", "-diff", f) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(file, []byte(renderString(t, bundled(t, tc.layout), tc.opts)), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := tc.cmd(file)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE=/dev/null", "CHECKPOINT_DISABLE=1")
			if err := cmd.Run(); err != nil {
				t.Fatalf("%s: %v\n%s", cmd.Args[0], err, out.String())
			}
			if tc.opts.Format == CloudFormation && out.Len() != 0 {
				t.Errorf("cfn-lint reported:\n%s", out.String())
			}
		})
	}
}
