package datastore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Local is a Store on a local folder. A container is a subfolder of the
// root ("" is the root itself, which is how file:// references are served
// with root "/"); a blob is a file at its slash path inside it.
//
// Each blob may have a hidden sidecar ".<file>.dsmeta" in the same folder
// holding its content type, metadata and ETag, plus the inode, size and
// modification time of the exact file it describes: a sidecar that does
// not match the file (a crash between the two renames, or another program
// rewrote the file) is ignored, and the ETag is then derived from the
// file's inode, size and modification time. Sidecars, temporary files
// (".<file>.dstmp-*") and the folder lock ".dslock" are hidden from List
// and cannot be written as blobs.
//
// Writes stream into a temporary file in the target folder and then rename
// it into place, so readers see the old or the new content, never a mix.
// The condition check and the renames run under an exclusive flock on the
// folder's ".dslock" file, which makes create-only and if-match atomic
// across goroutines and processes on the same machine (and on file systems
// with working flock). Readers take no lock: they open the file and accept
// the sidecar only if it matches the opened file.
type Local struct {
	root string
}

// NewLocal returns a Local store rooted at root.
func NewLocal(root string) *Local { return &Local{root: filepath.Clean(root)} }

const (
	sidecarSuffix = ".dsmeta"
	tempMarker    = ".dstmp-"
	lockName      = ".dslock"
)

func reserved(base string) bool {
	return base == lockName || strings.HasPrefix(base, ".") &&
		(strings.HasSuffix(base, sidecarSuffix) || strings.Contains(base, tempMarker))
}

// file maps (container, name) to a file path, rejecting names that would
// escape the container or collide with the store's own files.
func (l *Local) file(containerName, name string) (string, error) {
	if containerName != "" && (strings.Contains(containerName, "/") || checkSegments(containerName) != nil) {
		return "", fmt.Errorf("%w: local container %q", ErrBadRef, containerName)
	}
	if name == "" || checkSegments(name) != nil {
		return "", fmt.Errorf("%w: blob name %q in %q: empty, '.' or '..' segment", ErrBadRef, name, containerName)
	}
	if reserved(filepath.Base(name)) {
		return "", fmt.Errorf("%w: blob name %q in %q is reserved by the local store", ErrBadRef, name, containerName)
	}
	return filepath.Join(l.root, containerName, filepath.FromSlash(name)), nil
}

func sidecarPath(p string) string {
	return filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+sidecarSuffix)
}

func where(containerName, name string) string { return containerName + "/" + name }

// Read opens the blob's file; the reader is the file itself.
func (l *Local) Read(ctx context.Context, containerName, name string) (io.ReadCloser, Info, error) {
	p, err := l.file(containerName, name)
	if err != nil {
		return nil, Info{}, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, Info{}, localErr("read", containerName, name, err)
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		err = fs.ErrNotExist
	}
	if err != nil {
		f.Close()
		return nil, Info{}, localErr("read", containerName, name, err)
	}
	return f, infoOf(name, p, fi), nil
}

// Stat returns the blob's Info.
func (l *Local) Stat(ctx context.Context, containerName, name string) (Info, error) {
	p, err := l.file(containerName, name)
	if err != nil {
		return Info{}, err
	}
	fi, err := os.Stat(p)
	if err == nil && fi.IsDir() {
		err = fs.ErrNotExist
	}
	if err != nil {
		return Info{}, localErr("stat", containerName, name, err)
	}
	return infoOf(name, p, fi), nil
}

