// Command starter starts, follows, lists and schedules ML pipelines, and
// reads what their runs recorded. It behaves like the `temporal` CLI: flags
// go before or after arguments, -h works on every command, `-o json` (or
// --json) prints one JSON value on stdout and everything else on stderr,
// and `starter completion bash|zsh|fish|powershell` writes a completion
// script.
//
//	starter run [flags]                    start a pipeline and follow it
//	starter show <workflow-id>             a pipeline's tags, properties, metrics and steps
//	starter list [--experiment E]          pipelines, newest first
//	starter models [NAME]                  registered model versions
//	starter data upload <file> <ref>       upload a file to the datastore
//	starter data ls <ref>                  list a datastore prefix
//	starter schedule create|list|delete    Temporal Schedules of pipelines
//	starter history export <id> <file>     a workflow history, for replay tests
//	starter codec-server                   lets the Web UI show payloads offloaded to Azure Blob
//	starter reuse ls|rm                    step reuse entries
//
// Statuses are the temporal CLI's: a pipeline is Running, Completed, Failed,
// Canceled, Terminated, ContinuedAsNew or TimedOut; a step is Running,
// Completed, Failed, Skipped or Reused.
//
// Exit codes: 0 done, 1 the pipeline or the command failed, 2 usage error.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/temporal-ml/runctx-pipeline/internal/app"
)

// Exit codes CI can trust.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

func main() {
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}

// execute runs one command line and returns its exit code.
func execute(args []string, stdout, stderr io.Writer) int {
	c := newCLI(stdout, stderr)
	root := newRootCmd(c)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	return c.exitCode(cmd, err)
}

// cli is what every command shares: the global flags, and where output goes.
type cli struct {
	stdout, stderr io.Writer

	// The temporal CLI's connection flags; they override the environment.
	address, namespace, profile, configFile string
	// output is "text" or "json"; asJSON is the --json alias.
	output string
	asJSON bool

	// loadConfig reads the environment (app.LoadConfig); unit tests replace it.
	loadConfig func() (app.Config, error)
	// parsed is set once the command line has parsed and validated: an
	// error before it is a usage error.
	parsed bool
}

func newCLI(stdout, stderr io.Writer) *cli {
	return &cli{stdout: stdout, stderr: stderr, loadConfig: app.LoadConfig}
}

const rootLong = `starter starts TrainingPipeline runs on Temporal, follows them step by step,
and reads what their runs recorded: Azure ML's run context, on Temporal.

Statuses are the temporal CLI's. A pipeline is Running, Completed, Failed,
Canceled, Terminated, ContinuedAsNew or TimedOut; a step is Running,
Completed, Failed, Skipped or Reused.

With -o json (or --json) a command prints one JSON value on stdout, and
progress and messages on stderr.

The connection comes from TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TLS and API
key variables, and the temporal CLI's config file profile; --address,
--namespace and --profile override them. Storage comes from
AZURE_STORAGE_CONNECTION_STRING (see the README).

Exit codes: 0 done, 1 the pipeline or the command failed, 2 usage error.`

func newRootCmd(c *cli) *cobra.Command {
	root := &cobra.Command{
		Use:   "starter",
		Short: "Start, follow, list and schedule ML pipelines on Temporal",
		Long:  rootLong,
		Example: `  starter run --data azblob://datasets/iris/iris.csv
  starter list --experiment iris -o json
  starter show iris-20250101-120000-1a2b3c4d`,
		Args:              c.subcommandArgs,
		RunE:              c.subcommandArgsRun,
		PersistentPreRunE: c.prepare,
		SilenceErrors:     true,
		SilenceUsage:      true,
	}
	root.SetOut(c.stdout)
	root.SetErr(c.stderr)
	// A command of subcommands runs only to refuse what is not one of them,
	// so its usage names its subcommands, not "[flags]".
	root.SetUsageTemplate(strings.Replace(root.UsageTemplate(), "{{if .Runnable}}", "{{if and .Runnable (not .HasAvailableSubCommands)}}", 1))
	// Help starts with the one-line summary, then the details.
	root.SetHelpTemplate(`{{.Short | trimTrailingWhitespaces}}{{with .Long}}

{{. | trimTrailingWhitespaces}}{{end}}

{{if or .Runnable .HasSubCommands}}{{.UsageString}}{{end}}`)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err.Error()} })

	pf := root.PersistentFlags()
	pf.StringVar(&c.address, "address", "", "Temporal server `host:port` (default: TEMPORAL_ADDRESS, the profile's, or 127.0.0.1:7233)")
	pf.StringVarP(&c.namespace, "namespace", "n", "", "Temporal namespace (default: TEMPORAL_NAMESPACE, the profile's, or default)")
	pf.StringVar(&c.profile, "profile", "", "profile of the temporal CLI's config file (default: TEMPORAL_PROFILE or default); --env is the same flag")
	pf.StringVar(&c.configFile, "config-file", "", "TOML config file of the temporal CLI (default: TEMPORAL_CONFIG_FILE or the CLI's)")
	pf.StringVarP(&c.output, "output", "o", "text", "output format: text or json")
	pf.BoolVar(&c.asJSON, "json", false, "same as --output json")
	root.SetGlobalNormalizationFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "env" { // the temporal CLI's name for the active environment
			name = "profile"
		}
		return pflag.NormalizedName(name)
	})
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))

	root.AddCommand(
		newRunCmd(c),
		newSubmitCmd(c),
		newValidateCmd(c),
		newShowCmd(c),
		newLogsCmd(c),
		newListCmd(c),
		newModelsCmd(c),
		newDataCmd(c),
		newScheduleCmd(c),
		newHistoryCmd(c),
		newCodecServerCmd(c),
		newSweepCmd(c),
		newReuseCmd(c),
	)
	// cobra's completion command, made now so that it, too, refuses what
	// is not one of its shells with a usage error.
	root.InitDefaultCompletionCmd()
	for _, cmd := range root.Commands() {
		if cmd.Name() == "completion" {
			cmd.Args, cmd.RunE = c.subcommandArgs, c.subcommandArgsRun
			cmd.Example = "  source <(starter completion bash)\n  starter completion zsh > \"${fpath[1]}/_starter\""
		}
	}
	return root
}

