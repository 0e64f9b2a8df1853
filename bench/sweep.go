package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/sweep"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

var sweepOnly = flag.Bool("sweep-only", false, "run only the sweep figures (writes bench/results-sweep.md)")

// runSweepOnly runs the sweep figures alone when -sweep-only is given.
func runSweepOnly() bool {
	if !*sweepOnly {
		return false
	}
	s, err := startStack()
	if err == nil {
		var r strings.Builder
		fmt.Fprintf(&r, "# Sweep benchmarks\n\nMeasured %s, one run, one dev server and Azurite.\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
		if err = writeSweeps(context.Background(), s, &r); err == nil {
			fmt.Print(r.String())
			err = os.WriteFile("bench/results-sweep.md", []byte(r.String()), 0o644)
		}
	}
	s.stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	return true
}

// SweepFloor is the sweep's floor: n no-op activities, at most k at once,
// through the task queue as trials go (no eager execution).
func SweepFloor(ctx workflow.Context, n, k int) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute, DisableEagerExecution: true})
	running := 0
	for i := 0; i < n; i++ {
		if err := workflow.Await(ctx, func() bool { return running < k }); err != nil {
			return err
		}
		running++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { running-- }()
			_ = workflow.ExecuteActivity(ctx, FloorStep).Get(ctx, nil)
		})
	}
	return workflow.Await(ctx, func() bool { return running == 0 })
}

func sweepIn(model, data string, k int, params ...string) workflows.SweepInput {
	sp := sweep.Space{Model: model, Sampling: sweep.Grid}
	for _, p := range params {
		pp, err := sweep.ParseParam(p)
		if err != nil {
			panic(err)
		}
		sp.Params = append(sp.Params, pp)
	}
	return workflows.SweepInput{Experiment: "bench-sweeps", ModelName: "bench-sweep", Data: data, Space: sp.Normalize(),
		Policy: sweep.Policy{Kind: sweep.None}, MaxConcurrent: k, Threshold: 1.01}
}

// runSweep runs a sweep on taskQueue and returns its wall time and result.
// The run ID returned is the first run's (Get follows continue-as-new).
func runSweep(ctx context.Context, c client.Client, taskQueue string, in workflows.SweepInput) (time.Duration, string, string, workflows.SweepResult, error) {
	start := time.Now()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: taskQueue}, workflows.HyperparameterSweep, in)
	var res workflows.SweepResult
	if err != nil {
		return 0, "", "", res, err
	}
	id, first := run.GetID(), run.GetRunID()
	err = run.Get(ctx, &res)
	return time.Since(start), id, first, res, err
}

// sweepHistories returns the events and bytes of each run of a sweep.
func sweepHistories(ctx context.Context, c client.Client, id, runID string) (events, bytes []int, err error) {
	for runID != "" {
		it := c.GetWorkflowHistory(ctx, id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		n, b, next := 0, 0, ""
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				return nil, nil, err
			}
			n++
			b += e.Size()
			if a := e.GetWorkflowExecutionContinuedAsNewEventAttributes(); a != nil {
				next = a.GetNewExecutionRunId()
			}
		}
		events, bytes = append(events, n), append(bytes, b)
		runID = next
	}
	return events, bytes, nil
}

// writeSweeps measures sweeps: orchestration per trial against the floor,
// CPU-bound trials on one and two workers, and a 1,000-trial grid.
func writeSweeps(ctx context.Context, s *stack, r *strings.Builder) error {
	fmt.Fprintf(r, "## Sweeps\n\n| figure | sweep | reference | ratio | goal |\n|---|---|---|---|---|\n")

	// 1. Orchestration against the floor.
	const n, k = 200, 8
	breakdown, err := writeOrchestration(ctx, s, r, n, k)
	if err != nil {
		return err
	}

	// 2. CPU-bound trials, SVC on 10,000 rows: one worker against two,
	// each with one activity slot (one core's worth, as one small machine).
	var csv bytes.Buffer
	if err := encodeCSV(&csv, ml.SyntheticIris(10000, 5)); err != nil {
		return err
	}
	const cpuRef = "azblob://datasets/bench/iris-10000.csv"
	ref, _ := datastore.ParseRef(cpuRef)
	if _, err := s.store.Write(ctx, ref, &csv, datastore.WriteOptions{ContentType: "text/csv"}); err != nil {
		return err
	}
	cpu := func(workers int) (time.Duration, error) {
		tq := fmt.Sprintf("sweep-cpu-%d", workers)
		for range workers {
			w := worker.New(s.client, tq, worker.Options{MaxConcurrentActivityExecutionSize: 1})
			app.RegisterSweep(w, activities.NewSweep(app.Activities(s.store).Data))
			a := app.Activities(s.store)
			w.RegisterActivityWithOptions(a.LookupChampion, activity.RegisterOptions{Name: "LookupChampion"})
			w.RegisterActivityWithOptions(a.RegisterModel, activity.RegisterOptions{Name: "RegisterModel"})
			if err := w.Start(); err != nil {
				return 0, err
			}
			defer w.Stop()
		}
		progress("sweep: 8 SVC trials on 10,000 rows, %d worker(s)", workers)
		wall, _, _, _, err := runSweep(ctx, s.client, tq, sweepIn("SVC", cpuRef, 4, "C=0.5,1,2,4", "gamma=scale,0.5"))
		return wall, err
	}
	one, err := cpu(1)
	if err != nil {
		return err
	}
	two, err := cpu(2)
	if err != nil {
		return err
	}
	fmt.Fprintf(r, "| CPU-bound: 8 SVC trials on 10,000 rows, two workers / one (one activity slot each) | %s | %s | %.2f× | ≤ 0.6× |\n",
		dur(two), dur(one), float64(two)/float64(one))

	// 3. A 1,000-trial KNN grid on iris.
	progress("sweep: 1,000-trial KNN grid on iris, 16 at once")
	wall, id, first, res, err := runSweep(ctx, s.client, workflows.TaskQueue, sweepIn("KNN", workflows.DefaultData, 16,
		"n_neighbors=1..50", "weights=uniform,distance", "leaf_size=1..10"))
	if err != nil {
		return err
	}
	events, bytes, err := sweepHistories(ctx, s.client, id, first)
	if err != nil {
		return err
	}
	maxE, maxB := 0, 0
	for i := range events {
		maxE, maxB = max(maxE, events[i]), max(maxB, bytes[i])
	}
	fmt.Fprintf(r, "| 1,000-trial KNN grid on iris, 16 at once: wall time, %d trials, best %s %.4f | %s | | | |\n",
		len(res.Trials), res.Best.TrialID, res.Best.Accuracy, dur(wall))
	fmt.Fprintf(r, "| its %d runs (continue-as-new every %d trials): largest history, events / bytes | %d / %d | | | ≤ 10,000 / 5 MB |\n\n",
		len(events), workflows.TrialsPerRun, maxE, maxB)
	r.WriteString("Where the orchestration figure's time goes:\n\n" + breakdown)
	return nil
}

func floats(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprintf("%ge-9", float64(i+1))
	}
	return strings.Join(parts, ",")
}
