package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/iostreams"
	"github.com/rciam/rciam/internal/view"
)

const (
	refUserPolicy  = "../../testdata/published/RedislabsIAMUserRestrictedPolicy.json"
	seedUserPolicy = "../policysource/bundled/docs-v1/RedislabsIAMUserRestrictedPolicy.json"
	instanceARN    = "arn:aws:ec2:us-east-1:123456789012:instance/i-1"
)

// simulateRun runs rciam in-process with no AWS configuration at all:
// simulate must not need any.
func simulateRun(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code = Run(context.Background(), ios, args)
	return out.String(), errOut.String(), code
}

func writeDoc(t *testing.T, dir, name, doc string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Human output and exit codes (docs/commands.md, simulate: 0 allowed, 1 denied,
// 3 any error).
func TestSimulateText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		args           []string
		stdout, stderr string
		code           int
	}{
		{"explicit deny without tag",
			[]string{"simulate", "--policy-file", refUserPolicy, "--action", "ec2:RunInstances", "--resource", instanceARN},
			"explicitDeny  ec2:RunInstances on " + instanceARN + "\n  Deny by " + refUserPolicy + ` statement "ForceUnderlyingResourcesToHaveIdentifierTags"` + "\n", "", 1},
		{"allowed with tag, key in any case",
			[]string{"simulate", "--policy-file", refUserPolicy, "--action", "ec2:RunInstances", "--resource", instanceARN,
				"--context", "AWS:REQUESTTAG/RedisLabsIdentifier=Redislabs-VPC"},
			"allowed  ec2:RunInstances on " + instanceARN + "\n  Allow by " + refUserPolicy + ` statement "CreateEc2ResourcesWithoutTag"` + "\n", "", 0},
		{"implicit deny",
			[]string{"simulate", "--policy-file", seedUserPolicy, "--action", "s3:GetObject", "--resource", "*"},
			"implicitDeny  s3:GetObject on *\n  no Allow statement applies in: identity policies\n", "", 1},
		{"variable from context",
			[]string{"simulate", "--policy-file", seedUserPolicy, "--action", "iam:GetUser", "--resource", "arn:aws:iam::123456789012:user/redislabs-user",
				"--context", "aws:username=redislabs-user"},
			"allowed  iam:GetUser on arn:aws:iam::123456789012:user/redislabs-user\n  Allow by " + seedUserPolicy + ` statement "IamUserOperations"` + "\n", "", 0},
		{"no variable without context",
			[]string{"simulate", "--policy-file", seedUserPolicy, "--action", "iam:GetUser", "--resource", "arn:aws:iam::123456789012:user/redislabs-user"},
			"implicitDeny  iam:GetUser on arn:aws:iam::123456789012:user/redislabs-user\n  no Allow statement applies in: identity policies\n",
			"note: the policies use ${aws:username}, which have no value here: give them with --context, e.g. --context aws:username=VALUE\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := simulateRun(t, tt.args...)
			if stdout != tt.stdout || stderr != tt.stderr || code != tt.code {
				t.Fatalf("got code %d\nstdout:\n%s\nstderr:\n%s\nwant code %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
}

// JSON output (docs/commands.md, "JSON"), with a boundary and SCP levels.
func TestSimulateJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	allowAll := writeDoc(t, dir, "all.json", `{"Version":"2012-10-17","Statement":{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"}}`)
	ec2Only := writeDoc(t, dir, "ec2.json", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}`)
	denyRun := writeDoc(t, dir, "deny.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"NoRun","Effect":"Deny","Action":"ec2:RunInstances","Resource":"*"}]}`)
	base := []string{"simulate", "--output", "json", "--policy-file", allowAll}
	m := func(policy, sid, effect string) view.SimulateMatch {
		return view.SimulateMatch{Policy: policy, Sid: sid, Effect: effect}
	}
	tests := []struct {
		name string
		args []string
		want view.Simulate
		code int
	}{
		{"allowed through every layer", []string{"--boundary-file", ec2Only, "--scp-file", allowAll, "--scp-file", ec2Only, "--action", "ec2:StartInstances", "--resource", "*"},
			view.Simulate{Schema: 1, Decision: "allowed", Matched: []view.SimulateMatch{m(allowAll, "All", "Allow"), m(ec2Only, "#1", "Allow"), m(allowAll, "All", "Allow"), m(ec2Only, "#1", "Allow")}}, 0},
		{"boundary does not allow", []string{"--boundary-file", ec2Only, "--action", "s3:GetObject", "--resource", "*"},
			view.Simulate{Schema: 1, Decision: "implicitDeny", Matched: []view.SimulateMatch{}}, 1},
		{"second scp level does not allow", []string{"--scp-file", allowAll, "--scp-file", ec2Only, "--action", "s3:GetObject", "--resource", "*"},
			view.Simulate{Schema: 1, Decision: "implicitDeny", Matched: []view.SimulateMatch{}}, 1},
		{"scp deny", []string{"--scp-file", denyRun, "--action", "ec2:RunInstances", "--resource", instanceARN},
			view.Simulate{Schema: 1, Decision: "explicitDeny", Matched: []view.SimulateMatch{m(denyRun, "NoRun", "Deny")}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := simulateRun(t, append(append([]string{}, base...), tt.args...)...)
			var got view.Simulate
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
			}
			if !reflect.DeepEqual(got, tt.want) || code != tt.code || stderr != "" {
				t.Fatalf("got %+v code %d stderr %q, want %+v code %d", got, code, stderr, tt.want, tt.code)
			}
		})
	}
}

// Every error, usage errors included, is one line on stderr and exit 3,
// with nothing on stdout.
func TestSimulateErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := writeDoc(t, dir, "bad.json", `{"Version":"2012-10-17","Statement":[{"Sid":"Ok","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"Typo","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3"}]}`)
	notJSON := writeDoc(t, dir, "notjson.json", `{"Version":`)
	ok := []string{"--policy-file", seedUserPolicy}
	req := []string{"--action", "s3:GetObject", "--resource", "*"}
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"missing policy", req, "rciam: missing --policy-file: give at least one identity policy document\n"},
		{"missing action", append(ok, "--resource", "*"), "rciam: missing --action: give the action to evaluate, e.g. --action ec2:RunInstances\n"},
		{"missing resource", append(ok, "--action", "s3:GetObject"), "rciam: missing --resource: give a resource ARN or *\n"},
		{"bad action", append(ok, "--action", "GetObject", "--resource", "*"), `rciam: invalid --action "GetObject": give one action as service:Action, e.g. ec2:RunInstances` + "\n"},
		{"wildcard action", append(ok, "--action", "s3:Get*", "--resource", "*"), `rciam: invalid --action "s3:Get*": give one action as service:Action, e.g. ec2:RunInstances` + "\n"},
		{"bad arn", append(ok, "--action", "s3:GetObject", "--resource", "arn:aws:s3:bucket"), `rciam: invalid --resource "arn:aws:s3:bucket": give an ARN (arn:partition:service:region:account:resource) or *` + "\n"},
		{"bad context", append(append(ok, req...), "--context", "aws:username"), `rciam: invalid --context "aws:username": use KEY=VALUE, e.g. aws:username=redislabs-user` + "\n"},
		{"missing file", append([]string{"--policy-file", filepath.Join(dir, "none.json")}, req...), "rciam: read policy file " + filepath.Join(dir, "none.json") + ": no such file or directory\n"},
		{"bad statement", append([]string{"--policy-file", bad}, req...), "rciam: policy file " + bad + `: statement "Typo": Resource: resource "arn:aws:s3" must be in ARN format (arn:partition:service:region:account:resource) or "*"` + "\n"},
		{"not json", append(append(ok, "--scp-file", notJSON), req...), "rciam: policy file " + notJSON + ": not valid JSON: unexpected end of JSON input (byte 11)\n"},
		{"bad boundary", append(append(ok, "--boundary-file", bad), req...), "rciam: policy file " + bad + `: statement "Typo": Resource: resource "arn:aws:s3" must be in ARN format (arn:partition:service:region:account:resource) or "*"` + "\n"},
		{"unknown flag", append(append(ok, req...), "--bogus"), "rciam: unknown flag: --bogus (see 'rciam simulate --help')\n"},
		{"flag without value", append(ok, "--action"), "rciam: flag needs an argument: --action (see 'rciam simulate --help')\n"},
		{"bad output", append(append(ok, req...), "--output", "yaml"), "rciam: invalid --output \"yaml\": use text or json (verify also junit or sarif)\n"},
		{"positional argument", append(append(ok, req...), "extra"), "rciam: unknown command \"extra\" for \"rciam simulate\" (see 'rciam simulate --help')\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := simulateRun(t, append([]string{"simulate"}, tt.args...)...)
			if code != 3 || stdout != "" || stderr != tt.stderr {
				t.Fatalf("got code %d stdout %q stderr\n%q\nwant code 3, no stdout, stderr\n%q", code, stdout, stderr, tt.stderr)
			}
		})
	}
}

