package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/rciam/rciam/internal/testenv"
)

// Helpers for tests that deploy a CloudFormation template on moto and
// then make, with the SDK, what moto skips (docs/emulator.md, "CloudFormation").

// deployStack creates a stack from body and waits for CREATE_COMPLETE;
// it returns the stack's outputs.
func deployStack(t *testing.T, acct *testenv.Account, name, body string) map[string]string {
	t.Helper()
	ctx := context.Background()
	c := cloudformation.NewFromConfig(acct.Config())
	if _, err := c.CreateStack(ctx, &cloudformation.CreateStackInput{StackName: aws.String(name), TemplateBody: aws.String(body),
		Capabilities: []cfntypes.Capability{cfntypes.CapabilityCapabilityNamedIam}}); err != nil {
		t.Fatalf("create stack %s: %v", name, err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		out, err := c.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
		if err != nil {
			t.Fatalf("describe stack %s: %v", name, err)
		}
		st := out.Stacks[0]
		switch {
		case st.StackStatus == cfntypes.StackStatusCreateComplete:
			outputs := map[string]string{}
			for _, o := range st.Outputs {
				outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
			}
			return outputs
		case strings.HasSuffix(string(st.StackStatus), "_FAILED") || strings.HasPrefix(string(st.StackStatus), "ROLLBACK"):
			t.Fatalf("stack %s: %s (%s)", name, st.StackStatus, aws.ToString(st.StackStatusReason))
		case time.Now().After(deadline):
			t.Fatalf("stack %s still %s after a minute", name, st.StackStatus)
		}
	}
}

// filler makes, with the SDK, the properties moto skips; each call names
// the template property it stands in for.
type filler struct {
	t    *testing.T
	ctx  context.Context
	iam  *iam.Client
	sm   *secretsmanager.Client
	acct *testenv.Account
}

func newFiller(t *testing.T, acct *testenv.Account) *filler {
	return &filler{t: t, ctx: context.Background(), iam: iam.NewFromConfig(acct.Config()),
		sm: secretsmanager.NewFromConfig(acct.Config()), acct: acct}
}

func (f *filler) check(what string, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("fill in %s: %v", what, err)
	}
}

// managedPolicyArns attaches a managed policy of the account to a role
// (user == "") or to a user.
func (f *filler) managedPolicyArns(role, user, policy string) {
	f.t.Helper()
	arn := aws.String("arn:aws:iam::" + f.acct.ID + ":policy/" + policy)
	var err error
	if user != "" {
		_, err = f.iam.AttachUserPolicy(f.ctx, &iam.AttachUserPolicyInput{UserName: aws.String(user), PolicyArn: arn})
	} else {
		_, err = f.iam.AttachRolePolicy(f.ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(role), PolicyArn: arn})
	}
	f.check("ManagedPolicyArns "+policy, err)
}

// userTags tags the user as its Tags property says.
func (f *filler) userTags(user string, tags map[string]string) {
	f.t.Helper()
	in := &iam.TagUserInput{UserName: aws.String(user)}
	for k, v := range tags {
		in.Tags = append(in.Tags, iamTag(k, v))
	}
	_, err := f.iam.TagUser(f.ctx, in)
	f.check("user Tags", err)
}

func iamTag(k, v string) iamtypes.Tag { return iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)} }

// secret creates an AWS::SecretsManager::Secret.
func (f *filler) secret(name, description, value string, tags map[string]string) {
	f.t.Helper()
	in := &secretsmanager.CreateSecretInput{Name: aws.String(name), Description: aws.String(description), SecretString: aws.String(value)}
	for k, v := range tags {
		in.Tags = append(in.Tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	_, err := f.sm.CreateSecret(f.ctx, in)
	f.check("secret "+name, err)
}

// generatedPassword stands in for the password secret's
// GenerateSecretString (30 characters, every class) and returns the
// password with the secret's JSON value.
func generatedPassword() (password, secretString string) {
	const classes = "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "0123456789" + "!#%+-=?^_~"
	b := make([]byte, 30)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = classes[int(b[i])%len(classes)]
	}
	copy(b, "aZ9!") // every class, whatever the draw
	password = string(b)
	v, _ := json.Marshal(map[string]string{"password": password})
	return password, string(v)
}

// loginProfile creates the user's LoginProfile with password (moto does
// not evaluate {{resolve:secretsmanager:…}}).
func (f *filler) loginProfile(user, password string) {
	f.t.Helper()
	_, err := f.iam.CreateLoginProfile(f.ctx, &iam.CreateLoginProfileInput{UserName: aws.String(user), Password: aws.String(password)})
	f.check("LoginProfile", err)
}

// planChanges runs plan --output json and returns resource → change.
func planChanges(t *testing.T, acct *testenv.Account, args ...string) map[string]planChange {
	t.Helper()
	res := rciam(t, acct, runOpts{}, append([]string{"plan", "--output", "json"}, args...)...).mustCode(t, 0)
	var out struct {
		Changes []planChange `json:"changes"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &out); err != nil {
		t.Fatalf("plan json: %v\n%s", err, res.stdout)
	}
	m := map[string]planChange{}
	for _, c := range out.Changes {
		m[c.Resource] = c
	}
	return m
}

type planChange struct {
	Resource string `json:"resource"`
	Action   string `json:"action"`
	Details  []struct {
		Text string `json:"text"`
	} `json:"details"`
}

// expectOnlyTags fails t unless the plan creates and deletes nothing and
// changes nothing but tags: each update's details are "tags: …" lines
// (plus the adoption note on the key secret), and the tag lines are
// exactly want (resource → "tags: …").
func expectOnlyTags(t *testing.T, changes map[string]planChange, want map[string]string) {
	t.Helper()
	for addr, c := range changes {
		var tags []string
		for _, detail := range c.Details {
			d := detail.Text
			switch {
			case strings.HasPrefix(d, "tags: "):
				tags = append(tags, d)
			case strings.HasPrefix(d, "adopt: the stored secret belongs to key"):
			default:
				t.Errorf("%s: %s %q: a change other than tags", addr, c.Action, d)
			}
		}
		if c.Action != "update" && c.Action != "no-op" {
			t.Errorf("%s: %s, want only tag updates", addr, c.Action)
		}
		if got := strings.Join(tags, "; "); got != want[addr] {
			t.Errorf("%s: tag changes %q, want %q", addr, got, want[addr])
		}
	}
	for addr := range want {
		if _, ok := changes[addr]; !ok {
			t.Errorf("plan lacks %s", addr)
		}
	}
}
