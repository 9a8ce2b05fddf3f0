package render

import (
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/policysource"
)

// evalCtx evaluates the literal parts of the configuration: jsonencode is
// Terraform's, and "$${" unescapes as Terraform does.
var evalCtx = &hcl.EvalContext{Functions: map[string]function.Function{"jsonencode": stdlib.JSONEncodeFunc}}

// parseTerraform parses src with HCL's native syntax parser and returns
// its blocks by "type label…".
func parseTerraform(t *testing.T, src string) map[string]*hclsyntax.Block {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "rendered.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("rendered HCL does not parse: %s", diags.Error())
	}
	blocks := map[string]*hclsyntax.Block{}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		key := strings.Join(append([]string{b.Type}, b.Labels...), " ")
		if _, dup := blocks[key]; dup {
			t.Errorf("block %s appears twice", key)
		}
		blocks[key] = b
	}
	return blocks
}

// literal evaluates a block's attribute that needs no reference.
func literal(t *testing.T, b *hclsyntax.Block, name string) string {
	t.Helper()
	a, ok := b.Body.Attributes[name]
	if !ok {
		t.Fatalf("%s %v has no %s", b.Type, b.Labels, name)
	}
	v, diags := a.Expr.Value(evalCtx)
	if diags.HasErrors() || v.Type() != cty.String {
		t.Fatalf("%s %v %s does not evaluate to a string: %s", b.Type, b.Labels, name, diags.Error())
	}
	return v.AsString()
}

// docs/render.md: the Terraform parses, names the same entities one block
// each, and each document, evaluated from its HCL expression, is
// semantically equal to its source.
func TestTerraformMeansTheSame(t *testing.T) {
	t.Parallel()
	src := renderString(t, bundled(t, desired.LayoutCloud), Options{Format: Terraform, WithRegistration: true})
	blocks := parseTerraform(t, src)
	names := map[string]string{}
	for key, b := range blocks {
		if b.Type == "resource" {
			if _, ok := b.Body.Attributes["name"]; ok && b.Labels[0] != "rediscloud_cloud_account" {
				names[b.Labels[0]+" "+literal(t, b, "name")] = key
			} else {
				names[b.Labels[0]+" "+b.Labels[1]] = key
			}
		}
		if _, counted := b.Body.Attributes["count"]; counted {
			t.Errorf("%s uses count", key)
		}
		if _, each := b.Body.Attributes["for_each"]; each {
			t.Errorf("%s uses for_each", key)
		}
	}
	want := []string{
		"aws_iam_access_key redislabs_user",
		"aws_iam_instance_profile redislabs-cluster-node-role",
		"aws_iam_policy RedisLabsInstanceRolePolicy",
		"aws_iam_policy RedislabsIAMUserRestrictedPolicy",
		"aws_iam_role redislabs-cluster-node-role",
		"aws_iam_role redislabs-role",
		"aws_iam_role_policy_attachment cluster_node_role_instance_role_policy",
		"aws_iam_role_policy_attachment cross_account_role_user_restricted_policy",
		"aws_iam_user redislabs-user",
		"aws_iam_user_login_profile redislabs_user",
		"aws_iam_user_policy_attachment redislabs_user_user_restricted_policy",
		"aws_secretsmanager_secret /redislabsuser/password",
		"aws_secretsmanager_secret /redislabsuser/secret_access_key",
		"aws_secretsmanager_secret_version password",
		"aws_secretsmanager_secret_version secret_access_key",
		"rediscloud_cloud_account this",
	}
	got := make([]string, 0, len(names))
	for k := range names {
		got = append(got, k)
	}
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("resources:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	doc := func(key, attr string) []byte { return []byte(literal(t, blocks[names[key]], attr)) }
	expectDoc(t, "instance policy", doc("aws_iam_policy RedisLabsInstanceRolePolicy", "policy"), sourceDoc(t, policysource.InstanceFile))
	expectDoc(t, "user policy", doc("aws_iam_policy RedislabsIAMUserRestrictedPolicy", "policy"), sourceDoc(t, policysource.UserFile))
	expectDoc(t, "node trust", doc("aws_iam_role redislabs-cluster-node-role", "assume_role_policy"), []byte(specNodeTrust))
	expectDoc(t, "console trust", doc("aws_iam_role redislabs-role", "assume_role_policy"), []byte(specConsoleTrust))
	if !strings.Contains(src, "$${aws:username}") {
		t.Error("the user policy's ${aws:username} is not escaped as $${aws:username}")
	}
	login := blocks[names["aws_iam_user_login_profile redislabs_user"]]
	if v, _ := login.Body.Attributes["password_reset_required"].Expr.Value(nil); v.True() {
		t.Error("login profile requires a password reset")
	}
}

// Documents with everything HCL would otherwise interpret — "${", "%{",
// quotes, backslashes, numbers, booleans, keys that are not identifiers —
// come back equal.
func TestTerraformEscapesDocuments(t *testing.T) {
	t.Parallel()
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"Tricky","Effect":"Allow","Action":["s3:ListBucket"],"Resource":"*",
		"Condition":{"StringLike":{"s3:prefix":["home/${aws:username}/*","%{literal}","a\"b\\c","$${kept}","tab\there"]},
		"NumericLessThan":{"aws:MultiFactorAuthAge":3600},"Bool":{"aws:SecureTransport":true}}}]}`
	sel := policysource.Selection{Source: "files",
		Instance: policysource.Document{File: "i.json", Raw: []byte(doc)}, User: policysource.Document{File: "u.json", Raw: []byte(doc)}}
	s, err := desired.Build(sel, desired.Options{Layout: desired.LayoutRV})
	if err != nil {
		t.Fatal(err)
	}
	blocks := parseTerraform(t, renderString(t, s, Options{Format: Terraform}))
	expectDoc(t, "tricky policy", []byte(literal(t, blocks[`resource aws_iam_policy instance_role_policy`], "policy")), []byte(doc))
}

// FuzzHCLString: any string of the characters IAM allows in a policy
// (U+0000–U+00FF here; docs/behaviour.md, "Documents: validation and comparison"), quoted by hclString, parses and
// evaluates back to itself. Beyond Latin-1, HCL normalizes strings to NFC,
// which IAM documents never need.
func FuzzHCLString(f *testing.F) {
	for _, s := range []string{"", "${aws:username}", "%{if x}", `a"b\c`, "$${x}", "$", "%", "line\nbreak\x01", "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return r > 0xFF }) >= 0 {
			return
		}
		q := hclString(s)
		expr, diags := hclsyntax.ParseExpression([]byte(q), "s", hcl.InitialPos)
		if diags.HasErrors() {
			t.Fatalf("%q quoted as %s does not parse: %s", s, q, diags.Error())
		}
		v, diags := expr.Value(nil)
		if diags.HasErrors() || v.AsString() != s {
			t.Fatalf("%q quoted as %s evaluates to %#v (%s)", s, q, v, diags.Error())
		}
	})
}
