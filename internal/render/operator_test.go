package render

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/operator"
	"github.com/rciam/rciam/internal/testenv"
)

// The wrapped operator policy holds the document unchanged — read back
// from the template's JSON and from the Terraform's HCL expression — and
// passes cfn-lint and terraform fmt -check.
func TestOperatorPolicyFormats(t *testing.T) {
	t.Parallel()
	doc := operator.Policy(operator.Options{Fleet: true}).JSON()
	render := func(f Format) string {
		var b bytes.Buffer
		if err := Operator(&b, doc, f, "commands plan; layout cloud"); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if got := render(OperatorPolicy); got != string(doc) {
		t.Errorf("operator-policy is not the document itself:\n%s", got)
	}

	cfn := render(OperatorPolicyCloudFormation)
	var tpl struct {
		Resources map[string]struct {
			Type       string
			Properties struct {
				ManagedPolicyName string
				PolicyDocument    json.RawMessage
			}
		}
	}
	if err := json.Unmarshal([]byte(cfn), &tpl); err != nil {
		t.Fatal(err)
	}
	res := tpl.Resources["RciamOperatorPolicy"]
	if res.Type != "AWS::IAM::ManagedPolicy" || res.Properties.ManagedPolicyName != "rciam-operator" {
		t.Errorf("template resource %+v", res)
	}
	expectDoc(t, "CloudFormation operator policy", res.Properties.PolicyDocument, doc)

	tf := render(OperatorPolicyTerraform)
	blocks := parseTerraform(t, tf)
	b := blocks[`resource aws_iam_policy rciam_operator`]
	if b == nil {
		t.Fatalf("no aws_iam_policy rciam_operator:\n%s", tf)
	}
	expectDoc(t, "Terraform operator policy", []byte(literal(t, b, "policy")), doc)
	if literal(t, b, "name") != "rciam-operator" {
		t.Error("the Terraform policy is not named rciam-operator")
	}

	cfnLint := testenv.NeedTool(t, "cfn-lint")
	terraform := testenv.NeedTool(t, "terraform")
	dir := t.TempDir()
	for _, c := range []struct{ file, body string }{{"operator.json", cfn}, {"operator.tf", tf}} {
		path := filepath.Join(dir, c.file)
		if err := os.WriteFile(path, []byte(c.body), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(cfnLint, "--format", "parseable", "--", path)
		if strings.HasSuffix(c.file, ".tf") {
			cmd = exec.Command(terraform, "fmt", "-check", "-diff", path)
		}
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE=/dev/null", "CHECKPOINT_DISABLE=1")
		if err := cmd.Run(); err != nil || out.Len() != 0 {
			t.Errorf("%s on %s: %v\n%s\n%s", cmd.Args[0], c.file, err, out.String(), c.body)
		}
	}
}
