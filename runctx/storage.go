package runctx

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Storage is where a run writes its record and artifacts: a datastore in a
// pipeline, a local folder offline. Refs are datastore references
// (azblob://container/path or a local path).
type Storage interface {
	Put(ctx context.Context, ref string, r io.Reader, contentType string) error
	Get(ctx context.Context, ref string) (io.ReadCloser, error)
}

// localStorage writes refs as local file paths; it backs offline runs.
type localStorage struct{}

func (localStorage) Put(_ context.Context, ref string, r io.Reader, _ string) error {
	p := strings.TrimPrefix(ref, "file://")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (localStorage) Get(_ context.Context, ref string) (io.ReadCloser, error) {
	return os.Open(strings.TrimPrefix(ref, "file://"))
}

// join appends a slash-separated name to a reference.
func join(ref, name string) string {
	if strings.Contains(ref, "://") {
		scheme, rest, _ := strings.Cut(ref, "://")
		return scheme + "://" + path.Join(rest, name)
	}
	return filepath.Join(ref, filepath.FromSlash(name))
}

// OutputRef returns the reference of name inside the run's outputs folder.
func (r *Run) OutputRef(name string) string { return join(r.outputs, name) }

// RecordRef returns where the run's record is stored.
func (r *Run) RecordRef() string { return r.OutputRef(r.recordName()) }

func (r *Run) recordName() string {
	if r.offline {
		return r.id + ".json"
	}
	return "record.json"
}

// Upload writes an artifact into the run's outputs folder, as Azure ML's
// upload_file, and returns its reference.
func (r *Run) Upload(ctx context.Context, name, contentType string, body io.Reader) (string, error) {
	if err := checkName("output", name); err != nil {
		return "", err
	}
	ref := r.OutputRef(name)
	if err := r.store.Put(ctx, ref, body, contentType); err != nil {
		return "", fmt.Errorf("run %s: upload %s: %w", r.id, name, err)
	}
	return ref, nil
}
