package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	r "github.com/rciam/rciam/internal/resource"
	"github.com/rciam/rciam/internal/testenv"
	"github.com/rciam/rciam/internal/testenv/authz"
	"github.com/rciam/rciam/internal/testenv/faults"
	"github.com/rciam/rciam/internal/testenv/rcserver"
)

// operatorARN is the ARN of the principal acct's credentials belong to.
func operatorARN(t *testing.T, acct *testenv.Account) string {
	t.Helper()
	out, err := sts.NewFromConfig(acct.Config()).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Arn)
}

// operatorPolicy renders the operator policy, without the statements
// named in drop.
func operatorPolicy(t *testing.T, drop ...string) []byte {
	t.Helper()
	out := rciam(t, nil, runOpts{}, "render", "--format", "operator-policy").mustCode(t, 0).stdout
	var doc struct {
		Version   string
		Statement []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	kept := doc.Statement[:0]
	for _, s := range doc.Statement {
		if !slices.Contains(drop, fmt.Sprint(s["Sid"])) {
			kept = append(kept, s)
		}
	}
	if len(kept) != len(doc.Statement)-len(drop) {
		t.Fatalf("the operator policy lacks a statement of %v", drop)
	}
	doc.Statement = kept
	b, _ := json.Marshal(doc)
	return b
}

// simulating makes p answer iam:SimulatePrincipalPolicy for acct's
// operator as if doc were its only policy (the emulator lacks the
// operation; rciam's engine judges).
func simulating(t *testing.T, p *faults.Proxy, acct *testenv.Account, doc []byte) {
	t.Helper()
	sim, err := authz.Simulator(doc, operatorARN(t, acct))
	if err != nil {
		t.Fatal(err)
	}
	p.Answer(sim)
}

// plan and apply ask, before the first change, whether the caller may
// perform exactly the planned steps (iam:SimulatePrincipalPolicy with each
// step's resource ARN): plan lists what is missing, one line each, and
// still shows the plan; apply shows the plan and stops before any write.
// Where the endpoint cannot answer, both say so in one line and go on.
func TestPreflightChecksThePlannedSteps(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	p := faults.Start(t, acct.Endpoint, faults.Options{})
	via := p.Via(acct)
	simulating(t, p, acct, operatorPolicy(t, "PassNodeRoleToInstanceProfile"))

	missing := fmt.Sprintf("iam:PassRole on arn:aws:iam::%s:role/%s (AddRoleToInstanceProfile instance-profile/%s", acct.ID, r.NodeRoleName, r.ProfileName)
	plan := rciam(t, via, runOpts{}, "plan", "--detailed-exitcode").mustCode(t, 2)
	for _, want := range []string{"lacks 1 permission the plan needs", missing, "rciam render --format operator-policy"} {
		if !strings.Contains(plan.stderr, want) {
			t.Errorf("plan's stderr lacks %q:\n%s", want, plan.stderr)
		}
	}
	if !strings.Contains(plan.stdout, "Plan: 10 to create") {
		t.Errorf("plan not shown:\n%s", plan.stdout)
	}

	var pj struct {
		Permissions struct {
			Checked bool
			Denied  []struct{ Action, Resource, Step string }
		}
	}
	if err := json.Unmarshal([]byte(rciam(t, via, runOpts{}, "plan", "--output", "json").mustCode(t, 0).stdout), &pj); err != nil {
		t.Fatal(err)
	}
	if !pj.Permissions.Checked || len(pj.Permissions.Denied) != 1 || pj.Permissions.Denied[0].Action != "iam:PassRole" ||
		pj.Permissions.Denied[0].Resource != "arn:aws:iam::"+acct.ID+":role/"+r.NodeRoleName {
		t.Errorf("plan JSON permissions: %+v", pj.Permissions)
	}

	before := p.Count()
	apply := rciam(t, via, runOpts{}, "apply", "--yes").mustCode(t, 1)
	for _, want := range []string{missing, "stopped before the first change", "iam:PassRole on arn:aws:iam::" + acct.ID} {
		if !strings.Contains(apply.stderr, want) {
			t.Errorf("apply's stderr lacks %q:\n%s", want, apply.stderr)
		}
	}
	for _, ev := range p.Timeline()[before:] {
		if !readOnly(ev.Action) {
			t.Errorf("apply sent %s %s although the pre-flight said no", ev.Service, ev.Action)
		}
	}
	if _, err := iam.NewFromConfig(acct.Config()).GetUser(context.Background(), &iam.GetUserInput{UserName: aws.String(r.UserName)}); err == nil {
		t.Error("apply created the user after the pre-flight said no")
	}

	simulating(t, p, acct, operatorPolicy(t))
	ok := rciam(t, via, runOpts{}, "apply", "--yes").mustCode(t, 0)
	if strings.Contains(ok.stderr, "lacks") || strings.Contains(ok.stderr, "not checked") {
		t.Errorf("apply with the whole operator policy:\n%s", ok.stderr)
	}
	testenv.CheckSpec(t, moto, acct, testenv.Spec{})

	// Without the simulation (the emulator lacks it): one line, and on.
	p.Answer(nil)
	if _, err := iam.NewFromConfig(acct.Config()).DeleteLoginProfile(context.Background(), &iam.DeleteLoginProfileInput{UserName: aws.String(r.UserName)}); err != nil {
		t.Fatal(err)
	}
	res := rciam(t, via, runOpts{}, "plan").mustCode(t, 0)
	if strings.Count(res.stderr, emulatorNote) != 1 {
		t.Errorf("plan without the simulation, stderr:\n%s", res.stderr)
	}
	rciam(t, via, runOpts{}, "apply", "--yes").mustCode(t, 0)
}

// readOnly reports an operation that changes nothing.
func readOnly(action string) bool {
	for _, p := range []string{"Get", "List", "Describe", "Simulate"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

// denying makes p refuse one action (service:Action) as IAM does, with
// AWS's message naming the caller, the action and the resource.
func denying(t *testing.T, p *faults.Proxy, acct *testenv.Account, action string) {
	t.Helper()
	caller := operatorARN(t, acct)
	p.SetRule(func(req faults.Request) faults.Fault {
		if req.Service+":"+req.Action != action || req.AccessKey != acct.AccessKeyID {
			return faults.Fault{}
		}
		needs, err := authz.Needs(req, acct.ID, func(string) string { return r.UserName })
		resource := "*"
		if err == nil && len(needs) > 0 {
			resource = needs[0].Resource
		}
		return faults.Fault{Kind: faults.AccessDenied, Message: fmt.Sprintf(
			"User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action", caller, action, resource, action)}
	})
}

// Every command turns an AccessDenied into one line naming the action, the
// resource and where the needed policy is; apply does not try a refused
// step again.
func TestAccessDeniedExplained(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args     []string
		applied  bool
		deny     string
		resource string // after "arn:aws:<service>::<account>:" or the secret name
		code     int
	}{
		{[]string{"plan"}, false, "iam:GetAccountAuthorizationDetails", "*", 1},
		{[]string{"apply", "--yes"}, false, "iam:CreateRole", "role/", 1},
		{[]string{"verify"}, true, "secretsmanager:GetSecretValue", "secret:/redislabsuser/", 3},
		{[]string{"outputs"}, true, "secretsmanager:DescribeSecret", "secret:/redislabsuser/", 1},
		{[]string{"register", "--name", "prod"}, true, "secretsmanager:GetSecretValue", "secret:/redislabsuser/", 1},
		{[]string{"rotate-key"}, true, "iam:CreateAccessKey", "user/" + r.UserName, 1},
		{[]string{"destroy", "--yes"}, true, "iam:DeleteRole", "role/", 1},
	}
	for _, tc := range cases {
		t.Run(tc.args[0], func(t *testing.T) {
			t.Parallel()
			acct := testenv.NeedMoto(t, moto)
			srv := redisServer(t, rcserver.Options{})
			if tc.applied {
				rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
			}
			p := faults.Start(t, acct.Endpoint, faults.Options{})
			denying(t, p, acct, tc.deny)
			res := rciam(t, p.Via(acct), withRedis(srv), tc.args...).mustCode(t, tc.code)
			out := res.stderr + res.stdout
			line := ""
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, "access denied") {
					line = l
					break
				}
			}
			for _, want := range []string{tc.deny, tc.resource, "rciam render --format operator-policy"} {
				if !strings.Contains(line, want) {
					t.Errorf("no line names %q:\n%s", want, out)
				}
			}
			refused, perEntity := 0, map[string]int{}
			for _, ev := range p.Timeline() {
				if ev.Fault.Kind == faults.AccessDenied {
					refused++
					perEntity[ev.Entity]++
				}
			}
			for entity, n := range perEntity {
				if n > 1 {
					t.Errorf("%s on %s was sent %d times after AWS refused it", tc.deny, entity, n)
				}
			}
			if refused == 0 {
				t.Errorf("%s was never sent", tc.deny)
			}
		})
	}
}

