// Package fanout is a pipeline written only against the public API of
// runctx, datastore, registry and ml: it prepares the data once, trains the
// six classifiers of ml as six parallel steps (a fan-out, each step its own
// child run that any worker may take), evaluates them, and registers the
// best model only when it beats a threshold and the registered champion.
//
// The steps hand data to each other only by reference, as Azure ML's
// PipelineData: prepare writes the training and validation sets under its
// run's outputs and returns their references; each train step writes its
// model file under its own outputs.
//
// # Usage
//
// Start the local stack (Temporal's dev server and Azurite), upload the
// data, start a worker or two, and start a pipeline:
//
//	make up
//	go run ./starter data upload data/iris.csv azblob://datasets/iris/iris.csv
//	go run ./examples/fanout/worker &
//	go run ./examples/fanout/worker &
//	go run ./examples/fanout/starter --model-name fanout-iris --threshold 0.9
//
// The programs read the standard TEMPORAL_* environment and the plugin's
// (runctx.NewPluginFromEnv); without any, they use the local stack.
//
// # Tests
//
// fanout_test.go tests the workflow's decisions on the SDK's test
// environment; e2e_test.go runs the worker and starter binaries on a real
// dev server and Azurite; replay_test.go replays the committed histories
// of testdata/histories, which TestEndToEnd rewrites when
// FANOUT_EXPORT_HISTORIES names that folder.
package fanout
