package view

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/rciam/rciam/internal/outputs"
)

// OutputsTable writes the outputs table (docs/entities.md) with values: secrets are
// their Secrets Manager ARNs unless revealed.
func OutputsTable(w io.Writer, o *outputs.Outputs) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OUTPUT\tVALUE\tBY HAND\tBY API")
	for _, row := range outputs.Table {
		v := o.Value(row.Name)
		if v == "" {
			continue // IAMRoleName in layout rv
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", row.Name, v, row.ByHand, row.ByAPI)
	}
	return tw.Flush()
}

// OutputsHand writes the values a person types into the Redis Cloud
// console, under the console's labels.
func OutputsHand(w io.Writer, o *outputs.Outputs) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, row := range outputs.Table {
		if v := o.Value(row.Name); row.ByHand != "-" && v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", row.ByHand, v)
		}
	}
	return tw.Flush()
}

// outputsJSON is the outputs' JSON (docs/commands.md): no IAMRoleName in
// layout rv. apply's adds the steps it ran; on a failed apply only the
// steps are there.
type outputsJSON struct {
	Schema          int         `json:"schema"`
	AccessKeyID     string      `json:"accessKeyId,omitempty"`
	AccessSecretKey string      `json:"accessSecretKey,omitempty"`
	ConsolePassword string      `json:"consolePassword,omitempty"`
	ConsoleUsername string      `json:"consoleUsername,omitempty"`
	SignInLoginURL  string      `json:"signInLoginUrl,omitempty"`
	IAMRoleName     string      `json:"IAMRoleName,omitempty"`
	Steps           *[]StepJSON `json:"steps,omitempty"`
}

// StepJSON is one step apply ran: its entity, the operation, and done,
// failed or cancelled.
type StepJSON struct {
	Resource string `json:"resource"`
	Action   string `json:"action"`
	Status   string `json:"status"`
}

func outputsOf(o *outputs.Outputs) outputsJSON {
	if o == nil {
		return outputsJSON{Schema: Schema}
	}
	return outputsJSON{Schema: Schema, AccessKeyID: o.Value("accessKeyId"), AccessSecretKey: o.Value("accessSecretKey"),
		ConsolePassword: o.Value("consolePassword"), ConsoleUsername: o.Value("consoleUsername"),
		SignInLoginURL: o.Value("signInLoginUrl"), IAMRoleName: o.Value("IAMRoleName")}
}

// OutputsJSON writes the outputs as JSON.
func OutputsJSON(w io.Writer, o *outputs.Outputs) error { return writeJSON(w, outputsOf(o)) }

// ApplyJSON writes apply's JSON: the outputs (nil when apply failed) and
// the steps it ran.
func ApplyJSON(w io.Writer, o *outputs.Outputs, steps []StepJSON) error {
	out := outputsOf(o)
	if steps == nil {
		steps = []StepJSON{}
	}
	out.Steps = &steps
	return writeJSON(w, out)
}

// APIBody writes the exact body of POST /v1/cloud-accounts.
func APIBody(w io.Writer, b outputs.APIBody) error { return writeJSON(w, b) }