// In fleet mode an account whose role the caller may not assume fails
// with that line; the others go on.
func TestFleetAccessDeniedExplained(t *testing.T) {
	t.Parallel()
	org := needOrg(t, 2)
	members := org.Members[org.OUs[0]]
	p := faults.Start(t, org.Management.Endpoint, faults.Options{})
	caller := operatorARN(t, org.Management)
	role := "arn:aws:iam::" + members[1] + ":role/" + testenv.MemberRole
	p.SetRule(func(req faults.Request) faults.Fault {
		if req.Action == "AssumeRole" && req.Fields["RoleArn"] == role {
			return faults.Fault{Kind: faults.AccessDenied, Message: "User: " + caller + " is not authorized to perform: sts:AssumeRole on resource: " + role}
		}
		return faults.Fault{}
	})
	d := readFleet(t, rciam(t, p.Via(org.Management), runOpts{}, "plan", "--ou", org.OUs[0], "--output", "json").mustCode(t, 1))
	for _, a := range d.Accounts {
		switch a.Account {
		case members[0]:
			if a.Status != "ok" && a.Status != "changes" {
				t.Errorf("the other account: %+v", a)
			}
		case members[1]:
			for _, want := range []string{"access denied", "sts:AssumeRole on " + role, "rciam render --format operator-policy"} {
				if !strings.Contains(a.Error, want) {
					t.Errorf("the refused account's error lacks %q: %+v", want, a)
				}
			}
		}
	}
}