// prepare runs after the command line has parsed: it checks the output
// format and marks the command line as valid.
func (c *cli) prepare(cmd *cobra.Command, _ []string) error {
	if c.asJSON {
		if cmd.Flags().Changed("output") && c.output != "json" {
			return usagef("--json and --output %s disagree", c.output)
		}
		c.output = "json"
	}
	if c.output != "text" && c.output != "json" {
		return usagef("--output %q: want text or json", c.output)
	}
	c.parsed = true
	return nil
}

// json reports whether the command prints JSON.
func (c *cli) json() bool { return c.output == "json" }

// printJSON writes v as the command's one JSON value.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// config loads the configuration from the environment; the global flags
// override it. envconfig reads the profile and config file from
// TEMPORAL_PROFILE and TEMPORAL_CONFIG_FILE, so the flags set those.
func (c *cli) config() (app.Config, error) {
	if c.profile != "" {
		os.Setenv("TEMPORAL_PROFILE", c.profile)
	}
	if c.configFile != "" {
		os.Setenv("TEMPORAL_CONFIG_FILE", c.configFile)
	}
	cfg, err := c.loadConfig()
	if err != nil {
		return cfg, err
	}
	if c.address != "" {
		cfg.Client.HostPort = c.address
	}
	if c.namespace != "" {
		cfg.Client.Namespace = c.namespace
	}
	return cfg, nil
}

// subcommandArgs refuses arguments that name no subcommand, suggesting the
// nearest: `starter shwo` says "did you mean show?".
func (c *cli) subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	cmd.SuggestionsMinimumDistance = 2
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return usageError{msg}
}

// subcommandArgsRun is what a command of subcommands does alone: it shows
// its help on stderr and exits with a usage error.
func (c *cli) subcommandArgsRun(cmd *cobra.Command, _ []string) error {
	cmd.SetOut(c.stderr)
	_ = cmd.Help()
	return usageError{"want a command"}
}

// groupCmd returns a command of subcommands.
func (c *cli) groupCmd(use, short, example string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Example: example, Args: c.subcommandArgs, RunE: c.subcommandArgsRun}
	cmd.AddCommand(subs...)
	return cmd
}

// usageError is a mistake in the command line; it exits with exitUsage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// errPipelineFailed reports a pipeline that ran and did not complete; the
// command has already printed why.
var errPipelineFailed = errors.New("pipeline failed")

// exactArgs and maxArgs check positional arguments; want names them, as
// in "<workflow-id> <file>".
func exactArgs(n int, want string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("want '%s %s', got %d argument(s)", cmd.CommandPath(), want, len(args))
		}
		return nil
	}
}

func maxArgs(n int, want string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return usagef("want '%s %s', got %d arguments", cmd.CommandPath(), want, len(args))
		}
		return nil
	}
}

// exitCode prints err the way the temporal CLI does and maps it to an exit
// code: everything cobra refuses before the command runs is a usage error.
func (c *cli) exitCode(cmd *cobra.Command, err error) int {
	if err == nil {
		return exitOK
	}
	if errors.Is(err, errPipelineFailed) {
		return exitFailed
	}
	path := "starter"
	if cmd != nil {
		path = cmd.CommandPath()
	}
	var ue usageError
	if errors.As(err, &ue) || !c.parsed {
		fmt.Fprintf(c.stderr, "%s: %v\nRun '%s -h' for usage.\n", path, err, path)
		return exitUsage
	}
	fmt.Fprintf(c.stderr, "%s: %v\n", path, err)
	return exitFailed
}
