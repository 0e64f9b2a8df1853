package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
	"github.com/temporal-ml/runctx-pipeline/internal/pipelinefile"
	"github.com/temporal-ml/runctx-pipeline/internal/snapshot"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// scriptsOutput is what `starter submit -o json` and `starter run
// --pipeline -o json` print: one object. For submit, StepRunID, Snapshot
// and Outputs are the one step's.
type scriptsOutput struct {
	WorkflowID string                `json:"workflow_id"`
	RunID      string                `json:"run_id"`
	Status     string                `json:"status"`
	StepRunID  string                `json:"step_run_id,omitempty"`
	Snapshot   string                `json:"snapshot,omitempty"`
	Outputs    map[string]string     `json:"outputs,omitempty"`
	Jobs       []workflows.JobResult `json:"jobs,omitempty"`
	Tags       map[string]string     `json:"tags"`
	Properties map[string]string     `json:"properties"`
	Error      string                `json:"error,omitempty"`
	UIURL      string                `json:"ui_url"`
}

func newSubmitCmd(c *cli) *cobra.Command {
	var (
		dir, script, experiment, command, id string
		inputs, outputs                      []string
		noReuse                              bool
	)
	cmd := &cobra.Command{
		Use:   "submit --source-directory DIR --script FILE [flags] [-- ARGS...]",
		Args:  cobra.ArbitraryArgs,
		Short: "Run one script as a pipeline step, as Azure ML's experiment.submit(ScriptRunConfig)",
		Long: `Uploads a snapshot of the source directory (once: it is content-addressed;
.amlignore, or else .gitignore, excludes files; at most 2,000 files and
300 MB), starts a pipeline of one script step that runs
COMMAND SCRIPT ARGS... on a worker that runs snapshots
(PIPELINE_SCRIPT_SNAPSHOTS=on), and follows it like 'starter run'. The
pipeline is the script's parent run, so run.parent is there, as in an
Azure ML pipeline. Arguments after -- reach the script's sys.argv verbatim.

With -o json, stdout gets one object: workflow_id, run_id, status,
step_run_id, snapshot, outputs (name to data reference), tags,
properties, error, ui_url.

Exits 0 when the pipeline completed, 1 when it did not, 2 on a usage error.`,
		Example: `  starter submit --source-directory src --script train.py --input irisdata=azblob://datasets/iris/iris.csv --outputs model_output
  starter submit --source-directory src --script train.py -- --folds 5
  starter submit --source-directory jobs --script run.sh --command bash -o json`,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() > 0 {
				return usagef("arguments before -- : %s (script arguments go after --)", strings.Join(args[:cmd.ArgsLenAtDash()], " "))
			}
			return c.submit(dir, script, experiment, command, id, inputs, outputs, noReuse, args)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&dir, "source-directory", "", "the script's folder, snapshotted and run on the worker (required)")
	fs.StringVar(&script, "script", "", "the script's path inside the source directory (required)")
	fs.StringVar(&experiment, "experiment", "", "experiment name (default: the source directory's name)")
	fs.StringVar(&command, "command", "python3", "the program that runs the script")
	fs.StringArrayVar(&inputs, "input", nil, "NAME=REF: a data reference the script reads at AZUREML_DATAREFERENCE_NAME (repeatable)")
	fs.StringSliceVar(&outputs, "outputs", nil, "NAME[,NAME]: folders the script writes at AZUREML_DATAREFERENCE_NAME, uploaded when it exits 0 (repeatable; --output is the output format)")
	fs.BoolVar(&noReuse, "no-reuse", false, "run even when an earlier run of the same step on the same data can be reused")
	fs.StringVar(&id, "id", "", "workflow ID (default: <experiment>-<time>-<random>)")
	_ = cmd.MarkFlagRequired("source-directory")
	_ = cmd.MarkFlagRequired("script")
	return cmd
}

// parseInputs reads NAME=REF flags.
func parseInputs(flags []string) (map[string]string, error) {
	out := map[string]string{}
	for _, f := range flags {
		name, ref, ok := strings.Cut(f, "=")
		if !ok || name == "" {
			return nil, usagef("--input %q: want NAME=REF", f)
		}
		if _, err := datastore.ParseRef(ref); err != nil {
			return nil, usagef("--input %s: %v", name, err)
		}
		out[name] = ref
	}
	return out, nil
}

