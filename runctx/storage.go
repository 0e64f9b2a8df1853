package runctx

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
)

// storage is where a run writes its record and artifacts: a datastore in a
// pipeline, a local folder offline. Refs are datastore references
// (azblob://container/path or a local path).
type storage interface {
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

// resolverStorage stores runs through a datastore resolver.
type resolverStorage struct{ r datastore.Resolver }

func (s resolverStorage) Put(ctx context.Context, ref string, body io.Reader, contentType string) error {
	parsed, err := datastore.ParseRef(ref)
	if err != nil {
		return err
	}
	_, err = s.r.Write(ctx, parsed, body, datastore.WriteOptions{ContentType: contentType})
	return err
}

func (s resolverStorage) Get(ctx context.Context, ref string) (io.ReadCloser, error) {
	parsed, err := datastore.ParseRef(ref)
	if err != nil {
		return nil, err
	}
	rc, _, err := s.r.Read(ctx, parsed)
	return rc, err
}

// OutputRef returns the reference of name inside the run's outputs folder
// ("" when name has an empty, "." or ".." segment).
func (r *Run) OutputRef(name string) string { return layout.Join(r.outputs, name) }

// RecordRef returns where the run's record is stored.
func (r *Run) RecordRef() string { return r.OutputRef(r.recordName()) }

func (r *Run) recordName() string {
	if r.offline {
		return r.id + ".json"
	}
	return layout.RecordFile
}

// Upload writes an artifact into the run's outputs folder, as Azure ML's
// upload_file, and returns its reference.
func (r *Run) Upload(ctx context.Context, name, contentType string, body io.Reader) (string, error) {
	if err := checkName("output", name); err != nil {
		return "", err
	}
	ref, err := layout.JoinRef(r.outputs, name)
	if err != nil {
		return "", fmt.Errorf("run %s: upload: %w", r.id, err)
	}
	if err := r.store.Put(ctx, ref, body, contentType); err != nil {
		return "", fmt.Errorf("run %s: upload %s: %w", r.id, name, err)
	}
	r.mu.Lock()
	r.uploads = append(r.uploads, ref)
	r.mu.Unlock()
	return ref, nil
}
