package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/temporal-ml/runctx-pipeline/internal/pipelinefile"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

var scriptsOnly = flag.Bool("scripts-only", false, "run only the script step figures (prints them)")

// benchScript is the one script of the script-step figure: it starts the
// interpreter, imports the client and logs one value, as a small step does.
const benchScript = "from azureml.core import Run\nRun.get_context().log('ok', 1)\n"

// runScriptsOnly runs the script step figures alone when -scripts-only is
// given.
func runScriptsOnly() bool {
	if !*scriptsOnly {
		return false
	}
	s, err := startStack()
	if err == nil {
		var r strings.Builder
		fmt.Fprintf(&r, "## Script steps\n\nMeasured %s, one run, one dev server and Azurite.\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
		if err = writeScripts(context.Background(), s, &r, 20); err == nil {
			fmt.Print(r.String())
		}
	}
	s.stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	return true
}

// writeScripts measures a pipeline of one script step against the same
// script run directly with python3 plus the floor (a two-activity no-op
// pipeline): the goal is at most 1.2×. Rounds take turns so that all see
// the same machine.
func writeScripts(ctx context.Context, s *stack, r *strings.Builder, n int) error {
	dir := filepath.Join(s.scriptRoot, "step")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "step.py"), []byte(benchScript), 0o644); err != nil {
		return err
	}
	root, _ := filepath.Abs("python")
	direct := func() (time.Duration, error) {
		cmd := exec.Command("python3", "step.py")
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "PYTHONPATH="+root)
		t := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			return 0, fmt.Errorf("python3 step.py: %w: %s", err, out)
		}
		return time.Since(t), nil
	}
	pl := pipelinefile.Pipeline{Experiment: "bench-scripts", Jobs: []pipelinefile.Job{{Name: "step", Code: dir, Command: "python3", Script: "step.py"}}}
	script := func(ctx context.Context, i int) (client.WorkflowRun, error) {
		return s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: workflows.TaskQueue}, workflows.ScriptPipeline, pl)
	}
	floor := floorOn(s.client, false)
	if err := warmUp(ctx, s.client, floor, script); err != nil {
		return err
	}
	var py []time.Duration
	var fl, sc []latency
	for i := range n {
		d, err := direct()
		if err != nil {
			return err
		}
		py = append(py, d)
		for k, start := range []starter{floor, script} {
			l, err := runOnce(ctx, s.client, start, i)
			if err != nil {
				return err
			}
			if k == 0 {
				fl = append(fl, l)
			} else {
				sc = append(sc, l)
			}
		}
	}
	p50 := func(ds []time.Duration) time.Duration { return percentile(ds, 50) }
	ref := p50(py) + p50(durations(fl, serverSide))
	got := p50(durations(sc, serverSide))
	fmt.Fprintf(r, "| figure | script pipeline | python3 directly + floor | ratio | goal |\n|---|---|---|---|---|\n")
	fmt.Fprintf(r, "| one script step, server duration p50 (%d rounds) | %s | %s + %s | %.2f× | ≤ 1.2× |\n\n",
		n, ms(got), ms(p50(py)), ms(p50(durations(fl, serverSide))), float64(got)/float64(ref))
	return nil
}
