// Package datastore gives pipeline steps named data references and the blob
// stores behind them: Azure Blob storage (Azurite locally) and a local folder.
package datastore

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned (wrapped) when a container or blob does not exist.
var ErrNotFound = errors.New("datastore: not found")

// ErrPreconditionFailed is returned (wrapped) when a conditional write loses:
// the blob already exists (create-only) or its ETag no longer matches.
var ErrPreconditionFailed = errors.New("datastore: precondition failed")

// ETag identifies one version of a blob's content.
type ETag string

// WriteOptions control a Write.
type WriteOptions struct {
	// ContentType is stored with the blob, e.g. "application/json".
	ContentType string
	// Metadata is stored with the blob and returned by Stat and List.
	// Keys are lower-case ASCII letters, digits and underscores.
	Metadata map[string]string
	// IfNoneMatch makes the write create-only: it fails with
	// ErrPreconditionFailed when the blob exists.
	IfNoneMatch bool
	// IfMatch, when set, makes the write replace the blob only if its
	// current ETag equals IfMatch; otherwise ErrPreconditionFailed.
	IfMatch ETag
}

// Info describes one stored blob.
type Info struct {
	Name         string
	Size         int64
	ETag         ETag
	ContentType  string
	Metadata     map[string]string
	LastModified time.Time
}

// Store is a flat namespace of blobs grouped into containers.
// Names are slash-separated paths inside the container.
type Store interface {
	// Read streams a blob. The caller closes the reader.
	Read(ctx context.Context, container, name string) (io.ReadCloser, Info, error)
	// Write streams r into a blob, creating the container when missing.
	Write(ctx context.Context, container, name string, r io.Reader, opts WriteOptions) (ETag, error)
	// Stat returns a blob's Info without its content.
	Stat(ctx context.Context, container, name string) (Info, error)
	// List returns the blobs whose names start with prefix, sorted by name,
	// with their metadata. A missing container lists as empty.
	List(ctx context.Context, container, prefix string) ([]Info, error)
	// Delete removes a blob; deleting a missing blob is ErrNotFound.
	Delete(ctx context.Context, container, name string) error
}
