package view

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/rciam/rciam/internal/verify"
)

var statusColor = map[verify.Status]string{verify.Fail: "31", verify.Warn: "33", verify.Pass: "32"}

// VerifyHuman writes the checks, failures first, then a summary line.
func VerifyHuman(w io.Writer, rep *verify.Report, st Style) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	counts := map[verify.Status]int{}
	for _, c := range rep.Sorted() {
		counts[c.Status]++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", st.paint(statusColor[c.Status], string(c.Status)), c.ID, c.Resource, c.Message)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	verdict := "The account is ready for Redis Cloud."
	if !rep.OK() {
		verdict = "Run 'rciam apply' (see each failure) and verify again."
	}
	_, err := fmt.Fprintf(w, "\n%d passed, %d warnings, %d failed. %s\n", counts[verify.Pass], counts[verify.Warn], counts[verify.Fail], verdict)
	return err
}

type verifyJSON struct {
	OK     bool        `json:"ok"`
	Checks []checkJSON `json:"checks"`
}

type checkJSON struct {
	ID       string `json:"id"`
	Resource string `json:"resource"`
	Status   string `json:"status"`
	Message  string `json:"message"`
}

// VerifyJSON writes verify's JSON (docs/commands.md).
func VerifyJSON(w io.Writer, rep *verify.Report) error {
	out := verifyJSON{OK: rep.OK(), Checks: []checkJSON{}}
	for _, c := range rep.Checks {
		out.Checks = append(out.Checks, checkJSON{ID: c.ID, Resource: c.Resource, Status: string(c.Status), Message: c.Message})
	}
	return writeJSON(w, out)
}
