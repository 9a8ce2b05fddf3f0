package cli

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/awsclient"
	"github.com/rciam/rciam/internal/doctor"
	"github.com/rciam/rciam/internal/policysource"
	"github.com/rciam/rciam/internal/view"
)

func init() { register(newDoctorCmd) }

type doctorOptions struct {
	f      *Factory
	policy policyFlags
	apiURL string
}

func newDoctorCmd(f *Factory) *cobra.Command {
	o := &doctorOptions{f: f}
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the credentials, region, endpoint, clock and sources rciam would use",
		Long: `Checks, without changing anything, what every other command depends on: the
caller, account and partition; the region and where it came from; the endpoint;
where the credentials come from; this machine's clock against AWS's; whether
the policy source answers; and, when REDISCLOUD_ACCESS_KEY and
REDISCLOUD_SECRET_KEY are set, whether the Redis Cloud API does. One line per
check, ok, warn or fail.

Exit codes: 0 no check failed (warnings allowed); 1 a check failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd, frameOptions{readOnly: true}, o.run)
		},
	}
	o.policy.bind(cmd)
	cmd.Flags().StringVar(&o.apiURL, "api-url", "", "Redis Cloud API base URL, /v1 included")
	return cmd
}

func (o *doctorOptions) run(fr *frame) error {
	f := fr.f
	fr.apiURL = o.apiURL
	in := doctor.Inputs{RegionFrom: f.regionSource(), EndpointFrom: "the AWS SDK's defaults", Endpoint: "AWS's public endpoints"}
	switch {
	case f.EndpointURL != "":
		in.Endpoint, in.EndpointFrom = f.EndpointURL, "--endpoint-url"
	case os.Getenv("AWS_ENDPOINT_URL") != "":
		in.Endpoint, in.EndpointFrom = os.Getenv("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL"
	}
	t, err := fr.account()
	if err != nil {
		in.ConfigErr = err
	} else {
		in.Config = &t.Config
		in.RedisCloud = t.RedisCloud
	}
	in.Policy = func(ctx context.Context) (policysource.Selection, error) { return o.policy.selection(ctx) }
	rep := doctor.Run(fr.ctx, in)
	if f.JSON() {
		if err := view.WriteJSON(f.IO.Out, view.DoctorJSON(rep)); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(f.IO.Out, 0, 0, 2, ' ', 0)
		st := view.Style{Color: f.IO.OutColorEnabled()}
		for _, c := range rep.Checks {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", st.Status(string(c.Status)), c.ID, c.Message)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if !rep.OK() {
		return &ExitError{Code: 1}
	}
	return nil
}

// regionSource says where the region comes from, as the SDK looks.
func (f *Factory) regionSource() string {
	switch {
	case f.Region != "":
		return "--region"
	case os.Getenv("AWS_REGION") != "":
		return "AWS_REGION"
	case os.Getenv("AWS_DEFAULT_REGION") != "":
		return "AWS_DEFAULT_REGION"
	}
	profile := f.Profile
	if profile == "" {
		profile = os.Getenv("AWS_PROFILE")
	}
	if profile == "" {
		profile = "default"
	}
	return "profile " + profile + " in " + awsclient.ConfigFile()
}
