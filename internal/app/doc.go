// Package app wires the product together for its programs and tests:
// configuration from the environment, the storage behind data references,
// the search attributes, and a worker with the workflow, the steps and the
// run-context interceptor registered.
package app
