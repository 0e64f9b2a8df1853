// Package chaos is the fault-injection suite: real worker processes (the
// `worker` binary), a real Temporal dev server and a real Azurite, and
// faults done to them — SIGKILL of a worker during training, SIGKILL and
// restart of the dev server, Azurite stopped during registration — plus
// concurrent registrations and malformed inputs. Each case records what it
// did; the table is printed at the end.
//
// `make test` runs the short form (a minute or two); `make chaos` sets
// CHAOS_LONG=1 for the long form (5 kills, 30 s outage, 20 concurrent
// registrations).
package chaos

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/extstore"
	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
	"github.com/temporal-ml/runctx-pipeline/registry"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// EnvLong selects the long form of the suite.
const EnvLong = "CHAOS_LONG"

// long reports whether the long form runs.
func long() bool { return os.Getenv(EnvLong) != "" && os.Getenv(EnvLong) != "0" }

// pick returns short or long by the form that runs.
func pick[T any](short, lng T) T {
	if long() {
		return lng
	}
	return short
}

// stack is the dev server, Azurite, the worker binary and a client.
var stack struct {
	dir      string
	server   *devstack.DevServer
	azurite  *devstack.Azurite
	client   client.Client
	store    datastore.Resolver
	registry *registry.Registry
	worker   string // the worker binary
	workers  int    // worker processes started, for log names
	mu       sync.Mutex
}

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos stack:", err)
		os.Exit(1)
	}
	printTable()
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "pipeline-chaos-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	stack.dir = dir
	root, err := devstack.RepoRoot()
	if err != nil {
		return 0, err
	}
	stack.worker = filepath.Join(dir, "worker")
	build := exec.Command("go", "build", "-o", stack.worker, "./worker")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("go build ./worker: %v\n%s", err, out)
	}
	if stack.azurite, err = devstack.StartAzurite(filepath.Join(dir, "azurite")); err != nil {
		return 0, err
	}
	defer func() { stack.azurite.Discard() }()
	if stack.server, err = devstack.StartDevServer(dir, devstack.DevServerOptions{}); err != nil {
		return 0, err
	}
	defer func() { stack.server.Stop() }()
	ext, err := extstore.ExternalStorage(extstore.Config{Enabled: true, Threshold: extstore.DefaultThreshold, Container: extstore.DefaultContainer},
		datastore.AzureOptions{ConnectionString: stack.azurite.ConnectionString()})
	if err != nil {
		return 0, err
	}
	blob, err := datastore.NewAzureBlob(datastore.AzureOptions{ConnectionString: stack.azurite.ConnectionString()})
	if err != nil {
		return 0, err
	}
	stack.store = datastore.Resolver{Blob: blob, Local: datastore.NewLocal(dir)}
	stack.registry = registry.New(blob)
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{Store: stack.store})
	if err != nil {
		return 0, err
	}
	opts := stack.server.ClientOptions()
	opts.ExternalStorage = ext
	opts.Plugins = []client.Plugin{plugin}
	if stack.client, err = client.Dial(opts); err != nil {
		return 0, err
	}
	defer stack.client.Close()
	if err := put(irisRef, irisCSV(root, 1, 0)); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

// irisRef is the project's iris data as uploaded.
const irisRef = "azblob://datasets/chaos/iris.csv"

// irisCSV returns the project's iris data repeated times, each value
// moved by up to ±jitter (seeded by times and jitter): more rows make a
// longer training step, another jitter another accuracy.
func irisCSV(root string, times int, jitter float64) string {
	b, err := os.ReadFile(filepath.Join(root, "data", "iris.csv"))
	if err != nil {
		panic(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if times == 1 && jitter == 0 {
		return string(b)
	}
	rng := rand.New(rand.NewSource(int64(times)*1000 + int64(jitter*1e6)))
	out := []string{lines[0]}
	for range times {
		for _, l := range lines[1:] {
			f := strings.Split(l, ",")
			for i := range len(f) - 1 {
				var v float64
				fmt.Sscan(f[i], &v)
				f[i] = fmt.Sprintf("%.2f", v+(rng.Float64()*2-1)*jitter)
			}
			out = append(out, strings.Join(f, ","))
		}
	}
	return strings.Join(out, "\n") + "\n"
}

func put(ref, body string) error {
	r, err := datastore.ParseRef(ref)
	if err != nil {
		return err
	}
	_, err = stack.store.Write(context.Background(), r, strings.NewReader(body), datastore.WriteOptions{ContentType: "text/csv"})
	return err
}

// workerProc is one `worker` process.
type workerProc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startWorker starts a worker process on the stack, configured as in
// production through the environment.
func startWorker(t *testing.T) *workerProc {
	t.Helper()
	stack.mu.Lock()
	stack.workers++
	n := stack.workers
	stack.mu.Unlock()
	w := &workerProc{log: filepath.Join(stack.dir, fmt.Sprintf("worker-%d.log", n)), done: make(chan struct{})}
	f, err := os.Create(w.log)
	if err != nil {
		t.Fatal(err)
	}
	w.cmd = exec.Command(stack.worker)
	w.cmd.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+stack.server.HostPort,
		"TEMPORAL_NAMESPACE="+stack.server.Namespace,
		"AZURE_STORAGE_CONNECTION_STRING="+stack.azurite.ConnectionString(),
		"PIPELINE_GRPC_COMPRESSION=none",
	)
	w.cmd.Stdout, w.cmd.Stderr = f, f
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = w.cmd.Wait(); f.Close(); close(w.done) }()
	t.Cleanup(func() { w.kill() })
	return w
}

