// Package app wires the project's own programs and tests: configuration
// from the environment (the Temporal client with the run-context plugin
// attached), the zap logger, and a worker with the reference pipeline and
// its steps registered. It is not API: users wire their own with
// runctx.NewPlugin.
package app
