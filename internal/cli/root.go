// Package cli is rciam's command line: the root command, global flags, one
// file per command, and Main, which alone turns an error into one line on
// stderr and an exit code.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rciam/rciam/internal/iostreams"
)

// progName starts every error line.
const progName = "rciam"

// annotationUsageExit names, on a command, the exit code its usage errors
// get when it is not 1 (simulate: every error is 3).
const annotationUsageExit = "rciam/usage-exit-code"

// Main runs rciam with the process's arguments and streams and returns the
// exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, iostreams.System(), os.Args[1:])
}

// Run executes one command line against the given streams and returns its
// exit code. It is the single place where errors are printed.
func Run(ctx context.Context, ios *iostreams.IOStreams, args []string) (code int) {
	return run(ctx, NewFactory(ios), args)
}

func run(ctx context.Context, f *Factory, args []string) (code int) {
	ios := f.IO
	root := NewRootCmd(f)
	root.SetArgs(args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)

	defer func() {
		if r := recover(); r != nil {
			// Never a stack trace with request data in it: one line, exit 1.
			fmt.Fprintf(ios.ErrOut, "%s: internal error: %v\n", progName, redactPanic(r))
			code = exitError
		}
	}()
	cmd, err := root.ExecuteContextC(ctx)
	return exitCode(ios, cmd, unknownCommand(cmd, err), ctx)
}

// unknownCommandPattern is cobra's error for a command it does not know.
var unknownCommandPattern = regexp.MustCompile(`^unknown command "([^"]*)" for "([^"]*)"`)

// unknownCommand turns cobra's error for an unknown command or
// subcommand into one line that suggests the nearest ones.
func unknownCommand(cmd *cobra.Command, err error) error {
	m := unknownCommandPattern.FindStringSubmatch(strings.TrimSpace(fmt.Sprint(err)))
	if err == nil || m == nil || cmd == nil {
		return err
	}
	msg := fmt.Sprintf("unknown command %q for %q", m[1], m[2])
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(m[1]); len(s) > 0 {
		msg += ": did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageErrorf("%s (see '%s --help')", msg, cmd.CommandPath())
}

func redactPanic(r any) string {
	s := fmt.Sprint(r)
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ReplaceAll(s, "\n", " ")
}

func exitCode(ios *iostreams.IOStreams, cmd *cobra.Command, err error, ctx context.Context) int {
	if err == nil {
		return exitOK
	}
	var stop *stopError
	if errors.As(err, &stop) {
		printError(ios, err)
		switch {
		case !stop.timeout:
			return exitInterrupted
		case stop.code != 0:
			return stop.code
		}
		return exitError
	}
	var exitErr *ExitError
	if errors.As(err, &exitErr) {
		if exitErr.Err != nil {
			printError(ios, exitErr.Err)
		}
		return exitErr.Code
	}
	if errors.Is(err, errCancelled) || errors.Is(err, context.Canceled) && ctx.Err() != nil {
		printError(ios, err)
		return exitInterrupted
	}
	printError(ios, err)
	var usage *UsageError
	if errors.As(err, &usage) || isCobraUsageError(err) {
		if cmd != nil {
			if c, ok := cmd.Annotations[annotationUsageExit]; ok && c == "3" {
				return 3
			}
		}
	}
	return exitError
}

// isCobraUsageError recognises cobra's own argument errors, which it returns
// as plain errors.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand", "accepts ", "requires at least", "required flag", "flag needs an argument", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func printError(ios *iostreams.IOStreams, err error) {
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
	fmt.Fprintf(ios.ErrOut, "%s %s\n", ios.Color(ios.ColorEnabled(), "31", progName+":"), msg)
}

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:           "rciam",
		Short:         "Set up, check, repair, rotate and remove the AWS IAM entities Redis Cloud needs",
		SilenceUsage:  true,
		SilenceErrors: true,
		Long: `rciam creates and maintains the IAM entities Redis Cloud needs in your own AWS
account (Redis Cloud "bring your own cloud"), and registers the account with
Redis Cloud.

Exit codes: 0 success; 1 error; 2 plan --detailed-exitcode with changes
pending; 3 verify could not check, or any simulate error; 130 interrupted.`,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return f.validateGlobal(cmd)
		},
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &UsageError{Err: fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
	})
	f.bindGlobalFlags(root)
	root.Version = buildVersion().Line()
	root.SetVersionTemplate("{{.Version}}\n")
	// Suggestions are made in one line by unknownCommand, not by cobra.
	root.DisableSuggestions = true
	root.AddCommand(environmentTopic())

	for _, add := range commands {
		root.AddCommand(add(f))
	}
	completeFlagValues(root)
	return root
}

// commands is the list of subcommand constructors; each command file
// registers itself in an init function so files stay independent.
var commands []func(*Factory) *cobra.Command

func register(c func(*Factory) *cobra.Command) { commands = append(commands, c) }

const defaultTimeout = 10 * time.Minute
