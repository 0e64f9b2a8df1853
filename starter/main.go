// Command starter starts, follows, lists and schedules ML pipelines, and
// reads what their runs recorded.
//
//	starter run [flags]                 start a pipeline and follow it
//	starter show <workflow-id>          a pipeline's tags, properties, metrics and steps
//	starter list [--experiment E]       pipelines, newest first
//	starter models [NAME]               registered model versions
//	starter data upload <file> <ref>    upload a file to the datastore
//	starter data ls <ref>               list a datastore prefix
//	starter schedule create|list|delete Temporal Schedules of pipelines
//	starter history export <id> <file>  a workflow history, for replay tests
//	starter codec-server                lets the Web UI show payloads offloaded to Azure Blob
//
// Exit codes: 0 done, 1 the pipeline or the command failed, 2 usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Exit codes CI can trust.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// usageError is a mistake in the command line; it exits with exitUsage.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// errPipelineFailed reports a pipeline that ran and failed; the command has
// already printed why.
var errPipelineFailed = errors.New("pipeline failed")

type command struct {
	name, summary string
	run           func(args []string, stdout io.Writer) error
}

var commands = []command{
	{"run", "start a pipeline and follow it to the end", runCmd},
	{"show", "<workflow-id>: a pipeline's tags, properties, metrics and steps", showCmd},
	{"models", "[NAME]: registered model versions and the runs that made them", modelsCmd},
	{"data", "upload <file> <ref> | ls <ref>: files in the datastore", dataCmd},
	{"list", "pipelines, newest first: [--experiment E] [--query Q] [--limit N] [--json]", listCmd},
	{"schedule", "create|list|delete: Temporal Schedules of pipelines", scheduleCmd},
	{"history", "export <workflow-id> <file>: a workflow history, for replay tests", historyCmd},
	{"codec-server", "[--port 8081] [--origin URL]: codec server showing offloaded payloads in the Web UI", codecServerCmd},
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(args[1:], stdout)
		var ue usageError
		switch {
		case err == nil:
			return exitOK
		case errors.Is(err, flag.ErrHelp):
			return exitOK
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "starter %s: %s\nRun 'starter %s -h' for its flags.\n", c.name, ue.msg, c.name)
			return exitUsage
		case errors.Is(err, errPipelineFailed):
			return exitFailed
		default:
			fmt.Fprintf(stderr, "starter %s: %v\n", c.name, err)
			return exitFailed
		}
	}
	fmt.Fprintf(stderr, "starter: unknown command %q\n", args[0])
	printUsage(stderr)
	return exitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: starter <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
}

// newFlags returns a flag set whose parse errors become usage errors.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("starter "+name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}
