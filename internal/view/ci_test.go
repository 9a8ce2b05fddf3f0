package view

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rciam/rciam/internal/desired"
	"github.com/rciam/rciam/internal/secret"
	"github.com/rciam/rciam/internal/testenv/fixture"
	"github.com/rciam/rciam/internal/verify"
)

// brokenReport is verify's report of an account with failures and
// warnings.
func brokenReport(t *testing.T) *verify.Report {
	t.Helper()
	d := fixture.Want(t, desired.LayoutCloud)
	return verify.Run(d, drifted(d), verify.Evidence{KeySecret: secret.New("s"), PasswordSecret: secret.New(`{"password":"p"}`),
		Proof: &verify.Proof{KeyID: fixture.KeyID, ARN: "arn:aws:iam::" + fixture.Account + ":user/someone-else"}})
}

// verify --output sarif is valid SARIF 2.1.0: checked against the OASIS
// schema (testdata/README.md), one result per failing or warning check.
func TestSARIFMatchesTheSchema(t *testing.T) {
	t.Parallel()
	rep := brokenReport(t)
	var out bytes.Buffer
	if err := VerifySARIF(&out, fixture.Account, "(devel)", rep); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../../testdata/sarif-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("sarif-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile("sarif-2.1.0.json")
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("not valid SARIF 2.1.0: %v", err)
	}
	var log struct {
		Runs []struct {
			Results []struct{ Level string } `json:"results"`
		} `json:"runs"`
	}
	_ = json.Unmarshal(out.Bytes(), &log)
	want := 0
	for _, c := range rep.Checks {
		if c.Status != verify.Pass {
			want++
		}
	}
	if len(log.Runs) != 1 || len(log.Runs[0].Results) != want {
		t.Errorf("%d results, want one per failing or warning check (%d)", len(log.Runs[0].Results), want)
	}
}

// verify --output junit parses as JUnit XML: a suite of one test case per
// check, a failure per failing check, the counts right.
func TestJUnitParses(t *testing.T) {
	t.Parallel()
	rep := brokenReport(t)
	var out bytes.Buffer
	if err := VerifyJUnit(&out, fixture.Account, rep); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name `xml:"testsuites"`
		Tests   int      `xml:"tests,attr"`
		Fails   int      `xml:"failures,attr"`
		Suites  []struct {
			Tests int `xml:"tests,attr"`
			Fails int `xml:"failures,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
				Out string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	fails, warns := 0, 0
	for _, c := range rep.Checks {
		switch c.Status {
		case verify.Fail:
			fails++
		case verify.Warn:
			warns++
		}
	}
	if len(doc.Suites) != 1 || doc.Tests != len(rep.Checks) || doc.Suites[0].Tests != len(rep.Checks) || doc.Fails != fails || doc.Suites[0].Fails != fails {
		t.Fatalf("counts: %+v", doc)
	}
	gotFails, gotWarns := 0, 0
	for _, c := range doc.Suites[0].Cases {
		if c.Failure != nil {
			gotFails++
		}
		if strings.HasPrefix(c.Out, "warn: ") {
			gotWarns++
		}
	}
	if gotFails != fails || gotWarns != warns {
		t.Errorf("%d failures and %d warnings in the cases, want %d and %d", gotFails, gotWarns, fails, warns)
	}
}
