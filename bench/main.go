// Command bench measures the pipeline against Temporal's floor, in one run
// on one dev server and Azurite it starts itself, and prints a table of
// figures that it also writes to bench/results.md:
//
//  1. the floor: a workflow of the pipeline's shape whose steps do nothing;
//  2. the real pipeline on iris, and each figure as a ratio to the floor;
//  3. runctx: Log's cost, and history size against values logged;
//  4. training the six models on iris and on synthetic data;
//  5. the same work against scikit-learn 1.2.1, when python3-sklearn is
//     installed (bench/sklearn.go; -sklearn-only runs just this part).
//
// Run it with `make bench`.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// rounds is how many times each throughput is measured; the mean is kept.
var rounds int

// sklearnSizes are the data sets of the comparison with scikit-learn.
var sklearnSizes string

func main() {
	testing.Init()
	n := flag.Int("n", 40, "latency rounds (one floor, one eager floor, one pipeline each)")
	inflight := flag.Int("inflight", 100, "pipelines in flight for throughput")
	out := flag.String("out", "bench/results.md", "where to write the table")
	rows := flag.String("rows", "10000,100000", "synthetic training sizes")
	flag.IntVar(&rounds, "rounds", 5, "throughput rounds of each")
	sk := flag.String("sklearn", "iris,digits,10000,100000", "data of the comparison with scikit-learn (iris, digits, synthetic row counts; empty: none)")
	skOnly := flag.Bool("sklearn-only", false, "run only the comparison with scikit-learn: no dev server, nothing written")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the bench's process (worker and client) to this file")
	flag.Parse()
	sklearnSizes = *sk
	if *cpuprofile != "" {
		stop, err := startCPUProfile(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer stop()
	}
	if runSweepOnly() { // bench/sweep.go: -sweep-only
		return
	}
	if runScriptsOnly() { // bench/scripts.go: -scripts-only
		return
	}
	if *skOnly {
		if err := compareSklearn(os.Stdout, sklearnSizes); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*n, *inflight, *out, *rows); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n, inflight int, out, rows string) error {
	s, err := startStack()
	defer s.stop()
	if err != nil {
		return err
	}
	ctx := context.Background()
	var r strings.Builder
	fmt.Fprintf(&r, "# Benchmarks\n\nMeasured %s on %d CPUs (%s), one run, one dev server (Temporal CLI v1.5.1, SQLite in WAL mode, eager activities on) and Azurite (in memory). The floor runs on a worker of its own without the run context.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), runtime.GOARCH)

	// 1 and 2: the floor and the pipeline.
	floor, floorEager, pipe, reused, pictured := floorOn(s.client, false), floorOn(s.client, true), pipelineOn(s.client), reusedOn(s.client), picturedOn(s.client)
	tagged := func(ctx context.Context, i int) (client.WorkflowRun, error) {
		return s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: floorTaskQueue}, FloorTagged)
	}
	progress("warming up")
	if err := warmUp(ctx, s.client, floor, pipe, reused, pictured); err != nil {
		return err
	}
	// Floor and pipeline take turns, so that both see the same machine:
	// it is shared and its dispatch latency drifts.
	progress("latency: %d rounds of floor, floor with eager start, pipeline, pipeline with its training reused, pipeline with pictures", n)
	lat, err := interleaved(ctx, s.client, n, floor, floorEager, pipe, reused, pictured)
	if err != nil {
		return err
	}
	fl, fe, pl, ru, pp := lat[0], lat[1], lat[2], lat[3], lat[4]
	progress("throughput: %d in flight, floor, floor with upserts and pipeline in turn, %d rounds", inflight, rounds)
	rates, cpu, err := interleavedThroughput(ctx, s.client, inflight, rounds, &s.cpu, floor, tagged, pipe)
	if err != nil {
		return err
	}
	compute, _, err := trainCompute(ctx, s.client, pl)
	if err != nil {
		return err
	}
	pcompute, plots, err := trainCompute(ctx, s.client, pp)
	if err != nil {
		return err
	}
	// The same on a dev server with SQLite's default journal, synced on
	// every commit: what WAL mode buys.
	progress("throughput on a dev server with SQLite's rollback journal")
	_, rc, err := s.server("rollback-journal", devstack.DevServerOptions{RollbackJournal: true})
	if err != nil {
		return err
	}
	if err := warmUp(ctx, rc, floorOn(rc, false), pipelineOn(rc)); err != nil {
		return err
	}
	rollback, _, err := interleavedThroughput(ctx, rc, inflight, rounds, &cpuMeter{}, floorOn(rc, false), pipelineOn(rc))
	if err != nil {
		return err
	}
	writeLatency(&r, fl, pl, compute, []float64{rates[0], rates[2]}, rollback, inflight)
	fmt.Fprintf(&r, "| floor with eager workflow start (client in the worker's process), client p50 / server p50 | %s / %s | | |\n",
		ms(percentile(durations(fe, clientSide), 50)), ms(percentile(durations(fe, serverSide), 50)))
	writeStretches(&r, fl, pl)
	writePictures(&r, fl, pl, pp, pcompute, plots)
	writeReuse(&r, fl, pl, ru)
	writeCPU(&r, &s.cpu, rates, cpu)

	// 3: runctx.
	progress("runctx")
	// The first run grows the heap (fresh pages for every value); the
	// next reuse it: that is the steady state the goal is about. The
	// machine is shared, so the median of five runs is kept.
	cold := testing.Benchmark(benchLog)
	steady := make([]testing.BenchmarkResult, 5)
	for i := range steady {
		steady[i] = testing.Benchmark(benchLog)
	}
	slices.SortFunc(steady, func(a, b testing.BenchmarkResult) int { return cmp.Compare(a.NsPerOp(), b.NsPerOp()) })
	lb := steady[len(steady)/2]
	fmt.Fprintf(&r, "\n## runctx\n\n| measure | value | goal |\n|---|---|---|\n")
	fmt.Fprintf(&r, "| `Log`, steady state (median of 5 runs; range %d–%d ns/op) | %.1f ns/op, %d allocs/op, %d B/op | < 100 ns/op, 0 allocs/op |\n",
		steady[0].NsPerOp(), steady[len(steady)-1].NsPerOp(), float64(lb.NsPerOp()), lb.AllocsPerOp(), lb.AllocedBytesPerOp())
	fmt.Fprintf(&r, "| `Log`, first run (heap growing) | %.1f ns/op, %d allocs/op | |\n", float64(cold.NsPerOp()), cold.AllocsPerOp())
	fmt.Fprintf(&r, "\n| values logged by the step | history bytes | history events |\n|---|---|---|\n")
	for i, values := range []int{10, 10_000, 1_000_000} {
		tq := fmt.Sprintf("bench-log-%d", i)
		if err := s.workerLogging(tq, values); err != nil {
			return err
		}
		l, err := runOnce(ctx, s.client, func(ctx context.Context, _ int) (client.WorkflowRun, error) {
			return s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: tq}, workflows.TrainingPipeline,
				workflows.PipelineInput{Experiment: "bench", ModelName: "bench-log", Threshold: 1.01})
		}, 0)
		if err != nil {
			return err
		}
		fmt.Fprintf(&r, "| %d | %d | %d |\n", values, l.bytes, l.events)
	}

	// 4: training.
	progress("training")
	fmt.Fprintf(&r, "\n## Training all six models, 3-fold cross-validation\n\n| data | rows | time per TrainAll |\n|---|---|---|\n")
	iris, err := loadIris()
	if err != nil {
		return err
	}
	sets := []*ml.Dataset{iris}
	for _, f := range strings.Split(rows, ",") {
		var k int
		if _, err := fmt.Sscan(f, &k); err == nil && k > 0 {
			sets = append(sets, ml.SyntheticIris(k, 1))
		}
	}
	for _, d := range sets {
		progress("training on %d rows", len(d.X))
		b := testing.Benchmark(func(b *testing.B) {
			for b.Loop() {
				if _, err := ml.TrainAll(d, ml.DefaultOptions()); err != nil {
					b.Fatal(err)
				}
			}
		})
		fmt.Fprintf(&r, "| %s | %d | %s |\n", d.Source, len(d.X), time.Duration(b.NsPerOp()).Round(time.Microsecond))
	}

	// 5: against scikit-learn.
	if sklearnSizes != "" {
		if err := compareSklearn(&r, sklearnSizes); err != nil {
			return err
		}
	}
	if err := writeSweeps(ctx, s, &r); err != nil { // 6: sweeps, bench/sweep.go
		return err
	}

	fmt.Print(r.String())
	return os.WriteFile(out, []byte(r.String()), 0o644)
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "==> "+format+"\n", args...)
}

