package registry

import (
	"context"
	"errors"
	"fmt"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// complete finishes the claim v (by its owner or by a helper): it moves
// champion.json from n-1 to n. A claim of the first layout (no model_blob)
// first gets its staged model copied to versions/<n>/model.json.
func (r *Registry) complete(ctx context.Context, v *Version) error {
	if v.ModelBlob != "" {
		return r.advanceChampion(ctx, v.Name, Champion{Version: v.Version, Accuracy: v.Accuracy, RunID: v.Run.RunID})
	}
	if err := r.copyModel(ctx, v); err != nil {
		return err
	}
	if err := r.advanceChampion(ctx, v.Name, Champion{Version: v.Version, Accuracy: v.Accuracy, RunID: v.Run.RunID}); err != nil {
		return err
	}
	_ = r.store.Delete(ctx, Container, stagingPath(v.Name, v.Run.RunID)) // best effort
	return nil
}

// completeOwn is complete for the registrar that just claimed v: it has
// the champion's ETag from before its claim, so it skips the read a helper
// needs. Whatever a helper did meanwhile, it falls back to the general path.
func (r *Registry) completeOwn(ctx context.Context, v *Version, etag datastore.ETag, exists bool) error {
	next := Champion{Version: v.Version, Accuracy: v.Accuracy, RunID: v.Run.RunID}
	_, err := r.writeJSON(ctx, championPath(v.Name), next, datastore.WriteOptions{IfNoneMatch: !exists, IfMatch: etag})
	if errors.Is(err, datastore.ErrPreconditionFailed) {
		return r.advanceChampion(ctx, v.Name, next) // a helper moved it, or is moving it
	}
	if err != nil {
		return fmt.Errorf("registry: move champion of %s to v%d: %w", v.Name, v.Version, err)
	}
	return nil
}

// copyModel completes the model file of a first-layout claim.
func (r *Registry) copyModel(ctx context.Context, v *Version) error {
	dst := modelPath(v.Name, v.Version)
	_, err := r.store.Stat(ctx, Container, dst)
	if err == nil {
		return nil
	}
	if !errors.Is(err, datastore.ErrNotFound) {
		return fmt.Errorf("registry: complete %s v%d: %w", v.Name, v.Version, err)
	}
	rc, _, err := r.store.Read(ctx, Container, stagingPath(v.Name, v.Run.RunID))
	if errors.Is(err, datastore.ErrNotFound) {
		// The owner deletes staging only after copying; look again.
		if _, serr := r.store.Stat(ctx, Container, dst); serr == nil {
			return nil
		}
		return fmt.Errorf("registry: complete %s v%d: staged model of run %s is missing and no model file exists: %w",
			v.Name, v.Version, v.Run.RunID, err)
	}
	if err != nil {
		return fmt.Errorf("registry: complete %s v%d: %w", v.Name, v.Version, err)
	}
	defer rc.Close()
	_, err = r.store.Write(ctx, Container, dst, rc, datastore.WriteOptions{ContentType: jsonType, IfNoneMatch: true})
	if err != nil && !errors.Is(err, datastore.ErrPreconditionFailed) {
		return fmt.Errorf("registry: complete %s v%d: copy model: %w", v.Name, v.Version, err)
	}
	return nil
}

// advanceChampion moves champion.json to next by compare-and-swap, unless
// it is already there or beyond.
func (r *Registry) advanceChampion(ctx context.Context, name string, next Champion) error {
	for range maxAttempts {
		cur, etag, exists, err := r.readChampion(ctx, name)
		if err != nil {
			return err
		}
		if cur.Version >= next.Version {
			return nil
		}
		if cur.Version != next.Version-1 {
			return fmt.Errorf("registry: champion of %s is v%d, cannot move to v%d", name, cur.Version, next.Version)
		}
		opts := datastore.WriteOptions{IfNoneMatch: !exists, IfMatch: etag}
		_, err = r.writeJSON(ctx, championPath(name), next, opts)
		if err == nil || !errors.Is(err, datastore.ErrPreconditionFailed) {
			if err != nil {
				return fmt.Errorf("registry: move champion of %s to v%d: %w", name, next.Version, err)
			}
			return nil
		}
	}
	return fmt.Errorf("registry: move champion of %s to v%d: gave up after %d attempts", name, next.Version, maxAttempts)
}