// Write streams r into a temporary file, then, under the folder lock,
// checks the condition and renames the file and its sidecar into place.
func (l *Local) Write(ctx context.Context, containerName, name string, r io.Reader, opts WriteOptions) (ETag, error) {
	p, err := l.file(containerName, name)
	if err != nil {
		return "", err
	}
	if err := checkMetadata(opts.Metadata); err != nil {
		return "", fmt.Errorf("datastore: write %s: %w", where(containerName, name), err)
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", localErr("write", containerName, name, err)
	}
	tmp, err := writeTemp(ctx, p, r)
	if err != nil {
		return "", localErr("write", containerName, name, err)
	}
	defer os.Remove(tmp) // no-op after a successful rename
	fi, err := os.Stat(tmp)
	if err != nil {
		return "", localErr("write", containerName, name, err)
	}
	sc := sidecar{ETag: ETag(randomHex(16)), ContentType: opts.ContentType, Metadata: opts.Metadata}
	sc.setFile(fi)
	scTmp := sidecarPath(tmp)
	if err := writeSidecar(scTmp, sc); err != nil {
		return "", localErr("write", containerName, name, err)
	}
	defer os.Remove(scTmp)

	unlock, err := lockDir(dir)
	if err != nil {
		return "", localErr("lock", containerName, name, err)
	}
	defer unlock()
	if err := checkCondition(p, opts); err != nil {
		return "", fmt.Errorf("datastore: write %s: %w", where(containerName, name), err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return "", localErr("write", containerName, name, err)
	}
	if err := os.Rename(scTmp, sidecarPath(p)); err != nil {
		return "", localErr("write", containerName, name, err)
	}
	return sc.ETag, nil
}

// checkCondition runs under the folder lock.
func checkCondition(p string, opts WriteOptions) error {
	if !opts.IfNoneMatch && opts.IfMatch == "" {
		return nil
	}
	fi, err := os.Stat(p)
	exists := err == nil && !fi.IsDir()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	switch {
	case opts.IfNoneMatch && exists:
		return fmt.Errorf("blob exists: %w", ErrPreconditionFailed)
	case opts.IfMatch != "" && !exists:
		return fmt.Errorf("blob does not exist (if-match %s): %w", opts.IfMatch, ErrPreconditionFailed)
	case opts.IfMatch != "" && currentSidecar(p, fi).ETag != opts.IfMatch:
		return fmt.Errorf("etag is not %s: %w", opts.IfMatch, ErrPreconditionFailed)
	}
	return nil
}

func writeTemp(ctx context.Context, p string, r io.Reader) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+tempMarker+"*")
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, ctxReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// Delete removes the blob and its sidecar under the folder lock.
func (l *Local) Delete(ctx context.Context, containerName, name string) error {
	p, err := l.file(containerName, name)
	if err != nil {
		return err
	}
	unlock, err := lockDir(filepath.Dir(p))
	if err != nil {
		return localErr("delete", containerName, name, err)
	}
	defer unlock()
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		return localErr("delete", containerName, name, fs.ErrNotExist)
	}
	if err := os.Remove(p); err != nil {
		return localErr("delete", containerName, name, err)
	}
	_ = os.Remove(sidecarPath(p))
	return nil
}

// List walks the container's folder below prefix.
func (l *Local) List(ctx context.Context, containerName, prefix string) ([]Info, error) {
	if containerName != "" && (strings.Contains(containerName, "/") || checkSegments(containerName) != nil) {
		return nil, fmt.Errorf("%w: local container %q", ErrBadRef, containerName)
	}
	base := filepath.Join(l.root, containerName)
	start := base
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		if checkSegments(prefix[:i]) != nil {
			return nil, fmt.Errorf("%w: list prefix %q", ErrBadRef, prefix)
		}
		start = filepath.Join(base, filepath.FromSlash(prefix[:i]))
	}
	var out []Info
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			if p != start && !strings.HasPrefix(name+"/", prefix) && !strings.HasPrefix(prefix, name+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		if reserved(d.Name()) || !strings.HasPrefix(name, prefix) || !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil // removed while listing
		}
		out = append(out, infoOf(name, p, fi))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("datastore: list %s: %w", where(containerName, prefix+"*"), err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func localErr(op, containerName, name string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("datastore: %s %s: %w", op, where(containerName, name), ErrNotFound)
	case errors.Is(err, ErrBadRef), errors.Is(err, ErrPreconditionFailed), errors.Is(err, ErrNotFound):
		return err
	}
	return fmt.Errorf("datastore: %s %s: %w", op, where(containerName, name), err)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ctxReader stops a long copy when the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
