package operator

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/iampolicy"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/plan"
)

// Every kind of plan step says what it needs: the Op constants are read
// from the plan package's source, so a new one fails here until StepNeeds
// knows it.
func TestStepNeedsKnowsEveryOp(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "../plan/plan.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ops []plan.Op
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || vs.Type == nil || len(vs.Values) != 1 {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Op" {
			if lit, ok := vs.Values[0].(*ast.BasicLit); ok {
				v, _ := strconv.Unquote(lit.Value)
				ops = append(ops, plan.Op(v))
			}
		}
		return true
	})
	if len(ops) < 30 {
		t.Fatalf("read %d ops from plan.go", len(ops))
	}
	l := &live.State{AccountID: "111122223333", Partition: "aws", Region: "eu-west-1", Secrets: map[string]*live.Secret{}}
	doc := Policy(Options{})
	for _, op := range ops {
		p := &plan.Plan{Steps: []plan.Step{{ID: string(op) + " x", Op: op, Name: "redislabs-user", Target: "redislabs-cluster-node-role"}}}
		needs := StepNeeds(p, l)
		if len(needs) == 0 {
			t.Errorf("StepNeeds says nothing for %s", op)
		}
		for _, n := range needs {
			if !slices.ContainsFunc(doc.Statement, func(s Statement) bool { return slices.Contains(s.Action, n.Action) }) {
				t.Errorf("%s needs %s, which the operator policy never allows", op, n.Action)
			}
		}
	}
}

func TestPolicyScopesAndOptions(t *testing.T) {
	doc := Policy(Options{Commands: []string{"verify"}, AccountID: "111122223333", Region: "eu-west-1", Layout: desired.LayoutRV})
	raw := string(doc.JSON())
	if _, err := iampolicy.Validate(doc.JSON(), iampolicy.ManagedPolicy); err != nil {
		t.Fatalf("not a valid managed policy: %v\n%s", err, raw)
	}
	for _, want := range []string{`"arn:aws:secretsmanager:eu-west-1:111122223333:secret:/redislabsuser/password-??????"`, `"iam:SimulatePrincipalPolicy"`} {
		if !strings.Contains(raw, want) {
			t.Errorf("lacks %s:\n%s", want, raw)
		}
	}
	for _, not := range []string{"iam:CreateRole", "redislabs-role", "sts:AssumeRole", `"*:role/`} {
		if strings.Contains(raw, not) {
			t.Errorf("a verify-only rv document holds %s:\n%s", not, raw)
		}
	}
	fleet := string(Policy(Options{Fleet: true, MemberRole: "ops/Admin"}).JSON())
	if !strings.Contains(fleet, `"arn:aws:iam::*:role/ops/Admin"`) || !strings.Contains(fleet, "organizations:ListAccounts") {
		t.Errorf("fleet document:\n%s", fleet)
	}
	for _, s := range Policy(Options{Fleet: true}).Statement {
		if s.Sid == "" {
			t.Errorf("a statement without Sid: %+v", s)
		}
	}
}

func TestParseCommands(t *testing.T) {
	if c, err := ParseCommands(" plan, verify,plan"); err != nil || !slices.Equal(c, []string{"plan", "verify"}) {
		t.Errorf("ParseCommands = %v, %v", c, err)
	}
	if c, _ := ParseCommands(""); !slices.Equal(c, Commands) {
		t.Errorf("default %v", c)
	}
	if _, err := ParseCommands("plan,simulate"); err == nil || !strings.Contains(err.Error(), `"simulate"`) {
		t.Errorf("bad entry: %v", err)
	}
}

// The document fits IAM's managed policy size limit in its largest form.
func TestPolicyFitsManagedPolicyLimit(t *testing.T) {
	doc := Policy(Options{Fleet: true, AccountID: "111122223333", Region: "ap-southeast-2", MemberRole: strings.Repeat("r", 64)})
	if _, err := iampolicy.Validate(doc.JSON(), iampolicy.ManagedPolicy); err != nil {
		t.Fatal(err)
	}
}
