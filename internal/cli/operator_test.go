package cli

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/operator"
	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/authz"
	"github.com/rciam/rciam/internal/testenv/faults"
	"github.com/rciam/rciam/internal/testenv/rcserver"
)

// recording maps every request the operator's credentials send through
// the proxy to the authorizations AWS checks for it (internal/testenv/authz),
// by command. Requests signed by other keys — redislabs-user's, which
// verify and register use — are not the operator's and are left out.
type recording struct {
	mu    sync.Mutex
	needs map[string][]authz.Need
}

func newRecording() *recording { return &recording{needs: map[string][]authz.Need{}} }

// run runs one command line through p as acct's operator and records what
// it sent. The first argument is the command (args[0]).
func (rec *recording) run(t *testing.T, p *faults.Proxy, acct *testenv.Account, o runOpts, want int, args ...string) result {
	t.Helper()
	before := p.Count()
	res := rciam(t, p.Via(acct), o, args...).mustCode(t, want)
	rec.add(t, args[0], acct, p.Timeline()[before:])
	return res
}

func (rec *recording) add(t *testing.T, command string, acct *testenv.Account, events []faults.Event) {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, ev := range events {
		account := ""
		switch {
		case ev.AccessKey == acct.AccessKeyID:
			account = acct.ID
		case strings.HasPrefix(ev.AccessKey, "ASIA"): // a member role's session (fleet mode)
			id, ok := authz.AccountOf(ev.AccessKey)
			if !ok {
				t.Fatalf("cannot read the account of session key %s", ev.AccessKey)
			}
			account = id
		default:
			continue
		}
		// rciam looks up the last use of redislabs-user's keys only.
		needs, err := authz.Needs(ev.Request, account, func(string) string { return r.UserName })
		if err != nil {
			t.Fatalf("%s: %v", command, err)
		}
		rec.needs[command] = append(rec.needs[command], needs...)
	}
}

// of returns what the given commands needed (all recorded: none given).
func (rec *recording) of(commands ...string) []authz.Need {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []authz.Need
	for c, n := range rec.needs {
		if len(commands) == 0 || slices.Contains(commands, c) {
			out = append(out, n...)
		}
	}
	return authz.Dedup(out)
}

// unrecordable are actions the operator policy allows for paths the
// emulator cannot drive; docs/permissions.md names them.
var unrecordable = map[string]string{
	"iam:DeleteUserPermissionsBoundary":       "the emulator cannot put a permissions boundary on a user (PutUserPermissionsBoundary is not implemented)",
	"secretsmanager:UpdateSecretVersionStage": "rotate-key's roll-back when the previous key's secret value cannot be read back",
	"secretsmanager:ListSecretVersionIds":     "apply meeting a key another run made meanwhile, rotate-key meeting a second key that was used (internal/reliability's concurrent runs)",
}

// judge renders the operator policy with args and checks it against needs:
// every need allowed (enough), every statement needed (minimal).
func judge(t *testing.T, what string, needs []authz.Need, args ...string) {
	t.Helper()
	doc := rciam(t, nil, runOpts{}, append([]string{"render", "--format", "operator-policy"}, args...)...).mustCode(t, 0).stdout
	denied, err := authz.Denied([]byte(doc), needs)
	if err != nil {
		t.Fatalf("%s: the rendered document: %v\n%s", what, err, doc)
	}
	for _, d := range denied {
		t.Errorf("%s: the operator policy (%s) does not allow %s, needed by %s", what, strings.Join(args, " "), d, d.From)
	}
	for _, a := range authz.Unused([]byte(doc), needs) {
		if why, ok := unrecordable[a]; ok {
			t.Logf("%s: %s is allowed but not recorded: %s", what, a, why)
			continue
		}
		t.Errorf("%s: the operator policy (%s) allows %s, which no recorded request needed", what, strings.Join(args, " "), a)
	}
	unneeded, err := authz.Unneeded([]byte(doc), needs)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range unneeded {
		t.Errorf("%s: statement %s of the operator policy (%s) is needed by no recorded request", what, s, strings.Join(args, " "))
	}
}