// kill ends the worker at once (SIGKILL), as a crash or an OOM kill.
func (w *workerProc) kill() {
	select {
	case <-w.done:
		return
	default:
	}
	_ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
	<-w.done
}

// tail returns the end of the worker's log, for a failure message.
func (w *workerProc) tail() string {
	b, _ := os.ReadFile(w.log)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// row is one line of the table printed at the end.
type row struct {
	name, outcome string
	took          time.Duration
	detail        string
}

var table struct {
	mu   sync.Mutex
	rows []row
}

// report records the case t ran, when it ends: its outcome, its time, and
// what detail says it did.
func report(t *testing.T, detail *string) {
	start := time.Now()
	t.Cleanup(func() {
		outcome := "ok"
		if t.Failed() {
			outcome = "FAIL"
		} else if t.Skipped() {
			outcome = "skip"
		}
		table.mu.Lock()
		table.rows = append(table.rows, row{t.Name(), outcome, time.Since(start).Round(100 * time.Millisecond), *detail})
		table.mu.Unlock()
	})
}

func printTable() {
	table.mu.Lock()
	defer table.mu.Unlock()
	form := "short"
	if long() {
		form = "long"
	}
	fmt.Printf("\nchaos suite (%s form):\n", form)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "case\toutcome\ttime\twhat it did")
	for _, r := range table.rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.name, r.outcome, r.took, r.detail)
	}
	tw.Flush()
}

// waitClosed waits until the workflow is closed, through server restarts
// (errors are retried), and returns its status.
func waitClosed(ctx context.Context, id string) (enums.WorkflowExecutionStatus, error) {
	for {
		d, err := stack.client.DescribeWorkflowExecution(ctx, id, "")
		if err == nil {
			if st := d.GetWorkflowExecutionInfo().GetStatus(); st != enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
				return st, nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("workflow %s not closed: %w (last error %v)", id, ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// pendingAttempt returns the attempt of the activity of type activityType
// that a worker is running in workflow id (0 when none is).
func pendingAttempt(ctx context.Context, id, activityType string) int32 {
	d, err := stack.client.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return 0
	}
	for _, a := range d.GetPendingActivities() {
		if a.GetActivityType().GetName() == activityType && a.GetState() == enums.PENDING_ACTIVITY_STATE_STARTED {
			return a.GetAttempt()
		}
	}
	return 0
}

// startedAttempts returns, per activity type, the attempt that the
// workflow's history records as started last (the one that completed).
func startedAttempts(ctx context.Context, id string) (map[string]int32, error) {
	scheduled := map[int64]string{}
	out := map[string]int32{}
	it := stack.client.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, err
		}
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil {
			scheduled[e.GetEventId()] = a.GetActivityType().GetName()
		}
		if a := e.GetActivityTaskStartedEventAttributes(); a != nil {
			out[scheduled[a.GetScheduledEventId()]] = a.GetAttempt()
		}
	}
	return out, nil
}

// blobs lists every blob of the containers the product writes.
func blobs(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, c := range []string{"runs", registry.Container, "datasets"} {
		infos, err := stack.store.Blob.List(context.Background(), c, "") // a missing container lists empty
		if err != nil {
			t.Fatalf("list %s: %v", c, err)
		}
		for _, i := range infos {
			out[c+"/"+i.Name] = true
		}
	}
	return out
}
