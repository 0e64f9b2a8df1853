package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

const jsonType = "application/json"

// ErrCorrupt is returned (wrapped) when a registry blob (champion.json, a
// version's meta.json) does not decode or names no valid version: retrying
// cannot help, someone must repair or remove the blob.
var ErrCorrupt = errors.New("registry: corrupt blob")

// readJSON reads blob into v and returns its Info.
func (r *Registry) readJSON(ctx context.Context, blob string, v any) (datastore.Info, error) {
	rc, info, err := r.store.Read(ctx, Container, blob)
	if err != nil {
		return info, err
	}
	defer rc.Close()
	// Read it whole first: a read that fails is the store's (retryable),
	// a body that does not decode is the blob's (ErrCorrupt).
	b, err := io.ReadAll(rc)
	if err != nil {
		return info, fmt.Errorf("registry: read %s/%s: %w", Container, blob, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return info, fmt.Errorf("%w: %s/%s: %w", ErrCorrupt, Container, blob, err)
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
	if ch.Version < 1 || math.IsNaN(ch.Accuracy) {
		return Champion{}, "", false, fmt.Errorf("registry: champion of %s: %w: %s/%s names version %d, accuracy %g", name, ErrCorrupt, Container, championPath(name), ch.Version, ch.Accuracy)
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
