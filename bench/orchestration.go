package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// orchestrationRuns is how many floor/sweep pairs the orchestration
// figure takes the median of: the machine is shared, so one pair can be
// off by a third either way.
const orchestrationRuns = 3

// orchestrationPair is one floor run and the sweep run right after it.
type orchestrationPair struct {
	floor, sweep time.Duration
	fph, sph     runPhases
	fcpu, scpu   []time.Duration // CPU time of each process of s.cpu over the run
}

func (p orchestrationPair) ratio() float64 { return float64(p.sweep) / float64(p.floor) }

// writeOrchestration measures NB on iris (about a millisecond of work a
// trial) against n no-op activities at the same concurrency, both through
// the run-context plugin (each activity writes its run record), as
// orchestrationRuns pairs one after the other. It writes the median
// pair's row to r and returns the breakdown of that pair's histories.
func writeOrchestration(ctx context.Context, s *stack, r *strings.Builder, n, k int) (string, error) {
	fw := worker.New(s.client, "sweep-floor", app.WithPollerAutoscaling(worker.Options{}))
	fw.RegisterWorkflow(SweepFloor)
	fw.RegisterActivity(FloorStep)
	if err := fw.Start(); err != nil {
		return "", err
	}
	defer fw.Stop()
	var pairs []orchestrationPair
	for i := range orchestrationRuns {
		var p orchestrationPair
		progress("sweep %d/%d: floor of %d no-op activities, %d at once", i+1, orchestrationRuns, n, k)
		c0, err := s.cpu.read()
		if err != nil {
			return "", err
		}
		start := time.Now()
		fr, err := s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "sweep-floor"}, SweepFloor, n, k)
		if err == nil {
			err = fr.Get(ctx, nil)
		}
		if err != nil {
			return "", err
		}
		p.floor = time.Since(start)
		c1, err := s.cpu.read()
		if err != nil {
			return "", err
		}
		if p.fph, err = historyPhases(ctx, s.client, fr.GetID(), fr.GetRunID(), "FloorStep"); err != nil {
			return "", err
		}
		progress("sweep %d/%d: %d NB trials, %d at once", i+1, orchestrationRuns, n, k)
		c1b, err := s.cpu.read()
		if err != nil {
			return "", err
		}
		wall, id, first, _, err := runSweep(ctx, s.client, workflows.TaskQueue, sweepIn("NB", workflows.DefaultData, k,
			fmt.Sprintf("var_smoothing=choice(%s)", floats(n))))
		if err != nil {
			return "", err
		}
		p.sweep = wall
		c2, err := s.cpu.read()
		if err != nil {
			return "", err
		}
		p.fcpu, p.scpu = minus(c1, c0), minus(c2, c1b)
		if p.sph, err = historyPhases(ctx, s.client, id, first, "SweepTrial"); err != nil {
			return "", err
		}
		pairs = append(pairs, p)
	}
	var ratios []string
	for _, p := range pairs {
		ratios = append(ratios, fmt.Sprintf("%.2f×", p.ratio()))
	}
	slices.SortFunc(pairs, func(a, b orchestrationPair) int { return cmp.Compare(a.ratio(), b.ratio()) })
	m := pairs[len(pairs)/2]
	fmt.Fprintf(r, "| orchestration per trial, %d trials, %d at once (NB on iris; floor: no-op activities), median of %d runs (%s) | %s | %s | %.2f× | ≤ 1.2× |\n",
		n, k, len(pairs), strings.Join(ratios, ", "), ms(m.sweep/time.Duration(n)), ms(m.floor/time.Duration(n)), m.ratio())
	f, sw := m.fph, m.sph
	return fmt.Sprintf("| phase (from the histories of the median run) | sweep | floor |\n|---|---|---|\n"+
		"| before the first trial (start, prepare) | %s | %s |\n"+
		"| first trial scheduled to last completed, per trial | %s | %s |\n"+
		"| after the last trial (summary, lookup, registration decision) | %s | %s |\n"+
		"| a trial: scheduled to started / started to completed | %s / %s | %s / %s |\n"+
		"| workflow tasks while trials run, per trial | %.2f | %.2f |\n\n",
		ms(sw.before), ms(f.before), ms(sw.during/time.Duration(sw.n)), ms(f.during/time.Duration(f.n)),
		ms(sw.after), ms(f.after), ms(sw.queued), ms(sw.ran), ms(f.queued), ms(f.ran),
		float64(sw.tasks)/float64(sw.n), float64(f.tasks)/float64(f.n)) + cpuRows(s.cpu.names, m, n), nil
}

// cpuRows is the CPU time each process used per trial in the median
// pair: on a 2-core machine shared by the dev server, Azurite and the
// worker, a trial waits in the queue for CPU that any of them uses.
func cpuRows(names []string, m orchestrationPair, n int) string {
	var b strings.Builder
	b.WriteString("| CPU time per trial, by process | sweep | floor |\n|---|---|---|\n")
	for i, name := range names {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", name, ms(m.scpu[i]/time.Duration(n)), ms(m.fcpu[i]/time.Duration(n)))
	}
	b.WriteString("\n")
	return b.String()
}

// minus returns a-b element by element.
func minus(a, b []time.Duration) []time.Duration {
	out := make([]time.Duration, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}
