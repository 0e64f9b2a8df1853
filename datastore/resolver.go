package datastore

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Resolver routes data references to stores: azblob refs to Blob as
// (container, path), file refs to Local as ("", path without the leading
// slash). Local is normally NewLocalRoots(roots...), which serves only
// files under those folders; a nil Local refuses every file reference
// (ErrOutsideRoots): the package has no default root.
type Resolver struct {
	Blob  Store
	Local Store
}

// locate validates ref and returns its store, container and blob name.
func (r Resolver) locate(ref Ref) (Store, string, string, error) {
	return r.locatePrefix(ref, false)
}

// locatePrefix is locate; with prefix, a whole container is accepted.
func (r Resolver) locatePrefix(ref Ref, prefix bool) (Store, string, string, error) {
	if err := ref.validate(prefix); err != nil {
		return nil, "", "", err
	}
	if ref.Scheme == SchemeAzblob {
		if r.Blob == nil {
			return nil, "", "", fmt.Errorf("datastore: %s: no blob store configured", ref)
		}
		return r.Blob, ref.Container, ref.Path, nil
	}
	if r.Local == nil {
		return nil, "", "", fmt.Errorf("datastore: %s: %w (no local roots are configured)", ref, ErrOutsideRoots)
	}
	return r.Local, "", strings.TrimPrefix(ref.Path, "/"), nil
}

// Read streams the blob or file ref names.
func (r Resolver) Read(ctx context.Context, ref Ref) (io.ReadCloser, Info, error) {
	s, c, name, err := r.locate(ref)
	if err != nil {
		return nil, Info{}, err
	}
	return s.Read(ctx, c, name)
}

// Write streams rd into the blob or file ref names.
func (r Resolver) Write(ctx context.Context, ref Ref, rd io.Reader, opts WriteOptions) (ETag, error) {
	s, c, name, err := r.locate(ref)
	if err != nil {
		return "", err
	}
	return s.Write(ctx, c, name, rd, opts)
}

// Stat describes the blob or file ref names.
func (r Resolver) Stat(ctx context.Context, ref Ref) (Info, error) {
	s, c, name, err := r.locate(ref)
	if err != nil {
		return Info{}, err
	}
	return s.Stat(ctx, c, name)
}

// Delete removes the blob or file ref names.
func (r Resolver) Delete(ctx context.Context, ref Ref) error {
	s, c, name, err := r.locate(ref)
	if err != nil {
		return err
	}
	return s.Delete(ctx, c, name)
}

// List returns the blobs below ref taken as a folder, sorted; ref may be a
// whole container (see ParsePrefix). Each Info's Name is relative to ref,
// so ref.Join(info.Name) references it.
func (r Resolver) List(ctx context.Context, ref Ref) ([]Info, error) {
	s, c, name, err := r.locatePrefix(ref, true)
	if err != nil {
		return nil, err
	}
	prefix := ""
	if name != "" {
		prefix = name + "/"
	}
	infos, err := s.List(ctx, c, prefix)
	if err != nil {
		return nil, err
	}
	for i := range infos {
		infos[i].Name = strings.TrimPrefix(infos[i].Name, prefix)
	}
	return infos, nil
}
