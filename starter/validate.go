package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/temporal-ml/runctx-pipeline/internal/pipelinefile"
)

// validateOutput is what `starter validate -o json` prints.
type validateOutput struct {
	File       string            `json:"file"`
	Experiment string            `json:"experiment"`
	Jobs       []validateJob     `json:"jobs"`
	Inputs     map[string]string `json:"inputs,omitempty"`
}

type validateJob struct {
	Name     string   `json:"name"`
	Needs    []string `json:"needs,omitempty"`
	When     string   `json:"when,omitempty"`
	Snapshot string   `json:"snapshot"`
}

func newValidateCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "validate <pipeline.yml>",
		Short: "Check a pipeline file without running it (for CI)",
		Long: `Reads and checks a pipeline file as 'starter run --pipeline' does before it
starts anything: its keys, names, bindings (no binding to a job or output
that does not exist, no cycle), conditions, and each job's code folder
(present, within the snapshot limits, holding its script). Needs no server.

Prints each job with the jobs it needs, its condition and its snapshot's
hash; exits 0 when the file is valid, 2 with FILE:LINE:COL: what is wrong
for each problem otherwise.`,
		Example: `  starter validate examples/scripts/pipeline.yml
  starter validate -o json pipeline.yml`,
		Args:              exactArgs(1, "<pipeline.yml>"),
		ValidArgsFunction: cobra.FixedCompletions([]string{"yml", "yaml"}, cobra.ShellCompDirectiveFilterFileExt),
		RunE: func(_ *cobra.Command, args []string) error {
			pl, err := pipelinefile.Parse(args[0])
			if err != nil {
				return usagef("%v", err)
			}
			out := validateOutput{File: args[0], Experiment: pl.Experiment, Inputs: pl.Inputs}
			for _, j := range pl.Jobs {
				vj := validateJob{Name: j.Name, Needs: j.Needs(), Snapshot: j.Snapshot}
				if j.When != nil {
					vj.When = j.When.Text
				}
				out.Jobs = append(out.Jobs, vj)
			}
			if c.json() {
				return c.printJSON(out)
			}
			fmt.Fprintf(c.stdout, "%s: valid, experiment %s, %d jobs\n", args[0], pl.Experiment, len(pl.Jobs))
			for _, j := range out.Jobs {
				fmt.Fprintf(c.stdout, "  %s  snapshot %s", j.Name, j.Snapshot[:12])
				if len(j.Needs) > 0 {
					fmt.Fprintf(c.stdout, "  needs %v", j.Needs)
				}
				if j.When != "" {
					fmt.Fprintf(c.stdout, "  when %s", j.When)
				}
				fmt.Fprintln(c.stdout)
			}
			return nil
		},
	}
}
