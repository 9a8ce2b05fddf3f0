package render

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/rciam/rciam/internal/bookkeeping"
	"github.com/rciam/rciam/internal/desired"
	r "github.com/rciam/rciam/internal/resource"
)

// tfWriter accumulates a Terraform configuration, indented as `terraform
// fmt` would; alignHCL then aligns the "=" signs.
type tfWriter struct {
	b   strings.Builder
	err error
	// registered adds the Redis Cloud cloud account and records its id on
	// the key secret, as `rciam register` does.
	registered bool
}

// block writes `head { attrs… }`, each attr one "name = expression".
func (t *tfWriter) block(head string, attrs ...string) {
	if len(attrs) == 0 {
		t.b.WriteString(head + " {}\n\n")
		return
	}
	t.b.WriteString(head + " {\n")
	for _, a := range attrs {
		t.b.WriteString("  " + a + "\n")
	}
	t.b.WriteString("}\n\n")
}

// doc renders a policy document as jsonencode({…}).
func (t *tfWriter) doc(doc []byte) string {
	expr, err := hclJSON(doc, 1)
	if err != nil && t.err == nil {
		t.err = err
	}
	return "jsonencode(" + expr + ")"
}

// tfTags renders a tags map; extra entries are raw expressions.
func tfTags(tags map[string]string, extra ...[2]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("tags = {\n")
	for _, k := range keys {
		b.WriteString("    " + hclKey(k) + " = " + hclString(tags[k]) + "\n")
	}
	for _, e := range extra {
		b.WriteString("    " + hclKey(e[0]) + " = " + e[1] + "\n")
	}
	b.WriteString("  }")
	return b.String()
}

func attr(name, expr string) string { return name + " = " + expr }

func tfRef(typ string, k r.Kind, name, field string) string {
	return typ + "." + idsOf(k, name).tf + "." + field
}

func writeTerraform(w io.Writer, s *desired.Set, registration bool) error {
	t := &tfWriter{registered: registration}
	t.header(s)
	for _, p := range s.Policies {
		t.block(`resource "aws_iam_policy" "`+idsOf(r.KindPolicy, p.Name).tf+`"`,
			attr("name", hclString(p.Name)), attr("description", hclString(p.Description)),
			attr("policy", t.doc(p.Document)), tfTags(p.Tags))
	}
	for _, role := range s.Roles {
		id := idsOf(r.KindRole, role.Name).tf
		t.block(`resource "aws_iam_role" "`+id+`"`,
			attr("name", hclString(role.Name)), attr("description", hclString(role.Description)),
			attr("assume_role_policy", t.doc(role.Trust)), tfTags(role.Tags))
		for _, pn := range role.Policies {
			t.block(`resource "aws_iam_role_policy_attachment" "`+id+"_"+idsOf(r.KindPolicy, pn).tf+`"`,
				attr("role", tfRef("aws_iam_role", r.KindRole, role.Name, "name")),
				attr("policy_arn", tfRef("aws_iam_policy", r.KindPolicy, pn, "arn")))
		}
	}
	for _, p := range s.Profiles {
		t.block(`resource "aws_iam_instance_profile" "`+idsOf(r.KindInstanceProfile, p.Name).tf+`"`,
			attr("name", hclString(p.Name)), attr("role", tfRef("aws_iam_role", r.KindRole, p.Role, "name")),
			tfTags(p.Tags))
	}
	t.user(s)
	if t.registered {
		t.registration(s)
	}
	t.outputs(s)
	return t.writeTo(w)
}

// writeTo writes the configuration, aligned, or the first error met.
func (t *tfWriter) writeTo(w io.Writer) error {
	if t.err != nil {
		return t.err
	}
	_, err := io.WriteString(w, alignHCL(strings.TrimRight(t.b.String(), "\n")+"\n"))
	return err
}

func (t *tfWriter) header(s *desired.Set) {
	fmt.Fprintf(&t.b, "# IAM entities Redis Cloud needs in this account, rendered by rciam\n# (layout %s, policies %s).\n", s.Layout, s.Source.Source)
	for _, p := range s.Policies {
		fmt.Fprintf(&t.b, "# %s: sha256 %s\n", p.Name, p.SHA256)
	}
	t.b.WriteString("# Region and credentials come from the AWS provider's usual settings\n" +
		"# (AWS_REGION, AWS_PROFILE, ...). In strings \"$${\" is Terraform's escape\n" +
		"# for a literal \"${\": IAM receives \"${aws:username}\".\n\n")
	if t.registered {
		t.b.WriteString("# The Redis Cloud provider reads REDISCLOUD_ACCESS_KEY and REDISCLOUD_SECRET_KEY.\n")
	}
	t.b.WriteString("terraform {\n  required_providers {\n    aws = {\n      source = \"hashicorp/aws\"\n      version = \">= 5.0\"\n    }\n")
	if t.registered {
		t.b.WriteString("    rediscloud = {\n      source = \"RedisLabs/rediscloud\"\n    }\n")
	}
	t.b.WriteString("  }\n}\n\n")
	t.block(`data "aws_caller_identity" "current"`)
}

