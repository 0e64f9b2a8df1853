// Command worker runs the fanout pipeline and its steps. Run as many as
// you like on the same task queue: any of them may take any step.
//
// Temporal is reached through the standard TEMPORAL_* environment
// (envconfig), storage through AZURE_STORAGE_CONNECTION_STRING or
// AZURE_STORAGE_ACCOUNT_URL (Azurite by default), and runs record under
// PIPELINE_RUNS (azblob://runs by default).
package main

import (
	"log"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/examples/fanout"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

func main() {
	// The run context is a plugin on the client: every worker of the
	// client gets it, and the pipeline's search attributes are created
	// when the worker starts.
	plugin, err := runctx.NewPluginFromEnv()
	if err != nil {
		log.Fatalln("run context:", err)
	}
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		log.Fatalln("client options:", err)
	}
	opts.Plugins = append(opts.Plugins, plugin)

	c, err := client.Dial(opts)
	if err != nil {
		log.Fatalln("unable to create Temporal client:", err)
	}
	defer c.Close()

	w := worker.New(c, fanout.TaskQueue, worker.Options{})
	w.RegisterWorkflow(fanout.FanoutPipeline)
	w.RegisterActivity(fanout.NewActivities(plugin.Store()))

	if err := w.Run(worker.InterruptCh()); err != nil {
		log.Fatalln("unable to start worker:", err)
	}
}