// TestOperatorPolicyEnoughAndMinimal runs every command that calls AWS on
// the emulator — plan and apply on an empty and a converged account, apply
// repairing each drift kind, the lost key secret, verify, outputs,
// register, rotate-key, destroy — in both layouts and in fleet mode,
// records every request the operator's credentials send, maps each to its
// IAM action and resource ARN, and evaluates them against the rendered
// operator policy with rciam's policy engine: every request is allowed,
// and removing any statement denies one. The emulator's own permission
// enforcement cannot judge this: it treats every Resource as "*".
func TestOperatorPolicyEnoughAndMinimal(t *testing.T) {
	t.Parallel()
	cloud, cloudDone := newRecording(), make(chan struct{})
	for _, layout := range []string{"cloud", "rv"} {
		t.Run(layout, func(t *testing.T) {
			t.Parallel()
			rec := newRecording()
			if layout == "cloud" {
				rec = cloud
				defer close(cloudDone)
			}
			singleAccountScenario(t, rec, layout)
			judge(t, "every command", rec.of(), "--layout", layout)
			for _, c := range operator.Commands {
				judge(t, c, rec.of(c), "--layout", layout, "--commands", c)
			}
		})
	}
	t.Run("fleet", func(t *testing.T) {
		t.Parallel()
		org := needOrg(t, 2)
		p := faults.Start(t, org.Management.Endpoint, faults.Options{})
		srv := redisServer(t, rcserver.Options{})
		rec := newRecording()
		ou := org.OUs[0]
		rec.run(t, p, org.Management, runOpts{}, 0, "plan", "--ou", ou)
		rec.run(t, p, org.Management, runOpts{}, 0, "apply", "--ou", ou, "--yes")
		rec.run(t, p, org.Management, runOpts{}, 0, "verify", "--ou", ou)
		rec.run(t, p, org.Management, runOpts{}, 0, "outputs", "--ou", ou)
		rec.run(t, p, org.Management, runOpts{}, 0, "outputs", "--accounts", org.Members[ou][0])
		rec.run(t, p, org.Management, runOpts{}, 0, "verify", "--organization", "--exclude", org.Management.ID)
		rec.run(t, p, org.Management, withRedis(srv), 0, "register", "--ou", ou)
		rec.run(t, p, org.Management, withRedis(srv), 0, "rotate-key", "--ou", ou)
		rec.run(t, p, org.Management, withRedis(srv), 0, "destroy", "--ou", ou, "--yes", "--deregister")
		if len(rec.of()) == 0 {
			t.Fatal("nothing recorded")
		}
		// The fleet document holds every single-account statement too:
		// judge it against the fleet runs and the cloud layout's.
		<-cloudDone
		judge(t, "fleet mode", authz.Dedup(append(rec.of(), cloud.of()...)), "--fleet")
	})
}

