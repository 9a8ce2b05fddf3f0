package render

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/iampolicy"
	"github.com/rciam/rciam/internal/policysource"
	"github.com/rciam/rciam/internal/testenv/golden"
)

// Trust policies of docs/entities.md, written out here rather than taken from the
// code under test.
const (
	specNodeTrust    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	specConsoleTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::168085023892:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
)

// bundled builds the desired set of docs-v1 without an account id, as
// render does.
func bundled(t testing.TB, layout desired.Layout) *desired.Set {
	t.Helper()
	sel, err := policysource.Bundled("docs-v1")
	if err != nil {
		t.Fatal(err)
	}
	s, err := desired.Build(sel, desired.Options{Layout: layout})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sourceDoc reads a bundled document from the source tree, independently
// of policysource.
func sourceDoc(t testing.TB, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "policysource", "bundled", "docs-v1", file))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func renderString(t testing.TB, s *desired.Set, o Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, s, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The rendered code is what users read: it is compared with golden files
// (internal/testenv/golden; `go test ./internal/render/ -update`).
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file   string
		layout desired.Layout
		opts   Options
	}{
		{"cloudformation.json", desired.LayoutCloud, Options{Format: CloudFormation}},
		{"terraform.tf", desired.LayoutCloud, Options{Format: Terraform}},
		{"json.json", desired.LayoutCloud, Options{Format: JSON}},
		{"terraform-registration.tf", desired.LayoutCloud, Options{Format: Terraform, WithRegistration: true}},
		{"cloudformation-rv.json", desired.LayoutRV, Options{Format: CloudFormation}},
		{"graph.mmd", desired.LayoutCloud, Options{Format: Mermaid}},
		{"graph.dot", desired.LayoutCloud, Options{Format: Dot}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			golden.Check(t, tc.file, []byte(renderString(t, bundled(t, tc.layout), tc.opts)))
		})
	}
}

// template is the part of a CloudFormation template the tests read.
type template struct {
	Parameters map[string]struct {
		Default *json.RawMessage
	}
	Resources map[string]struct {
		Type       string
		Properties map[string]json.RawMessage
	}
	Outputs map[string]json.RawMessage
}

