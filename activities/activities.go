package activities

import (
	"context"
	"io"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/registry"
)

// DataReader reads the data behind a reference.
type DataReader interface {
	Read(ctx context.Context, ref datastore.Ref) (io.ReadCloser, datastore.Info, error)
}

// Activities are the pipeline's steps and what they need: the datastore
// behind data references, and the model registry.
type Activities struct {
	Data     DataReader
	Registry *registry.Registry
}