// singleAccountScenario sends every command's every kind of request in a
// fresh account, through a recording proxy. The account is an
// organization's management account, with SCPs and RCPs on, so that
// verify reads the guardrails (the emulator answers Organizations reads
// only to the management account).
func singleAccountScenario(t *testing.T, rec *recording, layout string) {
	org := needOrg(t)
	guardrailed(t, org)
	acct := org.Management
	ctx := context.Background()
	// A stack in the account: adoption reads its resources.
	if _, err := cloudformation.NewFromConfig(acct.Config()).CreateStack(ctx, &cloudformation.CreateStackInput{
		StackName:    aws.String("unrelated"),
		TemplateBody: aws.String(`{"Resources":{"Queue":{"Type":"AWS::SQS::Queue"}}}`)}); err != nil {
		t.Fatal(err)
	}
	p := faults.Start(t, acct.Endpoint, faults.Options{})
	srv := redisServer(t, rcserver.Options{})
	l := []string{"--layout", layout}
	run := func(o runOpts, want int, args ...string) result {
		t.Helper()
		return rec.run(t, p, acct, o, want, append(args, l...)...)
	}
	run(runOpts{}, 0, "plan")
	run(runOpts{}, 0, "apply", "--yes")
	run(runOpts{}, 0, "plan")
	run(runOpts{}, 0, "apply", "--yes")
	run(runOpts{}, 0, "verify")
	c, sm := iam.NewFromConfig(acct.Config()), secretsmanager.NewFromConfig(acct.Config())
	drifts := append(driftCases(t), unexpectedCases()...)
	for _, d := range drifts {
		if layout == "rv" && strings.Contains(d.resource, r.ConsoleRoleName) {
			continue
		}
		if err := d.drift(c, sm, acct); err != nil {
			t.Fatalf("drift %s: %v", d.name, err)
		}
		args := []string{"apply", "--yes"}
		if d.remove {
			args = append(args, "--remove-unexpected")
		}
		run(runOpts{}, 0, "plan")
		run(runOpts{}, 0, args...)
	}
	// The lost key secret: apply keeps the used key and makes a new one;
	// rotate-key finishes.
	if _, err := sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(r.KeySecretName), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	run(runOpts{}, 0, "plan")
	run(runOpts{}, 0, "apply", "--yes")
	run(runOpts{}, 0, "rotate-key")
	run(runOpts{}, 0, "verify")
	run(runOpts{}, 0, "outputs", "--show-secrets")
	run(withRedis(srv), 0, "register", "--name", "prod")
	run(withRedis(srv), 0, "rotate-key")
	// A key made by hand, whose secret rciam does not hold: every command
	// asks when it was last used; apply removes it.
	if _, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(r.UserName)}); err != nil {
		t.Fatal(err)
	}
	run(runOpts{}, 1, "verify")
	run(runOpts{}, 0, "outputs")
	run(withRedis(srv), 0, "register", "--name", "prod")
	run(withRedis(srv), 0, "rotate-key")
	run(runOpts{}, 0, "plan")
	run(runOpts{}, 0, "apply", "--yes")
	// destroy --force removes what was added by hand: group membership,
	// MFA device, signing certificate, SSH key, the role's boundary, inline
	// policies. (The emulator cannot put a boundary on a user.)
	addedByHand(t, c, acct)
	run(withRedis(srv), 0, "destroy", "--yes", "--deregister", "--force")
}

// guardrailed turns SCPs and RCPs on in org and puts one of each on its
// root.
func guardrailed(t *testing.T, org *testenv.Organization) {
	t.Helper()
	ctx := context.Background()
	c := organizations.NewFromConfig(org.Management.Config())
	for _, pt := range []orgtypes.PolicyType{orgtypes.PolicyTypeServiceControlPolicy, orgtypes.PolicyTypeResourceControlPolicy} {
		if _, err := c.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(org.Root), PolicyType: pt}); err != nil {
			t.Fatal(err)
		}
	}
	for pt, doc := range map[orgtypes.PolicyType]string{
		orgtypes.PolicyTypeServiceControlPolicy:  `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:DeleteVpc","Resource":"*"}]}`,
		orgtypes.PolicyTypeResourceControlPolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket","Resource":"*"}]}`,
	} {
		p, err := c.CreatePolicy(ctx, &organizations.CreatePolicyInput{Type: pt, Name: aws.String(string(pt)), Description: aws.String("test"), Content: aws.String(doc)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: p.Policy.PolicySummary.Id, TargetId: aws.String(org.Root)}); err != nil {
			t.Fatal(err)
		}
	}
}

// extraPolicy creates (once) a customer managed policy of the account's
// own, to attach where it does not belong, and returns its ARN (the
// emulator has no AWS managed policies).
func extraPolicy(ctx context.Context, c *iam.Client, a *testenv.Account) (*string, error) {
	arn := aws.String("arn:aws:iam::" + a.ID + ":policy/extra")
	if _, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn}); err == nil {
		return arn, nil
	}
	_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("extra"), PolicyDocument: inlineDoc})
	return arn, err
}

// inlineDoc denies what Redis Cloud needs of both the instance role and
// the user: --remove-unexpected removes only policies that stop Redis
// Cloud.
var inlineDoc = aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:*","Resource":"*"}]}`)