// trainCompute returns each pipeline's training compute and the time its
// training step spent drawing pictures, from the train_seconds and
// plot_seconds metrics the step logged.
func trainCompute(ctx context.Context, c client.Client, runs []latency) (train, plot []time.Duration, err error) {
	train, plot = make([]time.Duration, len(runs)), make([]time.Duration, len(runs))
	for i, l := range runs {
		v, err := c.QueryWorkflow(ctx, l.run.GetID(), l.run.GetRunID(), runctx.QuerySteps)
		if err != nil {
			return nil, nil, err
		}
		var steps []runctx.StepInfo
		if err := v.Get(&steps); err != nil {
			return nil, nil, err
		}
		for _, st := range steps {
			train[i] += time.Duration(st.Metrics["train_seconds"] * float64(time.Second))
			plot[i] += time.Duration(st.Metrics["plot_seconds"] * float64(time.Second))
		}
	}
	return train, plot, nil
}

func writeLatency(r *strings.Builder, fl, pl []latency, compute []time.Duration, rates, rollback []float64, inflight int) {
	overhead := make([]time.Duration, len(pl))
	for i, l := range pl {
		overhead[i] = l.server - compute[i]
	}
	fc, fs := durations(fl, clientSide), durations(fl, serverSide)
	pc, ps := durations(pl, clientSide), durations(pl, serverSide)
	ratio := func(a, b time.Duration) string { return fmt.Sprintf("%.2f×", float64(a)/float64(b)) }
	fmt.Fprintf(r, "## Pipeline against the floor\n\n| measure | floor | pipeline | ratio |\n|---|---|---|---|\n")
	for _, p := range []float64{50, 90} {
		fmt.Fprintf(r, "| client latency p%.0f | %s | %s | %s |\n", p, ms(percentile(fc, p)), ms(percentile(pc, p)), ratio(percentile(pc, p), percentile(fc, p)))
		fmt.Fprintf(r, "| server duration p%.0f | %s | %s | %s |\n", p, ms(percentile(fs, p)), ms(percentile(ps, p)), ratio(percentile(ps, p), percentile(fs, p)))
		fmt.Fprintf(r, "| overhead p%.0f (server duration less training compute; goal ≤ 1.2×) | %s | %s | %s |\n", p, ms(percentile(fs, p)), ms(percentile(overhead, p)), ratio(percentile(overhead, p), percentile(fs, p)))
	}
	fmt.Fprintf(r, "| training compute p50 | – | %s | |\n", ms(percentile(compute, 50)))
	fmt.Fprintf(r, "| history events | %d | %d | |\n", fl[0].events, pl[0].events)
	fmt.Fprintf(r, "| history bytes | %d | %d | |\n", fl[0].bytes, pl[0].bytes)
	fmt.Fprintf(r, "| throughput, %d in flight, one worker, mean of rounds (goal ≥ 0.8×) | %.1f /s | %.1f /s | %.2f× |\n", inflight, rates[0], rates[1], rates[1]/rates[0])
	fmt.Fprintf(r, "| the same on SQLite's rollback journal (the dev server's default) | %.1f /s | %.1f /s | %.2f× |\n", rollback[0], rollback[1], rollback[1]/rollback[0])
}

