package testenv

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

var moto *Moto

func TestMain(m *testing.M) { os.Exit(RunWithMoto(m, &moto)) }

func TestAccountsAreIsolated(t *testing.T) {
	a, b := NeedMoto(t, moto), NeedMoto(t, moto)
	if a.ID == b.ID {
		t.Fatalf("same account id %s", a.ID)
	}
	ctx := context.Background()
	for _, acct := range []*Account{a, b} {
		id, err := sts.NewFromConfig(acct.Config()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(id.Account); got != acct.ID {
			t.Errorf("caller account = %s, want %s", got, acct.ID)
		}
	}
	if _, err := iam.NewFromConfig(a.Config()).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String("only-in-a"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := iam.NewFromConfig(b.Config()).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("only-in-a")}); err == nil {
		t.Fatal("role created in account a is visible in account b")
	}
}

func TestPythonJSON(t *testing.T) {
	in := `{"a": NaN, "b": [Infinity, -Infinity, 1.5], "c": "NaN \" Infinity"}`
	want := `{"a": null, "b": [null, null, 1.5], "c": "NaN \" Infinity"}`
	if got := string(pythonJSON([]byte(in))); got != want {
		t.Errorf("pythonJSON = %s, want %s", got, want)
	}
}