// unexpectedCases are additions apply removes with --remove-unexpected.
func unexpectedCases() []driftCase {
	ctx := context.Background()
	node := aws.String(r.NodeRoleName)
	inline := inlineDoc
	return []driftCase{
		{"role boundary, inline and extra policy", "role/" + r.NodeRoleName, func(c *iam.Client, _ *secretsmanager.Client, a *testenv.Account) error {
			extra, err := extraPolicy(ctx, c, a)
			if err != nil {
				return err
			}
			if _, err := c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: node, PermissionsBoundary: extra}); err != nil {
				return err
			}
			if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: node, PolicyName: aws.String("extra"), PolicyDocument: inline}); err != nil {
				return err
			}
			_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: node, PolicyArn: extra})
			return err
		}, true},
		{"user's extra policy", "user/" + r.UserName, func(c *iam.Client, _ *secretsmanager.Client, a *testenv.Account) error {
			extra, err := extraPolicy(ctx, c, a)
			if err != nil {
				return err
			}
			_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(r.UserName), PolicyArn: extra})
			return err
		}, true},
		{"five policy versions, the default changed", "policy/" + r.InstancePolicyName, func(c *iam.Client, _ *secretsmanager.Client, a *testenv.Account) error {
			arn := aws.String("arn:aws:iam::" + a.ID + ":policy/" + r.InstancePolicyName)
			versions, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn})
			if err != nil {
				return err
			}
			for i := len(versions.Versions); i < 5; i++ {
				if _, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: inline, SetAsDefault: i == 4}); err != nil {
					return err
				}
			}
			return nil
		}, false},
		{"node role trusting another service", "role/" + r.NodeRoleName, func(c *iam.Client, _ *secretsmanager.Client, _ *testenv.Account) error {
			_, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: node,
				PolicyDocument: aws.String(strings.Replace(desired.NodeTrust, "ec2.amazonaws.com", "lambda.amazonaws.com", 1))})
			return err
		}, false},
		{"another role in the instance profile", "instance-profile/" + r.ProfileName, func(c *iam.Client, _ *secretsmanager.Client, _ *testenv.Account) error {
			if _, err := c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String(r.ProfileName), RoleName: node}); err != nil {
				return err
			}
			if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("other"),
				AssumeRolePolicyDocument: aws.String(desired.NodeTrust)}); err != nil {
				return err
			}
			_, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(r.ProfileName), RoleName: aws.String("other")})
			return err
		}, false},
		{"tags removed", "user/" + r.UserName, func(c *iam.Client, _ *secretsmanager.Client, _ *testenv.Account) error {
			if _, err := c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(r.UserName), TagKeys: []string{r.TagUsedBy}}); err != nil {
				return err
			}
			_, err := c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: node, TagKeys: []string{r.TagUsedBy}})
			return err
		}, false},
	}
}

// addedByHand gives the user and a role what destroy --force must remove.
func addedByHand(t *testing.T, c *iam.Client, acct *testenv.Account) {
	t.Helper()
	ctx := context.Background()
	user, node := aws.String(r.UserName), aws.String(r.NodeRoleName)
	boundary, err := extraPolicy(ctx, c, acct)
	if err != nil {
		t.Fatal(err)
	}
	inline := inlineDoc
	steps := []func() error{
		func() error {
			_, err := c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("ops")})
			return err
		},
		func() error {
			_, err := c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("ops"), UserName: user})
			return err
		},
		func() error {
			_, err := c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: node, PermissionsBoundary: boundary})
			return err
		},
		func() error {
			_, err := c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: user, PolicyName: aws.String("extra"), PolicyDocument: inline})
			return err
		},
		func() error {
			_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: node, PolicyName: aws.String("extra"), PolicyDocument: inline})
			return err
		},
		func() error {
			mfa, err := c.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("ops-mfa")})
			if err != nil {
				return err
			}
			_, err = c.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: user, SerialNumber: mfa.VirtualMFADevice.SerialNumber,
				AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
			return err
		},
		func() error {
			_, err := c.UploadSSHPublicKey(ctx, &iam.UploadSSHPublicKeyInput{UserName: user, SSHPublicKeyBody: aws.String(sshKey)})
			return err
		},
		func() error {
			_, err := c.UploadSigningCertificate(ctx, &iam.UploadSigningCertificateInput{UserName: user, CertificateBody: aws.String(signingCert)})
			return err
		},
		func() error { _, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: user}); return err },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("adding by hand (step %d): %v", i+1, err)
		}
	}
}