// writePictures writes what the training step's pictures cost: the
// pipeline as the reference pipeline runs by default, drawing them,
// beside the one measured above, which skips them (NoPictures).
func writePictures(r *strings.Builder, fl, pl, pp []latency, compute, plots []time.Duration) {
	fs, ps, pps := durations(fl, serverSide), durations(pl, serverSide), durations(pp, serverSide)
	overhead := make([]time.Duration, len(pp))
	for i, l := range pp {
		overhead[i] = l.server - compute[i] - plots[i]
	}
	fmt.Fprintf(r, "\n### The training step's pictures (the default; the pipeline above skips them)\n\n| measure | floor | pipeline without | pipeline with pictures |\n|---|---|---|---|\n")
	fmt.Fprintf(r, "| training step, scheduled to completed, p50 | %s | %s | %s |\n", phaseP50(fl, 1), phaseP50(pl, 1), phaseP50(pp, 1))
	fmt.Fprintf(r, "| server duration p50 | %s | %s | %s |\n", ms(percentile(fs, 50)), ms(percentile(ps, 50)), ms(percentile(pps, 50)))
	fmt.Fprintf(r, "| drawing the seven pictures p50 (wall time, in parallel) | | | %s |\n", ms(percentile(plots, 50)))
	fmt.Fprintf(r, "| overhead p50, training and drawing taken as compute (drawing overlaps the uploads: an undercount) | %s | | %s (%.2f×) |\n",
		ms(percentile(fs, 50)), ms(percentile(overhead, 50)), float64(percentile(overhead, 50))/float64(percentile(fs, 50)))
}

// writeReuse writes the pipeline resubmitted on the same data, its
// training step reused, beside the floor and the pipeline that trains.
func writeReuse(r *strings.Builder, fl, pl, ru []latency) {
	fs, ps, rs := durations(fl, serverSide), durations(pl, serverSide), durations(ru, serverSide)
	fmt.Fprintf(r, "\n### Step reuse: the training step computed and reused\n\n| measure | floor | pipeline, computed | pipeline, reused | reused ÷ floor |\n|---|---|---|---|---|\n")
	fmt.Fprintf(r, "| training step, scheduled to completed, p50 | %s | %s | %s | |\n", phaseP50(fl, 1), phaseP50(pl, 1), phaseP50(ru, 1))
	for _, p := range []float64{50, 90} {
		fmt.Fprintf(r, "| server duration p%.0f (goal: reused ≤ 1.1× floor) | %s | %s | %s | %.2f× |\n", p,
			ms(percentile(fs, p)), ms(percentile(ps, p)), ms(percentile(rs, p)), float64(percentile(rs, p))/float64(percentile(fs, p)))
	}
}

