package fanout

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
)

// stack is the real Temporal dev server and Azurite of the end-to-end
// tests, with two worker processes of this example polling; it is started
// by the first test that needs it (see startStack), so the unit and replay
// tests run without it.
var stack struct {
	once    sync.Once
	err     error
	dir     string
	azurite *devstack.Azurite
	server  *devstack.DevServer
	client  client.Client
	store   datastore.Resolver
	starter string   // path of the starter binary
	env     []string // environment of the example's programs
	workers []devstack.Process
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopStack()
	os.Exit(code)
}

// startStack starts the stack once, or skips the test in -short mode.
func startStack(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: needs the dev server and Azurite")
	}
	stack.once.Do(func() { stack.err = start() })
	if stack.err != nil {
		t.Fatal("end-to-end stack:", stack.err)
	}
}

func start() error {
	began := time.Now()
	dir, err := os.MkdirTemp("", "fanout-e2e-")
	if err != nil {
		return err
	}
	stack.dir = dir
	// Build the worker and starter while the servers start.
	built := make(chan error, 1)
	go func() {
		out, err := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./worker", "./starter").CombinedOutput()
		if err != nil {
			err = fmt.Errorf("go build: %w\n%s", err, out)
		}
		built <- err
	}()
	if stack.azurite, err = devstack.StartAzurite(filepath.Join(dir, "azurite")); err != nil {
		return err
	}
	if stack.server, err = devstack.StartDevServer(dir, devstack.DevServerOptions{}); err != nil {
		return err
	}
	if stack.client, err = stack.server.Client(); err != nil {
		return err
	}
	blob, err := datastore.NewAzureBlob(datastore.AzureOptions{ConnectionString: stack.azurite.ConnectionString()})
	if err != nil {
		return err
	}
	stack.store = datastore.Resolver{Blob: blob}
	if err := uploadIris(); err != nil {
		return err
	}
	if err := <-built; err != nil {
		return err
	}
	stack.starter = filepath.Join(dir, "starter")
	stack.env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+stack.server.HostPort,
		"TEMPORAL_NAMESPACE="+stack.server.Namespace,
		"AZURE_STORAGE_CONNECTION_STRING="+stack.azurite.ConnectionString(),
		"PIPELINE_GRPC_COMPRESSION=none",
	)
	if err := startWorkers(filepath.Join(dir, "worker")); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "fanout e2e: stack, binaries and two workers ready in %s\n", time.Since(began).Round(time.Millisecond))
	return nil
}

// uploadIris uploads a copy of the project's iris CSV where the starter
// looks by default.
func uploadIris() error {
	root, err := devstack.RepoRoot()
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(root, "data", "iris.csv"))
	if err != nil {
		return err
	}
	ref, err := datastore.ParseRef(DefaultData)
	if err != nil {
		return err
	}
	_, err = stack.store.Write(context.Background(), ref, bytes.NewReader(b), datastore.WriteOptions{ContentType: "text/csv"})
	return err
}

// startWorkers starts two worker processes at once, as a deployment
// would, and waits until both poll the task queue.
func startWorkers(bin string) error {
	for range 2 {
		p, err := devstack.StartProcess("worker", bin, stack.env)
		if err != nil {
			return err
		}
		stack.workers = append(stack.workers, p)
	}
	return waitFor(stack.workers, func(ctx context.Context) (bool, error) {
		d, err := stack.client.DescribeTaskQueue(ctx, TaskQueue, enums.TASK_QUEUE_TYPE_ACTIVITY)
		return len(d.GetPollers()) >= 2, err
	})
}

// waitFor polls ready for up to 30 s, failing early if a worker exits.
func waitFor(workers []devstack.Process, ready func(context.Context) (bool, error)) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, p := range workers {
			if p.Exited() {
				return fmt.Errorf("worker exited:\n%s", p.Output())
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		ok, err := ready(ctx)
		cancel()
		if ok && err == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("workers not polling after 30s:\n%s\n%s", workers[0].Output(), workers[1].Output())
}

func stopStack() {
	for _, p := range stack.workers {
		p.Stop()
	}
	if stack.client != nil {
		stack.client.Close()
	}
	if stack.server != nil {
		stack.server.Stop()
	}
	if stack.azurite != nil {
		stack.azurite.Discard()
	}
	if stack.dir != "" {
		os.RemoveAll(stack.dir)
	}
}
