package main

import (
	"context"
	"os"
	"path/filepath"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// stack is the dev server, Azurite and worker every figure is measured on.
type stack struct {
	dir string
	// scriptRoot is the folder script steps may run from.
	scriptRoot string
	client     client.Client
	store      datastore.Resolver
	// cpu meters the main dev server, Azurite and this process.
	cpu   cpuMeter
	stops []func()
}

func startStack() (*stack, error) {
	s := &stack{}
	dir, err := os.MkdirTemp("", "pipeline-bench-")
	if err != nil {
		return nil, err
	}
	s.dir, s.scriptRoot = dir, filepath.Join(dir, "scripts")
	if err := os.MkdirAll(s.scriptRoot, 0o755); err != nil {
		return s, err
	}
	s.stops = append(s.stops, func() { os.RemoveAll(dir) })
	az, err := devstack.StartAzuriteInMemory()
	if err != nil {
		return s, err
	}
	s.stops = append(s.stops, az.Discard)
	s.cpu.add("Azurite", az.Pid())
	blob, err := datastore.NewAzureBlob(datastore.AzureOptions{ConnectionString: az.ConnectionString()})
	if err != nil {
		return s, err
	}
	s.store = datastore.Resolver{Blob: blob, Local: datastore.NewLocal("/")}
	srv, c, err := s.server("main", devstack.DevServerOptions{})
	if err != nil {
		return s, err
	}
	s.client = c
	s.cpu.add("dev server", srv.Pid())
	s.cpu.add("worker and client (the bench's process)", 0)
	return s, s.uploadIris()
}

// server starts a dev server with opts, and a worker of the pipeline and
// the floor on it, and returns it and a client of it.
func (s *stack) server(name string, opts devstack.DevServerOptions) (*devstack.DevServer, client.Client, error) {
	dir := filepath.Join(s.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	srv, err := devstack.StartDevServer(dir, opts)
	if err != nil {
		return nil, nil, err
	}
	s.stops = append(s.stops, srv.Stop)
	// A plugin serves one namespace: each server's client has its own.
	pyClient, _ := filepath.Abs("python")
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{Store: s.store, ScriptRoots: []string{s.scriptRoot}, ScriptClient: pyClient, ScriptDir: s.dir})
	if err != nil {
		return nil, nil, err
	}
	co := srv.ClientOptions()
	co.Plugins = []client.Plugin{plugin}
	c, err := client.Dial(co)
	if err != nil {
		return nil, nil, err
	}
	s.stops = append(s.stops, c.Close)
	// The floor has a worker of its own, on a client without the run
	// context (its steps record nothing), with the pipeline worker's
	// pollers.
	plain, err := client.NewClientFromExisting(c, srv.ClientOptions())
	if err != nil {
		return nil, nil, err
	}
	s.stops = append(s.stops, plain.Close)
	floor := worker.New(plain, floorTaskQueue, app.WithPollerAutoscaling(worker.Options{}))
	floor.RegisterWorkflow(FloorPipeline)
	floor.RegisterWorkflow(FloorTagged)
	floor.RegisterActivity(FloorStep)
	for _, w := range []worker.Worker{app.NewWorker(c, workflows.TaskQueue, s.store, worker.Options{}), floor} {
		if err := w.Start(); err != nil {
			return nil, nil, err
		}
		s.stops = append(s.stops, w.Stop)
	}
	return srv, c, nil
}

func (s *stack) uploadIris() error {
	root, err := devstack.RepoRoot()
	if err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(root, "data", "iris.csv"))
	if err != nil {
		return err
	}
	defer f.Close()
	ref, _ := datastore.ParseRef(workflows.DefaultData)
	_, err = s.store.Write(context.Background(), ref, f, datastore.WriteOptions{ContentType: "text/csv"})
	return err
}

// workerLogging starts a worker on its own task queue whose training step
// first logs n values to its run.
func (s *stack) workerLogging(taskQueue string, n int) error {
	acts := app.Activities(s.store)
	w := app.NewWorkerWithTrain(s.client, taskQueue, s.store, worker.Options{}, func(ctx context.Context, in activities.TrainInput) (activities.TrainResult, error) {
		run, err := runctx.FromContext(ctx)
		if err != nil {
			return activities.TrainResult{}, err
		}
		for i := range n {
			run.Log("loss", float64(i))
		}
		return acts.Train(ctx, in)
	})
	if err := w.Start(); err != nil {
		return err
	}
	s.stops = append(s.stops, w.Stop)
	return nil
}

func (s *stack) stop() {
	for i := len(s.stops) - 1; i >= 0; i-- {
		s.stops[i]()
	}
}
