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
// layout rv.
type outputsJSON struct {
	AccessKeyID     string `json:"accessKeyId"`
	AccessSecretKey string `json:"accessSecretKey"`
	ConsolePassword string `json:"consolePassword"`
	ConsoleUsername string `json:"consoleUsername"`
	SignInLoginURL  string `json:"signInLoginUrl"`
	IAMRoleName     string `json:"IAMRoleName,omitempty"`
}

// OutputsJSON writes the outputs as JSON.
func OutputsJSON(w io.Writer, o *outputs.Outputs) error {
	return writeJSON(w, outputsJSON{AccessKeyID: o.Value("accessKeyId"), AccessSecretKey: o.Value("accessSecretKey"),
		ConsolePassword: o.Value("consolePassword"), ConsoleUsername: o.Value("consoleUsername"),
		SignInLoginURL: o.Value("signInLoginUrl"), IAMRoleName: o.Value("IAMRoleName")})
}

// APIBody writes the exact body of POST /v1/cloud-accounts.
func APIBody(w io.Writer, b outputs.APIBody) error { return writeJSON(w, b) }
