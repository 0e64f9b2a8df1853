package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

const jsonType = "application/json"

// readJSON reads blob into v and returns its Info.
func (r *Registry) readJSON(ctx context.Context, blob string, v any) (datastore.Info, error) {
	rc, info, err := r.store.Read(ctx, Container, blob)
	if err != nil {
		return info, err
	}
	defer rc.Close()
	if err := json.NewDecoder(rc).Decode(v); err != nil {
		return info, fmt.Errorf("registry: decode %s/%s: %w", Container, blob, err)
	}
	return info, nil
}

// writeJSON writes v as blob under opts' conditions.
func (r *Registry) writeJSON(ctx context.Context, blob string, v any, opts datastore.WriteOptions) (datastore.ETag, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", fmt.Errorf("registry: encode %s/%s: %w", Container, blob, err)
	}
	opts.ContentType = jsonType
	return r.store.Write(ctx, Container, blob, bytes.NewReader(b), opts)
}

// readChampion returns champion.json, its ETag, and whether it exists.
func (r *Registry) readChampion(ctx context.Context, name string) (Champion, datastore.ETag, bool, error) {
	var ch Champion
	info, err := r.readJSON(ctx, championPath(name), &ch)
	if errors.Is(err, datastore.ErrNotFound) {
		return Champion{}, "", false, nil
	}
	if err != nil {
		return Champion{}, "", false, fmt.Errorf("registry: champion of %s: %w", name, err)
	}
	return ch, info.ETag, true, nil
}

// readClaim returns versions/<n>/meta.json and whether it exists.
func (r *Registry) readClaim(ctx context.Context, name string, n int) (*Version, bool, error) {
	var v Version
	_, err := r.readJSON(ctx, metaPath(name, n), &v)
	if errors.Is(err, datastore.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("registry: claim %s v%d: %w", name, n, err)
	}
	return &v, true, nil
}
