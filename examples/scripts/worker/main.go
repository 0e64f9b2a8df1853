// Command worker runs the IrisScripts pipeline: the run-context plugin
// registers the script steps' activity itself. Script steps run only where
// the operator allows them: set PIPELINE_SCRIPT_ROOTS to the folder that
// holds src/ (or PIPELINE_SCRIPT_SNAPSHOTS=on), and PIPELINE_SCRIPT_CLIENT
// to the repository's python/ folder.
package main

import (
	"log"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/examples/scripts"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

func main() {
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
	w := worker.New(c, scripts.TaskQueue, worker.Options{})
	w.RegisterWorkflow(scripts.IrisScripts)
	if err := w.Run(worker.InterruptCh()); err != nil {
		log.Fatalln("unable to start worker:", err)
	}
}
