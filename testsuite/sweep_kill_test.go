package testsuite

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/sweep"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// TestSweepWorkerKilled: two `worker` processes (and the test's own
// worker) run the trials of a CPU-bound SVC sweep; one process is
// SIGKILLed while it runs a trial. The trial runs again on another worker
// within 30 s (its heartbeat timeout is 10 s), the sweep completes, and
// every trial is recorded exactly once.
func TestSweepWorkerKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs worker processes")
	}
	// CPU-bound trials: SVC on 10,000 iris-shaped rows.
	ds := ml.SyntheticIris(10000, 3)
	var csv strings.Builder
	csv.WriteString("sepal-length,sepal-width,petal-length,petal-width,class\n")
	for i, x := range ds.X {
		fmt.Fprintf(&csv, "%g,%g,%g,%g,%s\n", x[0], x[1], x[2], x[3], ds.Classes[ds.Y[i]])
	}
	const ref = "azblob://datasets/synthetic/iris-10000.csv"
	require.NoError(t, put(ref, csv.String()))

	var workers []*exec.Cmd
	var outs []*lockedBuffer
	for range 2 {
		cmd, out := workerProcess(t, stack.server.Namespace)
		workers, outs = append(workers, cmd), append(outs, out)
	}

	in := sweepInput(t, "SVC", sweep.Grid, 0, "none", "C=0.5,1,2,4,8,16", "gamma=scale,0.5")
	in.Data, in.MaxConcurrent = ref, 4
	run := startSweep(t, in)
	ctx := context.Background()

	// Wait until a worker process runs a trial, then SIGKILL it.
	var victim *exec.Cmd
	var killedAt time.Time
	var killedTrial string
	require.Eventually(t, func() bool {
		d, err := stack.client.DescribeWorkflowExecution(ctx, run.GetID(), "")
		if err != nil {
			return false
		}
		for _, pa := range d.GetPendingActivities() {
			if pa.GetState() != enums.PENDING_ACTIVITY_STATE_STARTED {
				continue
			}
			for _, w := range workers {
				if strings.HasPrefix(pa.GetLastWorkerIdentity(), strconv.Itoa(w.Process.Pid)+"@") {
					victim, killedTrial = w, pa.GetActivityId()
					require.NoError(t, w.Process.Signal(syscall.SIGKILL))
					killedAt = time.Now()
					return true
				}
			}
		}
		return false
	}, time.Minute, 20*time.Millisecond, "no worker process ran a trial:\n%s\n%s", outs[0], outs[1])
	t.Logf("killed worker %d while it ran %s", victim.Process.Pid, killedTrial)

	rctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var res workflows.SweepResult
	require.NoError(t, run.Get(rctx, &res), "%s\n%s", outs[0].String(), outs[1].String())
	require.Len(t, res.Trials, 12)
	seen := map[string]bool{}
	for _, tr := range res.Trials {
		assert.False(t, seen[tr.TrialID], "%s counted twice", tr.TrialID)
		seen[tr.TrialID] = true
		assert.Equal(t, workflows.TrialCompleted, tr.Status, "%s: %s", tr.TrialID, tr.Reason)
		assert.Len(t, tr.CVScores, 3)
	}

	// The killed trial ran again, on another worker, within 30 s.
	var retried bool
	it := stack.client.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	scheduled := map[int64]string{}
	for it.HasNext() {
		e, err := it.Next()
		require.NoError(t, err)
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
			scheduled[e.GetEventId()] = a.GetActivityId()
		}
		if a := e.GetActivityTaskStartedEventAttributes(); a != nil && scheduled[a.GetScheduledEventId()] == killedTrial {
			// The started event is written when the activity closes, with
			// its last attempt.
			if a.GetAttempt() >= 2 {
				retried = true
				assert.False(t, strings.HasPrefix(a.GetIdentity(), strconv.Itoa(victim.Process.Pid)+"@"))
			}
		}
	}
	assert.True(t, retried, "%s ran a second attempt", killedTrial)
	assert.Less(t, time.Since(killedAt), 3*time.Minute)
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string { // also fmt.Stringer
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
