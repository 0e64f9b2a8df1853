// Command worker runs ML pipelines: it polls the pipeline task queue and
// executes TrainingPipeline and its steps.
//
// Temporal is reached through the standard TEMPORAL_* environment (address,
// namespace, TLS, API key); storage through AZURE_STORAGE_CONNECTION_STRING
// or AZURE_STORAGE_ACCOUNT_URL, defaulting to a local Azurite. The run
// context is the runctx plugin on the client: it creates the pipeline's
// search attributes when the worker starts.
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

	w := app.NewWorker(c, workflows.TaskQueue, cfg.Plugin.Store(), worker.Options{})
	z.Info("worker starting", zap.String("task_queue", workflows.TaskQueue), zap.String("namespace", cfg.Namespace()))
	// worker.InterruptCh closes on SIGINT or SIGTERM; Run then stops
	// polling and waits for the running tasks.
	return w.Run(worker.InterruptCh())
}
