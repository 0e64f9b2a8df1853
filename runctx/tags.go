package runctx

import (
	"fmt"
	"maps"
)

// AddProperties adds write-once properties. A key already set to the same
// value is a no-op, so a retried step is safe; a different value is an
// error wrapping ErrPropertyExists and nothing of the call is applied.
func (r *Run) AddProperties(props map[string]string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := mergeProperties(r.properties, props); err != nil {
		return fmt.Errorf("run %s: %w", r.id, err)
	}
	return nil
}

// mergeProperties checks all of props against dst, then adds them.
func mergeProperties(dst, props map[string]string) error {
	for k, v := range props {
		if err := checkName("property", k); err != nil {
			return err
		}
		if old, ok := dst[k]; ok && old != v {
			return fmt.Errorf("%w: %q is %q, not %q", ErrPropertyExists, k, old, v)
		}
	}
	maps.Copy(dst, props)
	return nil
}

// Tag sets one mutable tag.
func (r *Run) Tag(key, value string) error {
	return r.SetTags(map[string]string{key: value})
}

// SetTags sets mutable tags, replacing earlier values.
func (r *Run) SetTags(tags map[string]string) error {
	for k := range tags {
		if err := checkName("tag", k); err != nil {
			return err
		}
	}
	r.mu.Lock()
	maps.Copy(r.tags, tags)
	r.mu.Unlock()
	return nil
}

// RemoveTags deletes tags; a missing key is ignored.
func (r *Run) RemoveTags(keys ...string) {
	r.mu.Lock()
	for _, k := range keys {
		delete(r.tags, k)
	}
	r.mu.Unlock()
}

// GetTags returns a copy of the run's tags.
func (r *Run) GetTags() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.tags)
}

// GetProperties returns a copy of the run's properties.
func (r *Run) GetProperties() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.properties)
}