// sshKey and signingCert are a public SSH key and a self-signed X.509
// certificate made for this test (their private keys were discarded).
const (
	sshKey      = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC6RQsvWDjUB8yNdtzwv6V7XY4ayAX3pktX1vpVsP3JxTMTdvDyk08+FhMHOIUyKewWJQHQUnI1nXy6vG2JL9YHW3qBASosaZet+yjEKGReXqrbmOmGjbX6jqP/8vsqVq/pszRc5f9kxk/P3CaoXeBCGzUyIcfW+IW15CPZTpcFH1LX+22sjtkiTSXporuW3dJ0BCi1yC11SDehtQsQBz7IDZxEwfqVwKlwXEIh9EsFfynGBowFF+ed5omKvoJ3z28nIhzNiqFW8N+AZIqGGNqZ3MFPehIt4/3Dxsh9JjBwnvOW7ujVmDnSPrL09aged+HVDY4xIar30keF8idL81Jb ops"
	signingCert = `-----BEGIN CERTIFICATE-----
MIIDCzCCAfOgAwIBAgIUJksiIzLo+5ewn13tz55+LHLKP38wDQYJKoZIhvcNAQEL
BQAwFTETMBEGA1UEAwwKcmNpYW0tdGVzdDAeFw0yNjEyMDYwNTA1MjhaFw0zNjEy
MDMwNTA1MjhaMBUxEzARBgNVBAMMCnJjaWFtLXRlc3QwggEiMA0GCSqGSIb3DQEB
AQUAA4IBDwAwggEKAoIBAQCqSi+Xksg/VI4N83vJf82hLauZn31RwHbeGKHjeAKx
uJ117zH6wj+CzJXcCuttl4gNt6eagjFuH3J4I3Gu3o04i43OeMmWKxLD+Ach0pfH
RvOjpyy0wPDj40X0UOmuNQQ9lOfNAwBslGnVA/WpYyZXz4uHu9R41oqFoi6kMZGb
aeYqIAyzUgnY1mV0x0DEelvUq2T0B2qhsnczItL9L8Ff3vZkNXBNmoFE58bSrQ3P
waOWzh6N8lA6WVmfOBVnb6xKPbkVG1ZZDbGh9RmqhYsdNqksgQ2XRqo5mzWWAOtV
XCL/VW9tILO6w4APTLYTVwsGlW/L3ielJpzEAhDtYWyfAgMBAAGjUzBRMB0GA1Ud
DgQWBBR8QmAuxMkPNMY79AX+tOXQJcgcsjAfBgNVHSMEGDAWgBR8QmAuxMkPNMY7
9AX+tOXQJcgcsjAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQCS
yzIE7+DQ2GPmQeZsjNaX9H9nl1lZT2RNzm/vu5OW+WoiGUNDEP6T3zq9DPLqnAzV
TAj9RklXaKOLo+re1L/6t5mM67SHqJLRvqC4GT86+s/07h7rBa8eozSjSR3J/ynu
Jdsmbu36YuGAg/7dti7T8WcRNLtdFjcw3SJI7gFuJ1fiSMSF77AFR51M02V5Aejt
DQarvYrcJdMBw5e0L32rMZjyxVG50xLQfkzUSzLx8ccwzAYtWBTtzed84zRkXiKh
TpeYOpFspk8qfndwocGtHBxYm+Yv5UgZDU86awLUpdeXbM0WNBR/w4XMr1V9CCnr
jaVG9bGxGv7RxqxPLA1c
-----END CERTIFICATE-----
`
)