func (c *cli) submit(dir, script, experiment, command, id string, inputFlags, outputs []string, noReuse bool, args []string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return usagef("--source-directory: %v", err)
	}
	if experiment == "" {
		experiment = filepath.Base(abs)
	}
	if err := datastore.ValidateName("experiment", experiment); err != nil {
		return usagef("--experiment: %v (name it with --experiment)", err)
	}
	inputs, err := parseInputs(inputFlags)
	if err != nil {
		return err
	}
	m, err := snapshot.Scan(abs)
	if err != nil {
		return usagef("--source-directory: %v", err)
	}
	if !slices.Contains(m.Names(), filepath.ToSlash(filepath.Clean(script))) {
		return usagef("--script %s is not a file of the snapshot of %s", script, abs)
	}
	job := pipelinefile.Job{
		Name: layout.ScriptStepName(script), Code: abs, Snapshot: m.Hash, Command: command, Script: script, Arguments: args,
		Inputs: map[string]pipelinefile.Binding{}, Outputs: outputs, AllowReuse: !noReuse,
	}
	for name, ref := range inputs {
		job.Inputs[name] = pipelinefile.Binding{Ref: ref}
	}
	pl := pipelinefile.Pipeline{Experiment: experiment, Jobs: []pipelinefile.Job{job}}
	out, err := c.runScripts(pl, id, map[string]*snapshot.Manifest{abs: m})
	if err != nil {
		return err
	}
	return c.report(out.Status, out.started, out.scriptsOutput, func(w io.Writer) { printScripts(w, out.scriptsOutput) })
}

// scriptsRun is a followed script pipeline and when it started.
type scriptsRun struct {
	scriptsOutput
	started time.Time
}

// runScripts uploads the snapshots of pl's jobs and creates the search
// attributes it declares, then starts ScriptPipeline and follows it to its
// end as 'starter run' follows TrainingPipeline (startAndFollow).
func (c *cli) runScripts(pl pipelinefile.Pipeline, id string, scanned map[string]*snapshot.Manifest) (scriptsRun, error) {
	if err := c.prepareScripts(&pl, scanned); err != nil {
		return scriptsRun{}, err
	}
	progress := newStepProgress(c.stderr)
	var res workflows.ScriptPipelineResult
	f, err := c.startAndFollow(launch{
		experiment: pl.Experiment, id: id,
		options: func(id string) client.StartWorkflowOptions {
			return client.StartWorkflowOptions{
				ID: id, TaskQueue: workflows.TaskQueue,
				TypedSearchAttributes: runctx.ExperimentSearchAttributes(pl.Experiment),
				StaticSummary:         scriptsSummary(pl),
			}
		},
		kind: "pipeline", workflow: workflows.ScriptPipeline, input: pl,
		every: 250 * time.Millisecond,
		poll: func(ctx context.Context, tc client.Client, workflowID, runID string) {
			pollSteps(ctx, tc, workflowID, runID, progress)
		},
	}, &res)
	if err != nil {
		return scriptsRun{}, err
	}
	run := scriptsRun{started: f.started}
	out := &run.scriptsOutput
	out.WorkflowID, out.RunID, out.UIURL, out.Status, out.Error = f.workflowID, f.runID, f.uiURL, f.status, f.err
	if len(pl.Jobs) == 1 {
		out.StepRunID, out.Snapshot = layout.StepRunID(f.workflowID, pl.Jobs[0].Name), pl.Jobs[0].Snapshot
	}
	if !f.completed() {
		res = c.finalScripts(f.workflowID, f.runID)
	}
	out.Jobs, out.Tags, out.Properties = res.Jobs, res.Tags, res.Properties
	if len(res.Jobs) == 1 && res.Jobs[0].Step != nil {
		out.Outputs = res.Jobs[0].Step.Outputs
	}
	return run, nil
}

// prepareScripts uploads pl's snapshots and creates the search
// attributes it declares, before the pipeline starts.
func (c *cli) prepareScripts(pl *pipelinefile.Pipeline, scanned map[string]*snapshot.Manifest) error {
	cfg, tc, err := c.connect()
	if err != nil {
		return err
	}
	defer tc.Close()
	ctx := context.Background()
	if err := uploadSnapshots(ctx, cfg, pl, scanned, c.stderr); err != nil {
		return err
	}
	return ensureAttributes(ctx, tc, cfg.Namespace(), pl.Attributes)
}

// finalScripts is a failed pipeline's tags and properties, from its run
// query (a worker answers it from the history).
func (c *cli) finalScripts(workflowID, runID string) workflows.ScriptPipelineResult {
	var res workflows.ScriptPipelineResult
	_, tc, err := c.connect()
	if err != nil {
		return res
	}
	defer tc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if v, err := tc.QueryWorkflow(ctx, workflowID, runID, runctx.QueryRun); err == nil {
		var rec runctx.ParentRecord
		if v.Get(&rec) == nil {
			res.Tags, res.Properties = rec.Tags, rec.Properties
		}
	}
	return res
}

