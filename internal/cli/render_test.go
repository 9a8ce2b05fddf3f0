package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rciam/rciam/internal/testenv"
)

// renderedTemplate is the part of rciam's CloudFormation template the
// deploy test reads to fill in what moto skips.
type renderedTemplate struct {
	Resources map[string]struct {
		Type       string
		Properties map[string]json.RawMessage
	}
}

// resource returns the logical id and properties of the resource of typ
// whose name property is name.
func (tpl *renderedTemplate) resource(t *testing.T, typ, nameProp, name string) (string, map[string]json.RawMessage) {
	t.Helper()
	for id, res := range tpl.Resources {
		var n string
		if res.Type == typ && json.Unmarshal(res.Properties[nameProp], &n) == nil && n == name {
			return id, res.Properties
		}
	}
	t.Fatalf("template has no %s %s", typ, name)
	return "", nil
}

// tags reads a Tags property, resolving {"Ref": id} through refs.
func tags(t *testing.T, raw json.RawMessage, refs map[string]string) map[string]string {
	t.Helper()
	var list []struct {
		Key   string
		Value json.RawMessage
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, kv := range list {
		var s string
		var ref struct{ Ref string }
		switch {
		case json.Unmarshal(kv.Value, &s) == nil:
			out[kv.Key] = s
		case json.Unmarshal(kv.Value, &ref) == nil && refs[ref.Ref] != "":
			out[kv.Key] = refs[ref.Ref]
		default:
			t.Fatalf("tag %s: cannot resolve %s", kv.Key, kv.Value)
		}
	}
	return out
}

// The rendered CloudFormation template deploys on moto; with what moto
// skips made by hand, plan proposes only the tags CloudFormation cannot
// set (managed policies, instance profile), and after apply the account
// is docs/entities.md's. Destroy then leaves what the stack owns.
func TestRenderedCloudFormationDeploys(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	body := rciam(t, nil, runOpts{}, "render", "--format", "cloudformation", "--policy-version", "docs-v1").mustCode(t, 0).stdout
	var tpl renderedTemplate
	if err := json.Unmarshal([]byte(body), &tpl); err != nil {
		t.Fatalf("rendered template is not JSON: %v", err)
	}
	keySecretID, keySecret := tpl.resource(t, "AWS::SecretsManager::Secret", "Name", "/redislabsuser/secret_access_key")
	_, pwSecret := tpl.resource(t, "AWS::SecretsManager::Secret", "Name", "/redislabsuser/password")
	_, user := tpl.resource(t, "AWS::IAM::User", "UserName", "redislabs-user")
	keyRef := tpl.Resources[keySecretID].Properties["SecretString"] // {"Fn::GetAtt": [key, "SecretAccessKey"]}
	// moto skips the secret, so an output repeats its SecretString.
	var raw map[string]any
	_ = json.Unmarshal([]byte(body), &raw)
	raw["Outputs"].(map[string]any)["testKeySecret"] = map[string]any{"Value": keyRef}
	deployable, _ := json.Marshal(raw)
	out := deployStack(t, acct, "rciam", string(deployable))

	var keyLogical struct {
		GetAtt []string `json:"Fn::GetAtt"`
	}
	if err := json.Unmarshal(keyRef, &keyLogical); err != nil || len(keyLogical.GetAtt) != 2 {
		t.Fatalf("key secret's SecretString = %s", keyRef)
	}
	refs := map[string]string{keyLogical.GetAtt[0]: out["accessKeyId"], "AWS::Region": testenv.Region}
	var desc struct{ Key, Password string }
	_ = json.Unmarshal(keySecret["Description"], &desc.Key)
	_ = json.Unmarshal(pwSecret["Description"], &desc.Password)

	// What moto skips, made as the template says: the user's Tags and
	// LoginProfile, and both secrets (values, descriptions, tags).
	f := newFiller(t, acct)
	f.userTags("redislabs-user", tags(t, user["Tags"], refs))
	password, value := generatedPassword() // GenerateSecretString
	f.secret("/redislabsuser/password", desc.Password, value, tags(t, pwSecret["Tags"], refs))
	f.loginProfile("redislabs-user", password)
	f.secret("/redislabsuser/secret_access_key", desc.Key, out["testKeySecret"], tags(t, keySecret["Tags"], refs))

	const pv = "--policy-version=docs-v1"
	expectOnlyTags(t, planChanges(t, acct, pv), map[string]string{
		"policy/RedisLabsInstanceRolePolicy":              "tags: ManagedBy=rciam",
		"policy/RedislabsIAMUserRestrictedPolicy":         "tags: ManagedBy=rciam",
		"instance-profile/redislabs-cluster-node-role":    "tags: ManagedBy=rciam, UsedBy=RedisLabs",
		"role/redislabs-cluster-node-role":                "",
		"role/redislabs-role":                             "",
		"user/redislabs-user":                             "",
		"access-key/redislabs-user/" + out["accessKeyId"]: "",
		"login-profile/redislabs-user":                    "",
		"secret//redislabsuser/secret_access_key":         "",
		"secret//redislabsuser/password":                  "",
	})
	verifyClean(t, acct, pv)
	rciam(t, acct, runOpts{}, "apply", "--yes", pv).mustCode(t, 0)
	rciam(t, acct, runOpts{}, "plan", "--detailed-exitcode", pv).mustCode(t, 0)
	verifyClean(t, acct, pv)
	if st := testenv.CheckSpec(t, moto, acct, testenv.Spec{}); st.KeyID != out["accessKeyId"] {
		t.Errorf("apply replaced the stack's key %s with %s", out["accessKeyId"], st.KeyID)
	}
	expectDestroyLeavesStack(t, acct, "rciam")
}

// docs/render.md: render needs no credentials, region or network and makes no AWS
// call; its output is the golden files of internal/render.
func TestRenderIsOffline(t *testing.T) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Setenv("HOME", t.TempDir()) // no ~/.aws
	for format, golden := range map[string]string{"cloudformation": "cloudformation.json", "terraform": "terraform.tf", "json": "json.json"} {
		res := rciam(t, nil, runOpts{}, "render", "--format", format, "--policy-version", "docs-v1").mustCode(t, 0)
		if len(res.calls) != 0 || res.stderr != "" {
			t.Errorf("render --format %s: %d AWS calls, stderr %q", format, len(res.calls), res.stderr)
		}
		want, err := os.ReadFile(filepath.Join("..", "render", "testdata", golden))
		if err != nil {
			t.Fatal(err)
		}
		if res.stdout != string(want) {
			t.Errorf("render --format %s differs from internal/render/testdata/%s", format, golden)
		}
	}
}

