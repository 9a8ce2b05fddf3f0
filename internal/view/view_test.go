package view

import (
	"bytes"
	"testing"
	"time"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/live"
	"github.com/rciam/rciam/internal/outputs"
	"github.com/rciam/rciam/internal/plan"
	"github.com/rciam/rciam/internal/secret"
	"github.com/rciam/rciam/internal/testenv/fixture"
	"github.com/rciam/rciam/internal/testenv/golden"
	"github.com/rciam/rciam/internal/verify"
)

// The text people read is compared whole with golden files
// (`go test ./internal/view/ -update` rewrites them): the plan of an empty,
// a drifted and a converged account, verify's report of a clean and a
// broken one, the outputs in every format, and a simulation.

// drifted is a converged account with drift of every kind a plan shows:
// an edited trust policy, a detached policy, missing tags, a key beside
// the stored one that was never used, and a login that must not require a
// reset.
func drifted(d *desired.Set) *live.State {
	l := fixture.Converged(d)
	l.Roles["redislabs-role"].Trust = []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::168085023892:root"},"Action":"sts:AssumeRole"}]}`)
	l.Users["redislabs-user"].AttachedPolicies = nil
	l.Profiles["redislabs-cluster-node-role"].Tags = map[string]string{}
	l.Keys = append(l.Keys, live.AccessKey{ID: "AKIAORPHAN0000000001", Active: true, LastUsedRead: true})
	l.LoginProfile.PasswordResetRequired = true
	return l
}

func planText(t *testing.T, d *desired.Set, l *live.State) []byte {
	t.Helper()
	p, err := plan.Compute(d, l, plan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	PlanHeader(&b, l.AccountID, d)
	PlanHuman(&b, p, Style{})
	b.WriteString("--- json\n")
	if err := PlanJSON(&b, p, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPlanGolden(t *testing.T) {
	t.Parallel()
	d := fixture.Want(t, desired.LayoutCloud)
	golden.Check(t, "plan-empty.txt", planText(t, d, fixture.Empty()))
	golden.Check(t, "plan-drifted.txt", planText(t, d, drifted(d)))
	golden.Check(t, "plan-converged.txt", planText(t, d, fixture.Converged(d)))
	rv := fixture.Want(t, desired.LayoutRV)
	golden.Check(t, "plan-to-rv.txt", planText(t, rv, fixture.Converged(d)))
}

func verifyText(t *testing.T, d *desired.Set, l *live.State, ev verify.Evidence) []byte {
	t.Helper()
	rep := verify.Run(d, l, ev)
	var b bytes.Buffer
	PlanHeader(&b, l.AccountID, d)
	if err := VerifyHuman(&b, rep, Style{}); err != nil {
		t.Fatal(err)
	}
	b.WriteString("--- json\n")
	if err := VerifyJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestVerifyGolden(t *testing.T) {
	t.Parallel()
	d := fixture.Want(t, desired.LayoutCloud)
	good := verify.Evidence{
		KeySecret: secret.New("s"), PasswordSecret: secret.New(`{"password":"p"}`),
		Proof:      &verify.Proof{KeyID: fixture.KeyID, ARN: "arn:aws:iam::" + fixture.Account + ":user/redislabs-user"},
		Simulation: &verify.Simulation{Unavailable: true},
		Now:        time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC),
	}
	golden.Check(t, "verify-clean.txt", verifyText(t, d, fixture.Converged(d), good))
	broken := good
	broken.Proof = &verify.Proof{KeyID: fixture.KeyID, ARN: "arn:aws:iam::" + fixture.Account + ":user/someone-else"}
	golden.Check(t, "verify-broken.txt", verifyText(t, d, drifted(d), broken))

	rep := verify.Run(d, drifted(d), broken)
	var junit, sarif bytes.Buffer
	if err := VerifyJUnit(&junit, fixture.Account, rep); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "verify-broken.junit.xml", junit.Bytes())
	if err := VerifySARIF(&sarif, fixture.Account, "v1.0.0", rep); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "verify-broken.sarif.json", sarif.Bytes())
}

func TestOutputsGolden(t *testing.T) {
	t.Parallel()
	out := &outputs.Outputs{AccessKeyID: "AKIAIOSFODNN7EXAMPLE",
		KeySecretARN:    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:/redislabsuser/secret_access_key-AbCdEf",
		PasswordARN:     "arn:aws:secretsmanager:eu-west-1:123456789012:secret:/redislabsuser/password-GhIjKl",
		ConsoleUsername: "redislabs-user", SignInLoginURL: "https://123456789012.signin.aws.amazon.com/console", IAMRoleName: "redislabs-role"}
	var b bytes.Buffer
	write := func(title string, f func() error) {
		b.WriteString("--- " + title + "\n")
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	write("table", func() error { return OutputsTable(&b, out) })
	write("hand", func() error { return OutputsHand(&b, out) })
	write("json", func() error { return OutputsJSON(&b, out) })
	rv := *out
	rv.IAMRoleName = ""
	write("json, layout rv", func() error { return OutputsJSON(&b, &rv) })
	revealed := *out
	revealed.AccessSecretKey, revealed.ConsolePassword = secret.New("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), secret.New("Pa55-word!example")
	write("table, --show-secrets", func() error { return OutputsTable(&b, &revealed) })
	write("api", func() error {
		body, err := revealed.API("prod")
		if err != nil {
			return err
		}
		return APIBody(&b, body)
	})
	write("apply", func() error {
		return ApplyJSON(&b, out, []StepJSON{{Resource: "role/redislabs-role", Action: "CreateRole", Status: "done"}})
	})
	write("apply, failed", func() error {
		return ApplyJSON(&b, nil, []StepJSON{{Resource: "role/redislabs-role", Action: "CreateRole", Status: "failed"},
			{Resource: "role/redislabs-role", Action: "AttachRolePolicy", Status: "cancelled"}})
	})
	golden.Check(t, "outputs.txt", b.Bytes())
}

func TestSimulateGolden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	deny := Simulate{Decision: "explicitDeny", Matched: []SimulateMatch{{Policy: "user.json", Sid: "ForceUnderlyingResourcesToHaveIdentifierTags", Effect: "Deny"}}}
	SimulateHuman(&b, "ec2:RunInstances", "arn:aws:ec2:us-east-1:123456789012:instance/i-1", deny, nil, Style{})
	SimulateHuman(&b, "s3:GetObject", "*", Simulate{Decision: "implicitDeny"}, []string{"identity policies"}, Style{})
	if err := SimulateJSON(&b, Simulate{Decision: "implicitDeny"}); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "simulate.txt", b.Bytes())
}

// An account's warnings reach the fleet's output with the indented lines
// that continue them; other lines do not.
func TestFleetWarnings(t *testing.T) {
	var b bytes.Buffer
	FleetWarnings(&b, "111122223333", "Plan: 1 to create\nwarning: the caller lacks 1 permission the plan needs:\n  iam:PassRole on arn:aws:iam::111122223333:role/r (step)\n\n  not a continuation\nnote: x\n", Style{})
	want := "111122223333 warning: the caller lacks 1 permission the plan needs:\n111122223333   iam:PassRole on arn:aws:iam::111122223333:role/r (step)\n"
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