// A policy variable with no value matches nothing: a denial says which
// variables had none and how to give them.
func TestSimulateHintsAtContext(t *testing.T) {
	t.Parallel()
	doc := filepath.Join(t.TempDir(), "self.json")
	if err := os.WriteFile(doc, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"simulate", "--policy-file", doc, "--action", "iam:GetUser", "--resource", "arn:aws:iam::123456789012:user/alice"}
	res := rciam(t, nil, runOpts{}, args...).mustCode(t, 1)
	if !strings.Contains(res.stderr, "note: the policies use ${aws:username}, which have no value here: give them with --context, e.g. --context aws:username=VALUE") {
		t.Errorf("no hint: %q", res.stderr)
	}
	ok := rciam(t, nil, runOpts{}, append(args, "--context", "aws:username=alice")...).mustCode(t, 0)
	if ok.stderr != "" {
		t.Errorf("a hint beside an allowed decision: %q", ok.stderr)
	}
}

// --rcp-file: one level of the resource's organization path each. RCP
// levels only deny (AWS attaches RCPFullAWSAccess everywhere); they count
// only for the services they cover and never for service-linked roles,
// which simulate says on stderr.
func TestSimulateRCP(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	allowAll := writeDoc(t, dir, "all.json", `{"Version":"2012-10-17","Statement":{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"}}`)
	perimeter := writeDoc(t, dir, "perimeter.json", `{"Version":"2012-10-17","Statement":[{"Sid":"EnforceOrgIdentities","Effect":"Deny","Principal":"*","Action":["sts:AssumeRole","ec2:*"],"Resource":"*",
	  "Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-example"},"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`)
	s3Only := writeDoc(t, dir, "s3only.json", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}`)
	role := "arn:aws:iam::123456789012:role/redislabs-role"
	base := []string{"simulate", "--output", "json", "--policy-file", allowAll}
	tests := []struct {
		name     string
		args     []string
		decision string
		sid      string
		note     string
		code     int
	}{
		{"outside principal denied", []string{"--rcp-file", perimeter, "--action", "sts:AssumeRole", "--resource", role,
			"--context", "aws:PrincipalAccount=168085023892", "--context", "aws:PrincipalIsAWSService=false"}, "explicitDeny", "EnforceOrgIdentities", "", 1},
		{"principal of the organization allowed", []string{"--rcp-file", perimeter, "--action", "sts:AssumeRole", "--resource", role,
			"--context", "aws:PrincipalOrgID=o-example", "--context", "aws:PrincipalIsAWSService=false"}, "allowed", "All", "", 0},
		{"a level allowing only s3 still lets sts through", []string{"--rcp-file", s3Only, "--action", "sts:AssumeRole", "--resource", role}, "allowed", "All", "", 0},
		{"ec2 is not covered", []string{"--rcp-file", perimeter, "--action", "ec2:RunInstances", "--resource", "*"}, "allowed", "All",
			"note: resource control policies do not cover ec2: the --rcp-file policies were not evaluated\n", 0},
		{"service-linked role", []string{"--rcp-file", perimeter, "--action", "sts:AssumeRole", "--resource", role,
			"--context", "aws:PrincipalArn=arn:aws:iam::123456789012:role/aws-service-role/ops.example.com/AWSServiceRoleForX"}, "allowed", "All",
			"note: resource control policies do not apply to service-linked roles: the --rcp-file policies were not evaluated\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := simulateRun(t, append(append([]string{}, base...), tt.args...)...)
			var got view.Simulate
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
			}
			if got.Decision != tt.decision || code != tt.code || stderr != tt.note || (tt.sid != "" && (len(got.Matched) == 0 || got.Matched[0].Sid != tt.sid)) {
				t.Fatalf("got %+v code %d stderr %q, want %s (%s) code %d stderr %q", got, code, stderr, tt.decision, tt.sid, tt.code, tt.note)
			}
		})
	}
}