// A document holding ACCOUNT-ID-WITHOUT-HYPHENS needs --account-id: one
// line naming it, exit 1; with it, the id is in the documents.
func TestRenderPlaceholderNeedsAccountID(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::ACCOUNT-ID-WITHOUT-HYPHENS:role/redislabs-cluster-node-role"}]}`
	inst, user := filepath.Join(dir, "instance.json"), filepath.Join(dir, "user.json")
	for _, p := range []string{inst, user} {
		if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	files := []string{"render", "--format", "terraform", "--instance-policy-file", inst, "--user-policy-file", user}
	res := rciam(t, nil, runOpts{}, files...).mustCode(t, 1)
	res.oneLine(t, "ACCOUNT-ID-WITHOUT-HYPHENS", "--account-id")
	if res.stdout != "" {
		t.Errorf("refused render printed:\n%s", res.stdout)
	}
	rciam(t, nil, runOpts{}, append(files, "--account-id", "1234-5678-9012")...).mustCode(t, 1).oneLine(t, "--account-id", "12-digit")
	ok := rciam(t, nil, runOpts{}, append(files, "--account-id", "123456789012")...).mustCode(t, 0)
	if !strings.Contains(ok.stdout, "arn:aws:iam::123456789012:role/redislabs-cluster-node-role") || strings.Contains(ok.stdout, "ACCOUNT-ID-WITHOUT-HYPHENS") {
		t.Errorf("placeholder not replaced:\n%s", ok.stdout)
	}
	rciam(t, nil, runOpts{}, "render").mustCode(t, 1).oneLine(t, "--format")
	rciam(t, nil, runOpts{}, "render", "--format", "cloudformation", "--with-registration", "--policy-version", "docs-v1").mustCode(t, 1).oneLine(t, "--format terraform")
}

// render --format operator-policy: offline, scoped by --account-id,
// --region and --commands, extended by --fleet; bad flags are one line.
func TestRenderOperatorPolicy(t *testing.T) {
	t.Parallel()
	res := rciam(t, nil, runOpts{}, "render", "--format", "operator-policy", "--commands", "verify,plan", "--account-id", "111122223333",
		"--region", "eu-west-1", "--layout", "rv").mustCode(t, 0)
	if len(res.calls) != 0 || res.stderr != "" {
		t.Errorf("%d AWS calls, stderr %q", len(res.calls), res.stderr)
	}
	var doc struct {
		Statement []struct {
			Sid      string
			Action   []string
			Resource []string
		}
	}
	if err := json.Unmarshal([]byte(res.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, res.stdout)
	}
	for _, s := range doc.Statement {
		for _, a := range s.Action {
			if strings.HasPrefix(a, "iam:Create") || strings.HasPrefix(a, "iam:Delete") || a == "sts:AssumeRole" {
				t.Errorf("plan and verify need no %s (statement %s)", a, s.Sid)
			}
		}
		for _, r := range s.Resource {
			if r != "*" && !strings.Contains(r, ":111122223333:") {
				t.Errorf("statement %s: %s is not scoped to the account", s.Sid, r)
			}
			if strings.Contains(r, "secretsmanager") && !strings.Contains(r, ":eu-west-1:") {
				t.Errorf("statement %s: %s is not scoped to the region", s.Sid, r)
			}
		}
	}
	fleet := rciam(t, nil, runOpts{}, "render", "--format", "operator-policy", "--fleet", "--assume-role", "platform/Deployer").mustCode(t, 0)
	if !strings.Contains(fleet.stdout, `"arn:aws:iam::*:role/platform/Deployer"`) {
		t.Errorf("--fleet --assume-role:\n%s", fleet.stdout)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--commands", "plan,simulate"}, `"simulate"`},
		{[]string{"--assume-role", "Other"}, "--fleet"},
		{[]string{"--fleet", "--assume-role", "arn:aws:iam::1:role/x"}, "--assume-role"},
		{[]string{"--with-registration"}, "--with-registration"},
		{[]string{"--account-id", "1234"}, "12-digit"},
		{[]string{"--region", "us_east_1"}, "us_east_1"},
	} {
		res := rciam(t, nil, runOpts{}, append([]string{"render", "--format", "operator-policy"}, bad.args...)...).mustCode(t, 1)
		res.oneLine(t, bad.want)
		if res.stdout != "" {
			t.Errorf("%v printed:\n%s", bad.args, res.stdout)
		}
	}
	rciam(t, nil, runOpts{}, "render", "--format", "terraform", "--commands", "plan").mustCode(t, 1).oneLine(t, "--commands", "operator-policy")
}
