package faults_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/rciam/rciam/internal/testenv/faults"
)

// Every secret value that crosses the proxy is collected, including the
// secret of a key whose CreateAccessKey response the client never got, so
// tests can prove none reaches an output.
func TestSecretsCollectsEverySecretOnTheWire(t *testing.T) {
	p, raw, _ := setup(t)
	ctx := context.Background()
	const stored, password = "s3cr3t-VALUE-in-body", "Pa55word-in-body!"
	sm := secretsmanager.NewFromConfig(raw)
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("rciam/test"), SecretString: aws.String(stored)}); err != nil {
		t.Fatal(err)
	}
	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("rciam/test"), SecretString: aws.String(`{"password":"in-json-doc"}`)}); err != nil {
		t.Fatal(err)
	}
	c := iam.NewFromConfig(raw)
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("bob"), Password: aws.String(password)}); err != nil {
		t.Fatal(err)
	}
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	p.SetRule(on(faults.DropAfterForward, 0, "CreateAccessKey"))
	if _, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")}); err == nil {
		t.Fatal("the dropped CreateAccessKey succeeded")
	}
	p.SetRule(nil)
	keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bob")})
	if err != nil || len(keys.AccessKeyMetadata) != 2 {
		t.Fatalf("keys %v, %v", keys, err)
	}
	got := p.Secrets()
	for _, want := range []string{stored, `{"password":"in-json-doc"}`, "in-json-doc", password, aws.ToString(key.AccessKey.SecretAccessKey)} {
		if !slices.Contains(got, want) {
			t.Errorf("Secrets() lacks %q", want)
		}
	}
	if len(got) != 6 {
		t.Errorf("Secrets() has %d values, want 6 (the dropped key's secret included)", len(got))
	}
}
