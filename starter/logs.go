package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/script"
)

func newLogsCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "logs <workflow-id> [step]",
		Short: "The stdout and stderr of a pipeline's script steps (logs/std_log.txt)",
		Long: `Prints each script step's logs/std_log.txt, Azure ML's std_log.txt of a
run: its stdout and stderr as the worker captured them (bounded: the head
and the tail, with the number of bytes left out between). With a step, only
that step's; a step that wrote none (a Go step, one that did not run) is
named and skipped.`,
		Example: `  starter logs iris-scripts-20250101-120000-1a2b3c4d
  starter logs iris-scripts-20250101-120000-1a2b3c4d train`,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(_ *cobra.Command, args []string) error {
			step := ""
			if len(args) == 2 {
				step = args[1]
			}
			return c.logs(args[0], step)
		},
	}
}

func (c *cli) logs(workflowID, step string) error {
	cfg, tc, err := c.connect()
	if err != nil {
		return err
	}
	defer tc.Close()
	ctx := context.Background()
	out, err := loadShow(ctx, tc, cfg.Plugin, workflowID)
	if err != nil {
		return err
	}
	store := cfg.Plugin.Store()
	found := false
	for _, s := range out.Steps {
		if step != "" && s.Name != step {
			continue
		}
		found = true
		if s.Record == "" {
			fmt.Fprintf(c.stderr, "step %s: %s, no log\n", s.Name, s.Status)
			continue
		}
		logRef, err := datastore.ParseRef(s.Record[:strings.LastIndex(s.Record, "/")] + "/" + script.LogsDir + "/" + script.LogFile)
		if err != nil {
			return err
		}
		rc, _, err := store.Read(ctx, logRef)
		if errors.Is(err, datastore.ErrNotFound) {
			fmt.Fprintf(c.stderr, "step %s: no %s/%s (not a script step)\n", s.Name, script.LogsDir, script.LogFile)
			continue
		}
		if err != nil {
			return fmt.Errorf("step %s: %w", s.Name, err)
		}
		fmt.Fprintf(c.stderr, "==> step %s (%s) %s\n", s.Name, s.RunID, logRef)
		_, err = io.Copy(c.stdout, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	if !found {
		return usagef("%s has no step %q", workflowID, step)
	}
	return nil
}
