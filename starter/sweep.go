package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/sweep"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// sweepOutput is what `starter sweep -o json` prints: one object.
type sweepOutput struct {
	WorkflowID   string                  `json:"workflow_id"`
	RunID        string                  `json:"run_id"`
	Status       string                  `json:"status"`
	Trials       []workflows.TrialRecord `json:"trials"`
	Best         *sweepBest              `json:"best"`
	Registered   bool                    `json:"registered"`
	ModelVersion int                     `json:"model_version"`
	Reason       string                  `json:"reason,omitempty"`
	Error        string                  `json:"error,omitempty"`
	UIURL        string                  `json:"ui_url"`
}

type sweepBest struct {
	TrialID  string            `json:"trial_id"`
	Params   map[string]string `json:"params"`
	Accuracy float64           `json:"accuracy"`
}

const sweepLong = `Starts a hyperparameter sweep (Azure ML's HyperDrive) and follows it: trials
done, running, stopped early, and the best so far, on stderr. Each trial is
a child run of the sweep with its CV score per fold (cv_score), confusion
matrix and model file; the best trial's model is registered under the
pipeline's rules (above --threshold and the champion).

--param NAME=VALUES, once per hyperparameter, under scikit-learn's names:
  NAME=v1,v2,…         a list (grid or random sampling)
  NAME=a..b            the integers a to b
  NAME=choice(v1,…)    the same as a list
  NAME=uniform(a,b)    random sampling: a number between a and b
  NAME=loguniform(a,b) random sampling: exp(uniform(a,b)), as Azure ML's
Unknown names and values a model does not take are refused before anything
runs, with the valid ones.

--early-termination, applied at each fold's end:
  none
  bandit:slack=0.1,interval=1,delay=1        (or slack_amount=0.05)
  median:interval=1,delay=1
  truncation:percentage=20,interval=1,delay=1

With -o json, stdout gets one object: workflow_id, run_id, status, trials
(trial_id, params, status completed|early_terminated|failed, cv_scores,
accuracy, fold), best (trial_id, params, accuracy), registered,
model_version, reason, error, ui_url.

'starter sweep cancel ID' cancels a sweep; its running trials stop within
seconds. Exits 0 when the sweep completed, 1 when not, 2 on a usage error.`

func newSweepCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Start a hyperparameter sweep and follow it; 'sweep cancel ID' stops one",
		Long:  sweepLong,
		Example: `  starter sweep --model SVC --param C=0.1,1,10 --param gamma=scale,0.01,0.1 --sampling grid --max-concurrent 4 --json
  starter sweep --model KNN --param n_neighbors=uniform(1,40) --param weights=uniform,distance \
      --sampling random --trials 50 --seed 7 --early-termination bandit:slack=0.1,interval=1,delay=1
  starter sweep cancel sweeps-20250101-120000-1a2b3c4d`,
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	var (
		in        workflows.SweepInput
		params    []string
		policy    string
		id        string
		splitSeed int64
	)
	fs := cmd.Flags()
	fs.StringVar(&in.Space.Model, "model", "", "model to tune: SVC (SVM), KNN, CART, LR, NB or LDA (required)")
	fs.StringArrayVar(&params, "param", nil, "hyperparameter and its values, NAME=v1,v2,… | a..b | choice(…) | uniform(a,b) | loguniform(a,b); repeatable")
	fs.StringVar(&in.Space.Sampling, "sampling", sweep.Grid, "grid (every combination) or random")
	fs.IntVar(&in.Space.Trials, "trials", 0, "trials of random sampling (grid: all combinations)")
	fs.Int64Var(&in.Space.Seed, "seed", 0, "seed of random sampling (default: drawn from the clock, and printed)")
	fs.IntVar(&in.MaxConcurrent, "max-concurrent", 4, "trials running at once, across all workers")
	fs.StringVar(&policy, "early-termination", sweep.None, "none | bandit:slack=F,interval=N,delay=N | median:interval=N,delay=N | truncation:percentage=P,interval=N,delay=N")
	fs.StringVar(&in.Experiment, "experiment", "sweeps", "experiment name (prefix of the workflow ID, search attribute Experiment)")
	fs.StringVar(&in.Data, "data", workflows.DefaultData, "data reference of the CSV: azblob://container/path or file:///path")
	fs.StringVar(&in.ModelName, "model-name", workflows.DefaultModelName, "registered model name")
	fs.Float64Var(&in.Threshold, "threshold", workflows.DefaultThreshold, "register only above this accuracy (and above the champion)")
	fs.IntVar(&in.Folds, "folds", workflows.DefaultFolds, "cross-validation folds (the policy's intervals)")
	fs.Int64Var(&splitSeed, "split-seed", workflows.DefaultSeed, "seed of the train/validation split")
	fs.Float64Var(&in.ValidationSize, "validation-size", workflows.DefaultValidationSize, "share of rows held out for validation")
	fs.StringVar(&in.Outputs, "outputs", "", "datastore prefix for run outputs (default: the worker's)")
	fs.StringVar(&id, "id", "", "workflow ID (default: <experiment>-<time>-<random>)")
	_ = cmd.RegisterFlagCompletionFunc("model", cobra.FixedCompletions([]string{"SVC", "KNN", "CART", "LR", "NB", "LDA"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("sampling", cobra.FixedCompletions([]string{"grid", "random"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.Args = exactArgs(0, "[flags]")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		in.Seed = splitSeed
		if in.Space.Model == "" {
			return usagef("--model is required")
		}
		for _, p := range params {
			pp, err := sweep.ParseParam(p)
			if err != nil {
				return usagef("%v", err)
			}
			in.Space.Params = append(in.Space.Params, pp)
		}
		pol, err := sweep.ParsePolicy(policy)
		if err != nil {
			return usagef("%v", err)
		}
		in.Policy = pol
		if in.Space.Sampling == sweep.Random && !cmd.Flags().Changed("seed") {
			in.Space.Seed = time.Now().UnixNano() & 0x7fffffff
			fmt.Fprintf(c.stderr, "random sampling with --seed %d\n", in.Space.Seed)
		}
		return c.sweep(in, id)
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "cancel <workflow-id>",
		Short: "Cancel a sweep; its running trials stop within seconds",
		Example: `  starter sweep cancel sweeps-20250101-120000-1a2b3c4d
  starter sweep cancel sweeps-20250101-120000-1a2b3c4d -o json`,
		Args: exactArgs(1, "<workflow-id>"),
		RunE: func(_ *cobra.Command, args []string) error { return c.cancelSweep(args[0]) },
	})
	return cmd
}

// checkSweep turns a bad sweep input into a usage error, before anything
// starts.
func checkSweep(in workflows.SweepInput) error {
	if _, err := datastore.ParseRef(in.Data); err != nil {
		return usagef("--data: %v", err)
	}
	if err := in.WithDefaults().Validate(); err != nil {
		return usagef("%v", err)
	}
	return nil
}

func (c *cli) sweep(in workflows.SweepInput, id string) error {
	in.Space = in.Space.Normalize()
	last := ""
	var res workflows.SweepResult
	f, err := c.startAndFollow(launch{
		check: func() error { return checkSweep(in) }, experiment: in.Experiment, id: id,
		options: func(id string) client.StartWorkflowOptions {
			return client.StartWorkflowOptions{
				ID:                    id,
				TaskQueue:             workflows.TaskQueue,
				TypedSearchAttributes: runctx.ExperimentSearchAttributes(in.Experiment),
				StaticSummary:         fmt.Sprintf("%s: sweep %s, %d trials (%s)", in.Experiment, in.Space.Model, in.Space.Trials, in.Space.Sampling),
				StaticDetails: fmt.Sprintf("**model** %s  \n**sampling** %s, %d trials, seed %d  \n**early termination** %s  \n**max concurrent** %d  \n**data** %s",
					in.Space.Model, in.Space.Sampling, in.Space.Trials, in.Space.Seed, in.Policy, in.MaxConcurrent, in.Data),
			}
		},
		kind: "sweep", workflow: workflows.HyperparameterSweep, input: in,
		what:  fmt.Sprintf(": %d trials of %s", in.Space.Trials, in.Space.Model),
		every: time.Second,
		poll: func(ctx context.Context, tc client.Client, workflowID, _ string) {
			pollSweep(ctx, tc, workflowID, &last, c.stderr)
		},
	}, &res)
	if err != nil {
		return err
	}
	out := sweepOutput{WorkflowID: f.workflowID, RunID: f.runID, UIURL: f.uiURL, Status: f.status, Error: f.err}
	if f.completed() {
		out.Trials, out.Registered, out.ModelVersion, out.Reason = res.Trials, res.Registered, res.ModelVersion, res.Reason
		if res.Best != nil {
			out.Best = &sweepBest{TrialID: res.Best.TrialID, Params: res.Best.Params, Accuracy: res.Best.Accuracy}
		}
	}
	if out.Trials == nil {
		out.Trials = []workflows.TrialRecord{}
	}
	return c.report(out.Status, f.started, out, func(w io.Writer) { printSweep(w, out) })
}

// pollSweep prints the sweep's progress on w when it differs from *last.
func pollSweep(ctx context.Context, tc client.Client, workflowID string, last *string, w io.Writer) {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := tc.QueryWorkflow(qctx, workflowID, "", workflows.QuerySweep)
	var pr workflows.SweepProgress
	if err != nil || v.Get(&pr) != nil {
		return
	}
	line := fmt.Sprintf("trials %d/%d done, %d running, %d stopped early, %d failed", pr.Done, pr.Total, pr.Running, pr.Stopped, pr.Failed)
	if pr.Best != nil {
		line += fmt.Sprintf("; best %s %.4f (%s)", pr.Best.TrialID, pr.Best.Accuracy, sweep.FormatParams(pr.Best.Params))
	}
	if line != *last {
		fmt.Fprintln(w, line)
		*last = line
	}
}

func printSweep(w io.Writer, out sweepOutput) {
	if out.Status != enums.WORKFLOW_EXECUTION_STATUS_COMPLETED.String() {
		fmt.Fprintf(w, "%s %s: %s\n  %s\n", out.Status, out.WorkflowID, out.Error, out.UIURL)
		return
	}
	fmt.Fprintf(w, "%s %s\n", out.Status, out.WorkflowID)
	var b strings.Builder
	for _, t := range out.Trials {
		fmt.Fprintf(&b, "  %s  %-16s  %.4f  %v  %s\n", t.TrialID, t.Status, t.Accuracy, t.CVScores, sweep.FormatParams(t.Params))
	}
	fmt.Fprint(w, b.String())
	if out.Best != nil {
		fmt.Fprintf(w, "  best %s, accuracy %.4f (%s)\n", out.Best.TrialID, out.Best.Accuracy, sweep.FormatParams(out.Best.Params))
	}
	if out.Registered {
		fmt.Fprintf(w, "  registered as version %d\n", out.ModelVersion)
	} else {
		fmt.Fprintf(w, "  not registered: %s\n", out.Reason)
	}
	fmt.Fprintf(w, "  %s\n", out.UIURL)
}

func (c *cli) cancelSweep(id string) error {
	_, tc, err := c.connect()
	if err != nil {
		return err
	}
	defer tc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tc.CancelWorkflow(ctx, id, ""); err != nil {
		return fmt.Errorf("cancel %s: %w", id, err)
	}
	fmt.Fprintf(c.stderr, "cancel requested for %s\n", id)
	if c.json() {
		return c.printJSON(map[string]string{"workflow_id": id, "status": "CancelRequested"})
	}
	return nil
}