// uploadSnapshots uploads each job's code folder once (one snapshot per
// distinct hash), checking that it has not changed since it was scanned.
func uploadSnapshots(ctx context.Context, cfg app.Config, pl *pipelinefile.Pipeline, scanned map[string]*snapshot.Manifest, w io.Writer) error {
	runs, err := datastore.ParsePrefix(cfg.Plugin.Runs())
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for i := range pl.Jobs {
		j := &pl.Jobs[i]
		m := scanned[j.Code]
		if m == nil {
			if m, err = snapshot.Scan(j.Code); err != nil {
				return usagef("job %s: code %s: %v", j.Name, j.Code, err)
			}
			scanned[j.Code] = m
		}
		if m.Hash != j.Snapshot {
			return usagef("job %s: code %s changed since it was read; submit again", j.Name, j.Code)
		}
		if done[m.Hash] {
			continue
		}
		ref, err := snapshot.Upload(ctx, cfg.Plugin.Store(), runs, j.Code, m)
		if err != nil {
			return fmt.Errorf("job %s: %w", j.Name, err)
		}
		fmt.Fprintf(w, "snapshot %s of %s: %d files, %s\n  %s\n", m.Hash[:12], j.Code, len(m.Files), bytesString(m.Bytes), ref)
		done[m.Hash] = true
	}
	return nil
}

func scriptsSummary(pl pipelinefile.Pipeline) string {
	names := make([]string, len(pl.Jobs))
	for i, j := range pl.Jobs {
		names[i] = j.Name
	}
	return truncate(fmt.Sprintf("%s: %s", pl.Experiment, strings.Join(names, ", ")), 400)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func printScripts(w io.Writer, out scriptsOutput) {
	if out.Status != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED.String() {
		fmt.Fprintf(w, "%s %s: %s\n", out.Status, out.WorkflowID, out.Error)
	} else {
		fmt.Fprintf(w, "%s %s\n", out.Status, out.WorkflowID)
	}
	for _, j := range out.Jobs {
		line := fmt.Sprintf("  %s %s", j.Name, j.Status)
		if j.Reason != "" {
			line += ": " + j.Reason
		}
		fmt.Fprintln(w, line)
	}
	for _, k := range slices.Sorted(maps.Keys(out.Tags)) {
		fmt.Fprintf(w, "  tag %s=%s\n", k, out.Tags[k])
	}
	for _, k := range slices.Sorted(maps.Keys(out.Outputs)) {
		fmt.Fprintf(w, "  output %s: %s\n", k, out.Outputs[k])
	}
	fmt.Fprintf(w, "  %s\n", out.UIURL)
}

// runPipelineFile runs a pipeline file: refused with exit 2 and
// FILE:LINE:COL for each problem before anything starts.
func (c *cli) runPipelineFile(cmd *cobra.Command, file, id string, inputFlags []string) error {
	pl, err := c.loadPipelineFile(cmd, file, inputFlags)
	if err != nil {
		return err
	}
	out, err := c.runScripts(*pl, id, map[string]*snapshot.Manifest{})
	if err != nil {
		return err
	}
	return c.report(out.Status, out.started, out.scriptsOutput, func(w io.Writer) { printScripts(w, out.scriptsOutput) })
}

// loadPipelineFile parses file with the command line's --input overrides
// and --no-reuse; TrainingPipeline's flags are refused beside it.
func (c *cli) loadPipelineFile(cmd *cobra.Command, file string, inputFlags []string) (*pipelinefile.Pipeline, error) {
	for _, f := range []string{"data", "model-name", "threshold", "folds", "seed", "validation-size", "outputs", "no-pictures", "experiment"} {
		if cmd.Flags().Changed(f) {
			return nil, usagef("--%s is TrainingPipeline's; a pipeline file sets its own", f)
		}
	}
	pl, err := pipelinefile.Parse(file)
	if err != nil {
		return nil, usagef("%v", err)
	}
	overrides, err := parseInputs(inputFlags)
	if err != nil {
		return nil, err
	}
	for name, ref := range overrides {
		if _, ok := pl.Inputs[name]; !ok {
			return nil, usagef("--input %s: %s has no input %q (it has: %s)", name, file, name, strings.Join(slices.Sorted(maps.Keys(pl.Inputs)), ", "))
		}
		pl.Inputs[name] = ref
	}
	if cmd.Flags().Changed("no-reuse") {
		for i := range pl.Jobs {
			pl.Jobs[i].AllowReuse = false
		}
	}
	return pl, nil
}
