package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// starter starts one workflow and returns its handle.
type starter func(ctx context.Context, i int) (client.WorkflowRun, error)

// latency holds one workflow's durations: as the waiting client saw it,
// and on the server from the first to the last history event.
type latency struct {
	client, server time.Duration
	events         int
	bytes          int64
	run            client.WorkflowRun
	phases         []time.Duration // see phaseNames
}

// phaseNames name the stretches of a pipeline-shaped history between its
// milestones: the start, each activity's scheduling and completion, and
// the workflow's completion.
var phaseNames = []string{
	"start to training scheduled (first workflow task)",
	"training step (scheduled to completed)",
	"training completed to register scheduled (workflow task, lookup)",
	"register step (scheduled to completed)",
	"register completed to workflow completed (last workflow task)",
}

// phases returns the stretches between the milestones of a history, in
// order; a history with another shape gives fewer.
func phases(milestones []time.Time) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(milestones); i++ {
		out = append(out, milestones[i].Sub(milestones[i-1]))
	}
	return out
}

// runOnce starts a workflow, waits for it, and reads its history.
func runOnce(ctx context.Context, c client.Client, start starter, i int) (latency, error) {
	t0 := time.Now()
	run, err := start(ctx, i)
	if err != nil {
		return latency{}, err
	}
	if err := run.Get(ctx, nil); err != nil {
		return latency{}, fmt.Errorf("%s: %w", run.GetID(), err)
	}
	l := latency{client: time.Since(t0), run: run}
	it := c.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	// The workflow completed, so its history runs from the started event
	// to the completed one: the first and last milestones.
	var milestones []time.Time
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return latency{}, err
		}
		l.events++
		switch e.GetEventType() {
		case enums.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
			enums.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, enums.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
			milestones = append(milestones, e.GetEventTime().AsTime())
		}
	}
	l.server = milestones[len(milestones)-1].Sub(milestones[0])
	l.phases = phases(milestones)
	d, err := c.DescribeWorkflowExecution(ctx, run.GetID(), run.GetRunID())
	if err != nil {
		return latency{}, err
	}
	l.bytes = d.GetWorkflowExecutionInfo().GetHistorySizeBytes()
	return l, nil
}

// interleaved runs n rounds of one workflow of each starter, in turn, and
// returns each starter's latencies.
func interleaved(ctx context.Context, c client.Client, n int, starters ...starter) ([][]latency, error) {
	out := make([][]latency, len(starters))
	for i := range n {
		for k, start := range starters {
			l, err := runOnce(ctx, c, start, i)
			if err != nil {
				return nil, err
			}
			out[k] = append(out[k], l)
		}
	}
	return out, nil
}

// interleavedThroughput measures each starter's throughput rounds times, in
// turn, and returns the means.
func interleavedThroughput(ctx context.Context, c client.Client, inflight, rounds int, cpu *cpuMeter, starters ...starter) (rates []float64, perRun [][]time.Duration, err error) {
	rates = make([]float64, len(starters))
	perRun = make([][]time.Duration, len(starters))
	for k := range perRun {
		perRun[k] = make([]time.Duration, len(cpu.pids))
	}
	for range rounds {
		for k, start := range starters {
			before, err := cpu.read()
			if err != nil {
				return nil, nil, err
			}
			r, err := throughput(ctx, c, start, inflight)
			if err != nil {
				return nil, nil, err
			}
			after, err := cpu.read()
			if err != nil {
				return nil, nil, err
			}
			rates[k] += r
			for p := range after {
				perRun[k][p] += (after[p] - before[p]) / time.Duration(inflight*rounds)
			}
		}
	}
	for k := range rates {
		rates[k] /= float64(rounds)
	}
	return rates, perRun, nil
}

// sequential runs n workflows one after another.
func sequential(ctx context.Context, c client.Client, start starter, n int) ([]latency, error) {
	out := make([]latency, 0, n)
	for i := range n {
		l, err := runOnce(ctx, c, start, i)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// throughput starts n workflows at once and returns completions per second.
func throughput(ctx context.Context, c client.Client, start starter, n int) (float64, error) {
	var wg sync.WaitGroup
	errs := make([]error, n)
	t0 := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run, err := start(ctx, i)
			if err == nil {
				err = run.Get(ctx, nil)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return float64(n) / elapsed.Seconds(), nil
}

// percentile returns the p-th percentile (0–100) of ds, nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func clientSide(l latency) time.Duration { return l.client }
func serverSide(l latency) time.Duration { return l.server }

// durations picks one duration of each latency.
func durations(ls []latency, f func(latency) time.Duration) []time.Duration {
	out := make([]time.Duration, len(ls))
	for i, l := range ls {
		out[i] = f(l)
	}
	return out
}
