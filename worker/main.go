// Command worker runs ML pipelines: it polls the pipeline task queue and
// executes TrainingPipeline and its steps.
//
// Temporal is reached through the standard TEMPORAL_* environment (address,
// namespace, TLS, API key); storage through AZURE_STORAGE_CONNECTION_STRING
// or AZURE_STORAGE_ACCOUNT_URL, defaulting to a local Azurite. The run
// context is the runctx plugin on the client: it creates the pipeline's
// search attributes when the worker starts.
//
// Script steps (runctx.ExecuteScriptStep) are off unless the operator sets
// PIPELINE_SCRIPT_ROOTS (folders scripts may run from) or
// PIPELINE_SCRIPT_SNAPSHOTS=on; PIPELINE_SCRIPT_CLIENT is the Python
// client's folder (default: python/ next to the binary or in the working
// directory).
//
// Stopping: on SIGTERM or SIGINT the worker stops polling and gives the
// steps it is running a graceful stop of 30 s (PIPELINE_WORKER_STOP_TIMEOUT,
// a Go duration) to finish before it cancels them; a cancelled step, or a
// step of a worker killed outright, is retried on another worker once its
// heartbeat timeout passes (the runctx plugin heartbeats every step).
package main

import (
	"fmt"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

func main() {
	z, err := zap.NewDevelopment()
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(1)
	}
	defer z.Sync()
	if err := run(z); err != nil {
		z.Error("worker stopped", zap.Error(err))
		os.Exit(1)
	}
}

func run(z *zap.Logger) error {
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	cfg.Client.Logger = app.NewZapLogger(z)
	c, err := client.Dial(cfg.Client)
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", cfg.Client.HostPort, err)
	}
	defer c.Close()

	opts := cfg.WorkerOptions()
	fatal := make(chan error, 1)
	opts.OnFatalError = func(err error) { fatal <- err }
	w := app.NewWorker(c, workflows.TaskQueue, cfg.Plugin.Store(), opts)
	// Start creates the search attributes the pipelines declare (the
	// runctx plugin) and begins polling.
	if err := w.Start(); err != nil {
		return err
	}
	z.Info("worker started", zap.String("task_queue", workflows.TaskQueue), zap.String("namespace", cfg.Namespace()),
		zap.Duration("stop_timeout", cfg.StopTimeout),
		zap.Strings("script_roots", cfg.Script.Roots), zap.Bool("script_snapshots", cfg.Script.Snapshots))
	// worker.InterruptCh closes on SIGINT or SIGTERM; Stop then stops
	// polling and waits up to cfg.StopTimeout for the running steps.
	select {
	case <-worker.InterruptCh():
		w.Stop()
		return nil
	case err := <-fatal:
		return err
	}
}