// user writes the user, its policy attachments, access key, login profile
// and the two secrets with their values.
func (t *tfWriter) user(s *desired.Set) {
	u := s.User
	uid := idsOf(r.KindUser, u.Name).tf
	userName := tfRef("aws_iam_user", r.KindUser, u.Name, "name")
	// The region tags are read from the password secret's ARN: the
	// aws_region data source names that attribute differently in provider
	// v5 and v6.
	keySec, pwSec := secrets(s)
	region := `split(":", aws_secretsmanager_secret.` + idsOf(r.KindSecret, pwSec.Name).tf + `.arn)[3]`
	t.block(`resource "aws_iam_user" "`+uid+`"`, attr("name", hclString(u.Name)), tfTags(u.Tags, [2]string{bookkeeping.TagRegion, region}))
	for _, pn := range u.Policies {
		t.block(`resource "aws_iam_user_policy_attachment" "`+uid+"_"+idsOf(r.KindPolicy, pn).tf+`"`,
			attr("user", userName), attr("policy_arn", tfRef("aws_iam_policy", r.KindPolicy, pn, "arn")))
	}
	key := "aws_iam_access_key." + idsOf(r.KindAccessKey, u.Name).tf
	login := "aws_iam_user_login_profile." + idsOf(r.KindLoginProfile, u.Name).tf
	t.block(`resource "aws_iam_access_key" "`+idsOf(r.KindAccessKey, u.Name).tf+`"`, attr("user", userName), attr("status", `"Active"`))
	t.block(`resource "aws_iam_user_login_profile" "`+idsOf(r.KindLoginProfile, u.Name).tf+`"`,
		attr("user", userName), attr("password_length", fmt.Sprint(passwordLength)), attr("password_reset_required", "false"))

	kid, pid := idsOf(r.KindSecret, keySec.Name).tf, idsOf(r.KindSecret, pwSec.Name).tf
	books := [][2]string{{bookkeeping.TagKeyID, key + ".id"}, {bookkeeping.TagRegion, region}}
	if t.registered {
		books = append(books, [2]string{bookkeeping.TagCloudAccountID, "rediscloud_cloud_account." + cloudAccountID + ".id"})
	}
	t.block(`resource "aws_secretsmanager_secret" "`+kid+`"`,
		attr("name", hclString(keySec.Name)), attr("description", hclString(keySec.Description)), tfTags(keySec.Tags, books...))
	t.block(`resource "aws_secretsmanager_secret_version" "`+kid+`"`,
		attr("secret_id", "aws_secretsmanager_secret."+kid+".id"), attr("secret_string", key+".secret"))
	t.block(`resource "aws_secretsmanager_secret" "`+pid+`"`,
		attr("name", hclString(pwSec.Name)), attr("description", hclString(pwSec.Description)), tfTags(pwSec.Tags))
	t.block(`resource "aws_secretsmanager_secret_version" "`+pid+`"`,
		attr("secret_id", "aws_secretsmanager_secret."+pid+".id"),
		attr("secret_string", "jsonencode({ password = "+login+".password })"))
}

// cloudAccountID is the Terraform name of the Redis Cloud cloud account.
const cloudAccountID = "this"

// registration writes the Redis Cloud cloud account, fed from the user's
// key and console password (what `rciam register` sends), and the variable
// naming it.
func (t *tfWriter) registration(s *desired.Set) {
	u := s.User
	t.block(`variable "cloud_account_name"`,
		attr("description", `"Name of the cloud account in Redis Cloud"`),
		attr("type", "string"),
		attr("default", hclString("rciam")))
	key := "aws_iam_access_key." + idsOf(r.KindAccessKey, u.Name).tf
	t.block(`resource "rediscloud_cloud_account" "`+cloudAccountID+`"`,
		attr("name", "var.cloud_account_name"),
		attr("provider_type", `"AWS"`),
		attr("access_key_id", key+".id"),
		attr("access_secret_key", key+".secret"),
		attr("console_username", tfRef("aws_iam_user", r.KindUser, u.Name, "name")),
		attr("console_password", "aws_iam_user_login_profile."+idsOf(r.KindLoginProfile, u.Name).tf+".password"),
		attr("sign_in_login_url", signInURL))
}

// signInURL is the console sign-in URL of the account Terraform runs in.
const signInURL = `"https://${data.aws_caller_identity.current.account_id}.signin.aws.amazon.com/console"`

// outputs are the official template's outputs; the two secret outputs
// name the secrets' ARNs, never their values.
func (t *tfWriter) outputs(s *desired.Set) {
	u := s.User
	keySec, pwSec := secrets(s)
	out := func(name, desc, value string) {
		t.block(`output "`+name+`"`, attr("description", hclString(desc)), attr("value", value))
	}
	out("accessKeyId", "Access key id of "+u.Name, "aws_iam_access_key."+idsOf(r.KindAccessKey, u.Name).tf+".id")
	out("accessSecretKey", "ARN of the secret holding the access key's secret", tfRef("aws_secretsmanager_secret", r.KindSecret, keySec.Name, "arn"))
	out("consolePassword", "ARN of the secret holding the console password", tfRef("aws_secretsmanager_secret", r.KindSecret, pwSec.Name, "arn"))
	out("consoleUsername", "Console user name", tfRef("aws_iam_user", r.KindUser, u.Name, "name"))
	out("signInLoginUrl", "Console sign-in URL", signInURL)
	if s.HasRole(r.ConsoleRoleName) {
		out("IAMRoleName", "Console role Redis Cloud assumes", tfRef("aws_iam_role", r.KindRole, r.ConsoleRoleName, "name"))
	}
	if t.registered {
		out("cloudAccountId", "Id of the cloud account in Redis Cloud", "rediscloud_cloud_account."+cloudAccountID+".id")
	}
}
