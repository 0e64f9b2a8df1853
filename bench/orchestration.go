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
// off by half either way. Pairs alternate which runs first, so a load
// that rises or falls through the bench does not favour either.
const orchestrationRuns = 5

// orchestrationPair is one floor run and one sweep run, back to back.
type orchestrationPair struct {
	floor, sweep measuredRun
}

func (p orchestrationPair) ratio() float64 { return float64(p.sweep.wall) / float64(p.floor.wall) }

// measuredRun is one run's wall time, the phases of its history, and
// the CPU time each process of s.cpu used over it.
type measuredRun struct {
	wall   time.Duration
	phases runPhases
	cpu    []time.Duration
}

// measure runs start (which returns the workflow's ID and first run ID
// once it has ended) and reads its history's phases for activity.
func measure(ctx context.Context, s *stack, activity string, start func() (string, string, error)) (measuredRun, error) {
	var m measuredRun
	c0, err := s.cpu.read()
	if err != nil {
		return m, err
	}
	t0 := time.Now()
	id, runID, err := start()
	if err != nil {
		return m, err
	}
	m.wall = time.Since(t0)
	c1, err := s.cpu.read()
	if err != nil {
		return m, err
	}
	m.cpu = minus(c1, c0)
	m.phases, err = historyPhases(ctx, s.client, id, runID, activity)
	return m, err
}

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
	floor := func() (string, string, error) {
		run, err := s.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: "sweep-floor"}, SweepFloor, n, k)
		if err != nil {
			return "", "", err
		}
		return run.GetID(), run.GetRunID(), run.Get(ctx, nil)
	}
	trials := func() (string, string, error) {
		_, id, first, _, err := runSweep(ctx, s.client, workflows.TaskQueue, sweepIn("NB", workflows.DefaultData, k,
			fmt.Sprintf("var_smoothing=choice(%s)", floats(n))))
		return id, first, err
	}
	var pairs []orchestrationPair
	for i := range orchestrationRuns {
		var p orchestrationPair
		steps := []struct {
			what     string
			into     *measuredRun
			activity string
			start    func() (string, string, error)
		}{
			{fmt.Sprintf("floor of %d no-op activities, %d at once", n, k), &p.floor, "FloorStep", floor},
			{fmt.Sprintf("%d NB trials, %d at once", n, k), &p.sweep, "SweepTrial", trials},
		}
		if i%2 == 1 {
			steps[0], steps[1] = steps[1], steps[0]
		}
		for _, st := range steps {
			progress("sweep %d/%d: %s", i+1, orchestrationRuns, st.what)
			var err error
			if *st.into, err = measure(ctx, s, st.activity, st.start); err != nil {
				return "", err
			}
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
		n, k, len(pairs), strings.Join(ratios, ", "), ms(m.sweep.wall/time.Duration(n)), ms(m.floor.wall/time.Duration(n)), m.ratio())
	f, sw := m.floor.phases, m.sweep.phases
	return fmt.Sprintf("| phase (from the histories of the median run) | sweep | floor |\n|---|---|---|\n"+
		"| before the first trial (start, prepare) | %s | %s |\n"+
		"| first trial scheduled to last completed, per trial | %s | %s |\n"+
		"| after the last trial (summary, lookup, registration decision) | %s | %s |\n"+
		"| a trial: scheduled to started / started to completed | %s / %s | %s / %s |\n"+
		"| workflow tasks while trials run, per trial | %.2f | %.2f |\n\n",
		ms(sw.before), ms(f.before), ms(sw.during/time.Duration(sw.n)), ms(f.during/time.Duration(f.n)),
		ms(sw.after), ms(f.after), ms(sw.queued), ms(sw.ran), ms(f.queued), ms(f.ran),
		float64(sw.tasks)/float64(sw.n), float64(f.tasks)/float64(f.n)) + cpuRows(s.cpu.names, pairs, n), nil
}

// cpuRows is the CPU time each process used per trial, the median over
// the pairs: on a 2-core machine shared by the dev server, Azurite and the
// worker, a trial waits in the queue for CPU that any of them uses, and
// CPU time moves less with other tenants' load than wall time does.
func cpuRows(names []string, pairs []orchestrationPair, n int) string {
	median := func(i int, of func(orchestrationPair) measuredRun) time.Duration {
		var v []time.Duration
		for _, p := range pairs {
			c := of(p).cpu
			if i < 0 {
				var sum time.Duration
				for _, d := range c {
					sum += d
				}
				v = append(v, sum)
			} else {
				v = append(v, c[i])
			}
		}
		slices.Sort(v)
		return v[len(v)/2] / time.Duration(n)
	}
	sweep := func(p orchestrationPair) measuredRun { return p.sweep }
	floor := func(p orchestrationPair) measuredRun { return p.floor }
	var b strings.Builder
	fmt.Fprintf(&b, "| CPU time per trial, by process (median of %d runs) | sweep | floor |\n|---|---|---|\n", len(pairs))
	for i, name := range names {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", name, ms(median(i, sweep)), ms(median(i, floor)))
	}
	fmt.Fprintf(&b, "| all processes | %s | %s |\n\n", ms(median(-1, sweep)), ms(median(-1, floor)))
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
