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
// Start Temporal and Azurite (make up), upload the data, then run a worker
// or two and the starter:
//
//	go run ./examples/fanout/worker &
//	go run ./examples/fanout/worker &
//	go run ./examples/fanout/starter --model-name fanout-iris --json
package fanout
