package fanout

import (
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/registry"
)

// Activities are the pipeline's steps and what they need: the datastore
// behind data references and the model registry.
type Activities struct {
	Data     datastore.Resolver
	Registry *registry.Registry
}

// NewActivities returns the steps on store, the resolver the run-context
// plugin records into (runctx.Plugin.Store); the registry lives in its blob
// store.
func NewActivities(store datastore.Resolver) *Activities {
	return &Activities{Data: store, Registry: registry.New(store.Blob)}
}

// badData marks err as bad input: the step is not retried and the
// pipeline fails at once. The message, which names the file and line, is
// the whole error.
func badData(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeBadData, nil)
}
