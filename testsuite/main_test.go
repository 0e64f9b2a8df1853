package testsuite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/extstore"
	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
	"github.com/temporal-ml/runctx-pipeline/registry"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// stack is the real Temporal dev server and Azurite the integration tests
// share, each on free ports, with a worker of the product polling.
var stack struct {
	server   *devstack.DevServer
	azurite  *devstack.Azurite
	client   client.Client
	store    datastore.Resolver
	registry *registry.Registry
	plugin   *runctx.Plugin
	worker   worker.Worker
	dir      string
	// extStorage is the client's external payload storage (Azure Blob).
	extStorage converter.ExternalStorage
}

func TestMain(m *testing.M) {
	code, err := runTests(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration stack:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func runTests(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "pipeline-it-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	stack.dir = dir
	if stack.azurite, err = devstack.StartAzurite(filepath.Join(dir, "azurite")); err != nil {
		return 0, err
	}
	defer stack.azurite.Discard()
	if stack.server, err = devstack.StartDevServer(dir, devstack.DevServerOptions{UI: true}); err != nil {
		return 0, err
	}
	defer stack.server.Stop()
	// The client offloads large payloads to Azurite, as the programs do by
	// default (PIPELINE_EXTERNAL_STORAGE=azblob).
	if stack.extStorage, err = extstore.ExternalStorage(extstore.Config{Enabled: true, Threshold: extstore.DefaultThreshold, Container: extstore.DefaultContainer},
		datastore.AzureOptions{ConnectionString: stack.azurite.ConnectionString()}); err != nil {
		return 0, err
	}
	blob, err := datastore.NewAzureBlob(datastore.AzureOptions{ConnectionString: stack.azurite.ConnectionString()})
	if err != nil {
		return 0, err
	}
	stack.store = datastore.Resolver{Blob: blob, Local: datastore.NewLocal("/")}
	stack.registry = registry.New(blob)
	// One plugin on the client gives every worker of it the run context;
	// the worker creates the search attributes itself, as in production.
	if stack.plugin, err = runctx.NewPlugin(runctx.PluginOptions{Store: stack.store}); err != nil {
		return 0, err
	}
	opts := stack.server.ClientOptions()
	opts.ExternalStorage = stack.extStorage
	opts.Plugins = []client.Plugin{stack.plugin}
	if stack.client, err = client.Dial(opts); err != nil {
		return 0, err
	}
	defer stack.client.Close()
	stack.worker = app.NewWorker(stack.client, workflows.TaskQueue, stack.store, worker.Options{})
	if err := stack.worker.Start(); err != nil {
		return 0, err
	}
	defer stack.worker.Stop()
	if err := uploadFixtures(); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

const (
	irisRef       = "azblob://datasets/iris/iris.csv"
	sampleFormRef = "azblob://datasets/iris/sample_data.csv"
)

// uploadFixtures uploads the project's iris CSV, and the same data in the
// form of the original Azure ML project's file: no header, Iris- labels,
// no final newline.
func uploadFixtures() error {
	root, err := devstack.RepoRoot()
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(root, "data", "iris.csv"))
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")[1:]
	for i, l := range lines {
		if j := strings.LastIndex(l, ","); j >= 0 {
			lines[i] = l[:j+1] + "Iris-" + l[j+1:]
		}
	}
	for ref, body := range map[string]string{irisRef: string(b), sampleFormRef: strings.Join(lines, "\n")} {
		if err := put(ref, body); err != nil {
			return err
		}
	}
	return nil
}

func put(ref, body string) error {
	r, err := datastore.ParseRef(ref)
	if err != nil {
		return err
	}
	_, err = stack.store.Write(context.Background(), r, strings.NewReader(body), datastore.WriteOptions{ContentType: "text/csv"})
	return err
}
