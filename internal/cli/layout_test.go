package cli

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rciam/rciam/internal/iampolicy"
	"github.com/rciam/rciam/internal/testenv"
)

// Switching layouts is a plan like any other: rv has no redislabs-role,
// cloud adds it, rv again deletes it, and destroy --layout rv leaves
// nothing.
func TestLayoutRVAndSwitching(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	rv := rciam(t, acct, runOpts{}, "apply", "--yes", "--layout", "rv", "--output", "json").mustCode(t, 0)
	testenv.CheckSpec(t, moto, acct, testenv.Spec{Layout: "rv"})
	if strings.Contains(rv.stdout, "IAMRoleName") {
		t.Errorf("layout rv outputs name a role:\n%s", rv.stdout)
	}

	plan := rciam(t, acct, runOpts{}, "plan", "--output", "json").mustCode(t, 0)
	if !strings.Contains(plan.stdout, `"resource": "role/redislabs-role",`+"\n"+`      "action": "create"`) {
		t.Errorf("plan for cloud on an rv account does not create role/redislabs-role:\n%s", plan.stdout)
	}
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	testenv.CheckSpec(t, moto, acct, testenv.Spec{})

	back := rciam(t, acct, runOpts{}, "plan", "--layout", "rv").mustCode(t, 0)
	if !strings.Contains(back.stdout, "role/redislabs-role") || !strings.Contains(back.stdout, "delete") ||
		!strings.Contains(back.stdout, "detach RedislabsIAMUserRestrictedPolicy") {
		t.Errorf("plan for rv on a cloud account:\n%s", back.stdout)
	}
	rciam(t, acct, runOpts{}, "apply", "--yes", "--layout", "rv").mustCode(t, 0)
	testenv.CheckSpec(t, moto, acct, testenv.Spec{Layout: "rv"})
	rciam(t, acct, runOpts{}, "plan", "--layout", "rv", "--detailed-exitcode").mustCode(t, 0)

	rciam(t, acct, runOpts{}, "destroy", "--yes", "--layout", "rv").mustCode(t, 0)
	expectNothingLeft(t, acct)
}

// Updating a managed policy that has five versions deletes the oldest
// non-default one first (never the default), and plan names it
// (docs/behaviour.md, "Policy versions").
func TestPolicyUpdateWithFiveVersions(t *testing.T) {
	t.Parallel()
	acct := testenv.NeedMoto(t, moto)
	ctx := context.Background()
	c := iam.NewFromConfig(acct.Config())
	doc := func(i int) *string {
		return aws.String(fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"V%d","Effect":"Allow","Action":"ec2:DescribeRegions","Resource":"*"}]}`, i))
	}
	created, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("RedisLabsInstanceRolePolicy"), PolicyDocument: doc(1)})
	if err != nil {
		t.Fatal(err)
	}
	arn := created.Policy.Arn
	for i := 2; i <= 5; i++ {
		if _, err := c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: doc(i), SetAsDefault: i == 5}); err != nil {
			t.Fatal(err)
		}
	}
	// v1 is the default again: the oldest non-default version is v2.
	if _, err := c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}

	plan := rciam(t, acct, runOpts{}, "plan").mustCode(t, 0)
	if !strings.Contains(plan.stdout, "delete policy version v2") {
		t.Errorf("plan does not name the version it deletes:\n%s", plan.stdout)
	}
	rciam(t, acct, runOpts{}, "apply", "--yes").mustCode(t, 0)
	testenv.CheckSpec(t, moto, acct, testenv.Spec{})

	vs, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	var def string
	for _, v := range vs.Versions {
		ids = append(ids, aws.ToString(v.VersionId))
		if v.IsDefaultVersion {
			def = aws.ToString(v.VersionId)
		}
	}
	sort.Strings(ids)
	if strings.Join(ids, ",") != "v1,v3,v4,v5,v6" || def != "v6" {
		t.Fatalf("versions %v, default %s; want v1,v3,v4,v5,v6 with v6 the default", ids, def)
	}
	got, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: aws.String(def)})
	if err != nil {
		t.Fatal(err)
	}
	text := aws.ToString(got.PolicyVersion.Document)
	if !strings.HasPrefix(text, "{") {
		text, _ = url.QueryUnescape(text)
	}
	live, err1 := iampolicy.Parse([]byte(text))
	want, err2 := iampolicy.Parse(testenv.BundledDoc(t, "RedisLabsInstanceRolePolicy.json"))
	if err1 != nil || err2 != nil || !iampolicy.Equal(live, want) {
		t.Errorf("default version is not the selected document: %v %v\n%s", err1, err2, text)
	}
}
