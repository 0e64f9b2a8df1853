package app

import (
	"context"
	"io"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// RunStorage adapts a datastore resolver to the storage a run records into.
func RunStorage(r datastore.Resolver) runctx.Storage { return runStorage{r} }

type runStorage struct{ r datastore.Resolver }

func (s runStorage) Put(ctx context.Context, ref string, body io.Reader, contentType string) error {
	parsed, err := datastore.ParseRef(ref)
	if err != nil {
		return err
	}
	_, err = s.r.Write(ctx, parsed, body, datastore.WriteOptions{ContentType: contentType})
	return err
}

func (s runStorage) Get(ctx context.Context, ref string) (io.ReadCloser, error) {
	parsed, err := datastore.ParseRef(ref)
	if err != nil {
		return nil, err
	}
	rc, _, err := s.r.Read(ctx, parsed)
	return rc, err
}
