package view

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/rciam/rciam/internal/note"
	"github.com/rciam/rciam/internal/verify"
)

// VerifyHuman writes the checks, failures first, then a summary line.
func VerifyHuman(w io.Writer, rep *verify.Report, st Style) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	counts := map[verify.Status]int{}
	for _, c := range rep.Sorted() {
		counts[c.Status]++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", st.Status(string(c.Status)), c.ID, c.Resource, c.Message.Short())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "The account is ready for Redis Cloud."
	if !rep.OK() {
		verdict = "Run 'rciam apply' (see each failure) and verify again."
	}
	_, err := fmt.Fprintf(w, "\n%d passed, %s, %d failed. %s\n", counts[verify.Pass], note.Count(counts[verify.Warn], "warning"),
		counts[verify.Fail], verdict)
	return err
}

type verifyJSON struct {
	Schema int         `json:"schema"`
	OK     bool        `json:"ok"`
	Checks []checkJSON `json:"checks"`
}

type checkJSON struct {
	ID       string `json:"id"`
	Resource string `json:"resource"`
	Status   string `json:"status"`
	Message  string `json:"message"`
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
}

// VerifyJSON writes verify's JSON (docs/commands.md): checks in the order
// they were made, messages whole.
func VerifyJSON(w io.Writer, rep *verify.Report) error {
	out := verifyJSON{Schema: Schema, OK: rep.OK(), Checks: []checkJSON{}}
	for _, c := range rep.Checks {
		out.Checks = append(out.Checks, checkJSON{ID: c.ID, Resource: c.Resource, Status: string(c.Status), Message: c.Message.Full(),
			Expected: c.Expected, Actual: c.Actual})
	}
	return writeJSON(w, out)
}

// JUnit XML (the schema CI dashboards read: Jenkins, GitLab, GitHub
// actions' test reporters): one test case per check, in a suite per
// account; a failing check is a <failure>, a warning's message goes to
// <system-out>.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// VerifyJUnit writes the checks of account as JUnit XML.
func VerifyJUnit(w io.Writer, account string, rep *verify.Report) error {
	suite := junitSuite{Name: "rciam verify " + account}
	for _, c := range rep.Checks {
		tc := junitCase{Name: c.ID + " " + c.Resource, ClassName: "rciam.verify." + c.ID}
		switch c.Status {
		case verify.Fail:
			tc.Failure = &junitFailure{Message: c.Message.Full(), Type: "fail", Text: checkDetail(c)}
			suite.Failures++
		case verify.Warn:
			tc.SystemOut = "warn: " + checkDetail(c)
		}
		suite.Tests++
		suite.Cases = append(suite.Cases, tc)
	}
	doc := junitSuites{Name: "rciam verify", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// checkDetail is a check's message with what was expected and found.
func checkDetail(c verify.Check) string {
	s := c.Message.Full()
	if c.Expected != "" || c.Actual != "" {
		s += "\nexpected: " + c.Expected + "\nactual: " + c.Actual
	}
	return s
}

// SARIF 2.1.0 (OASIS; what code scanning dashboards read): one result per
// failing or warning check, level error or warning, each rule an id of
// verify's checks.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifLocation struct {
	LogicalLocations []sarifLogical `json:"logicalLocations"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// SARIFSchema is the schema SARIF 2.1.0 documents name.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

// VerifySARIF writes the failing and warning checks of account as a SARIF
// 2.1.0 log; version is rciam's.
func VerifySARIF(w io.Writer, account, version string, rep *verify.Report) error {
	// SARIF readers compare versions that start with a number: "v1.2.3"
	// is given as 1.2.3, a development build's "(devel)" not at all.
	if version = strings.TrimPrefix(version, "v"); version == "" || version[0] < '0' || version[0] > '9' {
		version = ""
	}
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "rciam", InformationURI: "https://github.com/rciam/rciam", Version: version, Rules: []sarifRule{}}},
		Results: []sarifResult{}}
	seen := map[string]bool{}
	for _, c := range rep.Checks {
		if c.Status == verify.Pass {
			continue
		}
		if !seen[c.ID] {
			seen[c.ID] = true
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: c.ID, ShortDescription: sarifMessage{Text: "rciam verify check " + c.ID}})
		}
		level := "warning"
		if c.Status == verify.Fail {
			level = "error"
		}
		run.Results = append(run.Results, sarifResult{RuleID: c.ID, Level: level, Message: sarifMessage{Text: checkDetail(c)},
			Locations: []sarifLocation{{LogicalLocations: []sarifLogical{{Name: c.Resource, FullyQualifiedName: "aws-account/" + account + "/" + c.Resource, Kind: "resource"}}}}})
	}
	return writeJSON(w, sarifLog{Schema: SARIFSchema, Version: "2.1.0", Runs: []sarifRun{run}})
}