// The CloudFormation template names docs/entities.md's entities once each, carries
// each policy document literally as an object (never a string, never
// through Fn::Sub) and semantically equal to its source, the trust
// policies, tags and attachments, and needs no parameter.
func TestCloudFormationMeansTheSame(t *testing.T) {
	t.Parallel()
	var tpl template
	out := renderString(t, bundled(t, desired.LayoutCloud), Options{Format: CloudFormation})
	if err := json.Unmarshal([]byte(out), &tpl); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	for name, p := range tpl.Parameters {
		if p.Default == nil {
			t.Errorf("parameter %s has no Default", name)
		}
	}
	named := map[string]string{} // "Type Name" → logical id
	for id, res := range tpl.Resources {
		for _, prop := range []string{"ManagedPolicyName", "RoleName", "InstanceProfileName", "UserName", "Name"} {
			var name string
			if raw, ok := res.Properties[prop]; ok && json.Unmarshal(raw, &name) == nil {
				named[res.Type+" "+name] = id
			}
		}
		if res.Type == "AWS::IAM::AccessKey" {
			named[res.Type] = id
		}
	}
	want := []string{
		"AWS::IAM::AccessKey",
		"AWS::IAM::InstanceProfile redislabs-cluster-node-role",
		"AWS::IAM::ManagedPolicy RedisLabsInstanceRolePolicy",
		"AWS::IAM::ManagedPolicy RedislabsIAMUserRestrictedPolicy",
		"AWS::IAM::Role redislabs-cluster-node-role",
		"AWS::IAM::Role redislabs-role",
		"AWS::IAM::User redislabs-user",
		"AWS::SecretsManager::Secret /redislabsuser/password",
		"AWS::SecretsManager::Secret /redislabsuser/secret_access_key",
	}
	if got := sortedKeys(named); strings.Join(got, "\n") != strings.Join(want, "\n") || len(tpl.Resources) != len(want) {
		t.Fatalf("resources:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	props := func(key, prop string) json.RawMessage { return tpl.Resources[named[key]].Properties[prop] }
	expectDoc(t, "instance policy", props("AWS::IAM::ManagedPolicy RedisLabsInstanceRolePolicy", "PolicyDocument"), sourceDoc(t, policysource.InstanceFile))
	expectDoc(t, "user policy", props("AWS::IAM::ManagedPolicy RedislabsIAMUserRestrictedPolicy", "PolicyDocument"), sourceDoc(t, policysource.UserFile))
	expectDoc(t, "node trust", props("AWS::IAM::Role redislabs-cluster-node-role", "AssumeRolePolicyDocument"), []byte(specNodeTrust))
	expectDoc(t, "console trust", props("AWS::IAM::Role redislabs-role", "AssumeRolePolicyDocument"), []byte(specConsoleTrust))

	// Attachments: the instance policy to the node role; the user policy
	// to the console role and the user.
	expectJSON(t, "instance policy Roles", props("AWS::IAM::ManagedPolicy RedisLabsInstanceRolePolicy", "Roles"), `[{"Ref":"`+named["AWS::IAM::Role redislabs-cluster-node-role"]+`"}]`)
	expectJSON(t, "user policy Roles", props("AWS::IAM::ManagedPolicy RedislabsIAMUserRestrictedPolicy", "Roles"), `[{"Ref":"`+named["AWS::IAM::Role redislabs-role"]+`"}]`)
	expectJSON(t, "user policy Users", props("AWS::IAM::ManagedPolicy RedislabsIAMUserRestrictedPolicy", "Users"), `[{"Ref":"`+named["AWS::IAM::User redislabs-user"]+`"}]`)
	identity := `[{"Key":"ManagedBy","Value":"rciam"},{"Key":"UsedBy","Value":"RedisLabs"}]`
	expectJSON(t, "node role tags", props("AWS::IAM::Role redislabs-cluster-node-role", "Tags"), identity)
	expectJSON(t, "console role tags", props("AWS::IAM::Role redislabs-role", "Tags"), identity)
	expectJSON(t, "user tags", props("AWS::IAM::User redislabs-user", "Tags"), `[{"Key":"ManagedBy","Value":"rciam"},{"Key":"UsedBy","Value":"RedisLabs"},{"Key":"rciam:region","Value":{"Ref":"AWS::Region"}}]`)
	expectJSON(t, "login profile", props("AWS::IAM::User redislabs-user", "LoginProfile"),
		`{"Password":{"Fn::Sub":"{{resolve:secretsmanager:${`+named["AWS::SecretsManager::Secret /redislabsuser/password"]+`}:SecretString:password}}"},"PasswordResetRequired":false}`)
	if strings.Count(out, "Fn::Sub") != 2 { // the login password and the sign-in URL only
		t.Errorf("Fn::Sub used %d times, want 2 (never for a policy document)", strings.Count(out, "Fn::Sub"))
	}
	outputs := sortedKeys(tpl.Outputs)
	if strings.Join(outputs, ",") != "IAMRoleName,accessKeyId,accessSecretKey,consolePassword,consoleUsername,signInLoginUrl" {
		t.Errorf("outputs = %v", outputs)
	}
}

// The JSON dump names the same entities, with documents equal to the
// source.
func TestJSONDump(t *testing.T) {
	t.Parallel()
	var d Dump
	if err := json.Unmarshal([]byte(renderString(t, bundled(t, desired.LayoutRV), Options{Format: JSON})), &d); err != nil {
		t.Fatal(err)
	}
	if d.Layout != "rv" || d.PolicySource != "docs-v1" || len(d.Policies) != 2 || len(d.Roles) != 1 || d.Roles[0].Name != "redislabs-cluster-node-role" ||
		len(d.InstanceProfiles) != 1 || len(d.Users) != 1 || d.Users[0].AccessKeys != 1 || len(d.Secrets) != 2 {
		t.Fatalf("dump = %+v", d)
	}
	expectDoc(t, "instance policy", d.Policies[0].Document, sourceDoc(t, policysource.InstanceFile))
	expectDoc(t, "user policy", d.Policies[1].Document, sourceDoc(t, policysource.UserFile))
	expectDoc(t, "node trust", d.Roles[0].TrustPolicy, []byte(specNodeTrust))
	if d.Roles[0].AttachedPolicies[0] != "RedisLabsInstanceRolePolicy" || d.Users[0].AttachedPolicies[0] != "RedislabsIAMUserRestrictedPolicy" {
		t.Errorf("attachments = %v, %v", d.Roles[0].AttachedPolicies, d.Users[0].AttachedPolicies)
	}
}

func TestRegistrationIsTerraformOnly(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{CloudFormation, JSON} {
		err := Render(&bytes.Buffer{}, bundled(t, desired.LayoutCloud), Options{Format: f, WithRegistration: true})
		if err == nil || !strings.Contains(err.Error(), "--format terraform") {
			t.Errorf("%s --with-registration: %v", f, err)
		}
	}
	if _, err := ParseFormat("yaml"); err == nil || !strings.Contains(err.Error(), "cloudformation, terraform, json, mermaid, dot, operator-policy") {
		t.Errorf("ParseFormat(yaml) = %v", err)
	}
}

func expectDoc(t *testing.T, what string, got, want []byte) {
	t.Helper()
	g, err := iampolicy.Parse(got)
	if err != nil {
		t.Fatalf("%s: rendered document does not parse: %v\n%s", what, err, got)
	}
	w, err := iampolicy.Parse(want)
	if err != nil {
		t.Fatal(err)
	}
	if !iampolicy.Equal(g, w) {
		t.Errorf("%s differs from its source:\n%s", what, strings.Join(iampolicy.Diff(w, g), "\n"))
	}
}

func expectJSON(t *testing.T, what string, got json.RawMessage, want string) {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, got); err != nil || b.String() != want {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