// writeStretches writes where the time of a pipeline-shaped run goes.
func writeStretches(r *strings.Builder, fl, pl []latency) {
	fmt.Fprintf(r, "\n### Where the time goes (server side, p50 of each stretch)\n\n| stretch | floor | pipeline |\n|---|---|---|\n")
	for i, name := range phaseNames {
		fmt.Fprintf(r, "| %s | %s | %s |\n", name, phaseP50(fl, i), phaseP50(pl, i))
	}
}

// writeCPU writes the throughput of the floor, the floor with the
// pipeline's upserts and the pipeline, and the CPU time each process
// spent per workflow in those rounds.
func writeCPU(r *strings.Builder, m *cpuMeter, rates []float64, perRun [][]time.Duration) {
	fmt.Fprintf(r, "\n### Where the throughput goes: CPU time per workflow in the rounds above (%d cores, shared)\n\n", runtime.NumCPU())
	fmt.Fprintf(r, "| | floor | floor with the pipeline's search-attribute and memo upserts | pipeline |\n|---|---|---|---|\n")
	row := func(name string, cell func(k int) string) {
		fmt.Fprintf(r, "| %s |", name)
		for k := range rates {
			fmt.Fprintf(r, " %s |", cell(k))
		}
		fmt.Fprintln(r)
	}
	row("throughput", func(k int) string { return fmt.Sprintf("%.1f /s", rates[k]) })
	total := make([]time.Duration, len(rates))
	for p, name := range m.names {
		row("CPU: "+name, func(k int) string { total[k] += perRun[k][p]; return ms(perRun[k][p]) })
	}
	row("CPU: all", func(k int) string { return ms(total[k]) })
}

// floorOn starts the floor on c, eagerly or not.
func floorOn(c client.Client, eager bool) starter {
	return func(ctx context.Context, i int) (client.WorkflowRun, error) {
		return c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: floorTaskQueue, EnableEagerStart: eager}, FloorPipeline)
	}
}

// pipelineWith starts the pipeline on c with in, each run with a model
// name of its own (the experiment's name, then the time and i), so that
// every run registers.
func pipelineWith(c client.Client, in workflows.PipelineInput) starter {
	return func(ctx context.Context, i int) (client.WorkflowRun, error) {
		in := in
		in.ModelName = fmt.Sprintf("%s-%d-%d", in.Experiment, time.Now().UnixNano(), i)
		return c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: workflows.TaskQueue}, workflows.TrainingPipeline, in)
	}
}

// pipelineOn starts the pipeline that trains (no reuse), without the
// pictures, which are model analysis, not the run context's cost.
func pipelineOn(c client.Client) starter {
	return pipelineWith(c, workflows.PipelineInput{Experiment: "bench", NoReuse: true, NoPictures: true})
}

// picturedOn starts the pipeline as it runs by default: training, with
// its pictures.
func picturedOn(c client.Client) starter {
	return pipelineWith(c, workflows.PipelineInput{Experiment: "bench-pictures", NoReuse: true})
}

// reusedOn starts the pipeline resubmitted on the same data: after the
// first, its training step is reused.
func reusedOn(c client.Client) starter {
	return pipelineWith(c, workflows.PipelineInput{Experiment: "bench-reused", NoPictures: true})
}

// warmUp runs a few of each, one after another.
func warmUp(ctx context.Context, c client.Client, starters ...starter) error {
	for _, start := range starters {
		if _, err := sequential(ctx, c, start, 5); err != nil {
			return err
		}
	}
	return nil
}

// phaseP50 returns the p50 of stretch i over the runs that have it.
func phaseP50(ls []latency, i int) string {
	var ds []time.Duration
	for _, l := range ls {
		if i < len(l.phases) {
			ds = append(ds, l.phases[i])
		}
	}
	if len(ds) == 0 {
		return "–"
	}
	return ms(percentile(ds, 50))
}

func benchLog(b *testing.B) {
	r := runctx.NewOffline(b.TempDir())
	names := []string{"loss", "accuracy", "lr", "epoch"}
	for _, n := range names {
		r.Log(n, 0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r.Log(names[i&3], float64(i))
	}
}

func loadIris() (*ml.Dataset, error) {
	root, err := devstack.RepoRoot()
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(root, "data", "iris.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ml.LoadCSV(f, "data/iris.csv")
}
