package registry

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// AddProperties adds write-once properties to a version. A key that
// already has the same value is a no-op (so a retried step is safe); a
// different value is an error wrapping ErrPropertyExists and nothing is
// written.
func (r *Registry) AddProperties(ctx context.Context, name string, version int, props map[string]string) error {
	return r.updateMeta(ctx, name, version, func(v *Version) (bool, error) {
		changed := false
		keys := sortedKeys(props)
		for _, k := range keys {
			if old, ok := v.Properties[k]; ok && old != props[k] {
				return false, fmt.Errorf("registry: %s v%d property %q is %q, cannot set %q: %w", name, version, k, old, props[k], ErrPropertyExists)
			}
		}
		for _, k := range keys {
			if _, ok := v.Properties[k]; !ok {
				v.Properties[k] = props[k]
				changed = true
			}
		}
		return changed, nil
	})
}

// SetTags sets (adds or replaces) tags of a version.
func (r *Registry) SetTags(ctx context.Context, name string, version int, tags map[string]string) error {
	return r.updateMeta(ctx, name, version, func(v *Version) (bool, error) {
		changed := false
		for k, val := range tags {
			if old, ok := v.Tags[k]; !ok || old != val {
				v.Tags[k] = val
				changed = true
			}
		}
		return changed, nil
	})
}

// RemoveTags removes tags of a version; missing keys are ignored.
func (r *Registry) RemoveTags(ctx context.Context, name string, version int, keys ...string) error {
	return r.updateMeta(ctx, name, version, func(v *Version) (bool, error) {
		changed := false
		for _, k := range keys {
			if _, ok := v.Tags[k]; ok {
				delete(v.Tags, k)
				changed = true
			}
		}
		return changed, nil
	})
}

// updateMeta applies edit to a version's meta.json with an ETag
// compare-and-swap loop, keeping the blob's metadata.
func (r *Registry) updateMeta(ctx context.Context, name string, version int, edit func(*Version) (bool, error)) error {
	if err := checkName(name); err != nil {
		return err
	}
	blob := metaPath(name, version)
	for range maxAttempts {
		var v Version
		info, err := r.readJSON(ctx, blob, &v)
		if err != nil {
			return fmt.Errorf("registry: update %s v%d: %w", name, version, err)
		}
		if v.Properties == nil {
			v.Properties = map[string]string{}
		}
		if v.Tags == nil {
			v.Tags = map[string]string{}
		}
		changed, err := edit(&v)
		if err != nil || !changed {
			return err
		}
		_, err = r.writeJSON(ctx, blob, &v, datastore.WriteOptions{IfMatch: info.ETag, Metadata: info.Metadata})
		if !errors.Is(err, datastore.ErrPreconditionFailed) {
			if err != nil {
				return fmt.Errorf("registry: update %s v%d: %w", name, version, err)
			}
			return nil
		}
	}
	return fmt.Errorf("registry: update %s v%d: gave up after %d attempts", name, version, maxAttempts)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
