package cli

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go/middleware"
	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/iostreams"
	"github.com/rciam/rciam/internal/rediscloud"
)

// Factory holds the global options and builds what commands need lazily, so
// that offline commands (simulate, render, policy) never touch AWS config.
type Factory struct {
	IO *iostreams.IOStreams

	Profile     string
	Region      string
	EndpointURL string
	Output      string
	NoColor     bool
	Verbose     bool
	Timeout     time.Duration
	AllowRoot   bool

	// apiOptions are added to every AWS client (tests: call counting).
	apiOptions []func(*middleware.Stack) error
	// credentials replaces the standard chain (tests only).
	credentials aws.CredentialsProvider
	// getenv reads the environment (tests inject Redis Cloud API keys).
	getenv func(string) string
	// gateInterval, redisTuning and rotateAfter speed up and inject
	// faults into register and rotate-key (tests only).
	gateInterval time.Duration
	redisTuning  func(*rediscloud.Options)
	rotateAfter  func(step string) error
}

// NewFactory returns a Factory writing to ios.
func NewFactory(ios *iostreams.IOStreams) *Factory {
	return &Factory{IO: ios, Output: "text", Timeout: defaultTimeout, getenv: os.Getenv}
}

func (f *Factory) bindGlobalFlags(root *cobra.Command) {
	pf := root.PersistentFlags()
	pf.StringVar(&f.Profile, "profile", "", "AWS shared config profile")
	pf.StringVar(&f.Region, "region", "", "AWS region (default: AWS_REGION or the profile's region)")
	pf.StringVar(&f.EndpointURL, "endpoint-url", "", "one endpoint for every AWS API rciam calls (IAM, STS, Secrets Manager, CloudFormation, Organizations)")
	pf.StringVar(&f.Output, "output", "text", "output format: text or json (verify also junit or sarif, in one account)")
	pf.BoolVar(&f.NoColor, "no-color", false, "disable colour")
	pf.BoolVarP(&f.Verbose, "verbose", "v", false, "show progress and AWS calls on stderr")
	pf.DurationVar(&f.Timeout, "timeout", defaultTimeout, "bound on the whole command, every wait included")
	pf.BoolVar(&f.AllowRoot, "allow-root", false, "allow the AWS account's root credentials")
}

func (f *Factory) validateGlobal(cmd *cobra.Command) error {
	f.Output = strings.ToLower(f.Output)
	switch f.Output {
	case "text", "json":
	case "junit", "sarif":
		if cmd.Name() != "verify" {
			return usageErrorf("--output %s is for verify: use text or json", f.Output)
		}
	default:
		return usageErrorf("invalid --output %q: use text or json (verify also junit or sarif)", f.Output)
	}
	if f.Timeout <= 0 {
		return usageErrorf("invalid --timeout %s: give a positive duration such as 5m", f.Timeout)
	}
	f.IO.SetNoColor(f.NoColor)
	return nil
}

// JSON reports whether --output json was chosen.
func (f *Factory) JSON() bool { return f.Output == "json" }

// Logf writes a progress line to stderr when -v is set. Callers must never
// pass a secret; values of type secret.Value redact themselves.
func (f *Factory) Logf(format string, args ...any) {
	if f.Verbose {
		fmt.Fprintf(f.IO.ErrOut, format+"\n", args...)
	}
}

// joinList joins a list for one line of human text.
func joinList(items []string) string { return strings.Join(items, ", ") }
