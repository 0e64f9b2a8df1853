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
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Local is a Store on local folders. A store made by NewLocal serves one
// folder: a container is a subfolder of it ("" is the folder itself) and a
// blob is a file at its slash path inside. A store made by NewLocalRoots
// serves file:// references (container "", the path without its leading
// slash) and only those whose path lies under one of its roots; every other
// path is refused with ErrOutsideRoots.
//
// Every path is opened beneath its root (os.Root: openat2 with
// RESOLVE_BENEATH, or one component at a time without following symbolic
// links out), so a symbolic link inside a root may point elsewhere in the
// same root but never out of it (nor be absolute): ErrOutsideRoots again.
// Only regular files are blobs: reading a FIFO, device, socket or directory
// fails with ErrNotRegular (a directory also with ErrNotFound, as a
// "folder" is not a blob in Azure either), checked on the opened file,
// which is opened without blocking, so a FIFO never hangs a read.
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
	// base is the folder names are joined onto: the root of NewLocal, "/"
	// for NewLocalRoots.
	base string
	// roots are the folders (absolute, clean, none inside another) paths
	// must lie under; real holds each one's symlink-free form, when it
	// differs, so references through either spelling are served.
	roots []localRoot
}

type localRoot struct{ path, real string }

// ErrOutsideRoots is returned (wrapped) when a local path is not under a
// root of its Local store, or reaches out of it through a symbolic link.
// It wraps ErrBadRef.
var ErrOutsideRoots = fmt.Errorf("%w: local path outside the configured roots", ErrBadRef)

// ErrNotRegular is returned (wrapped) when a local path names something
// other than a regular file: a directory, FIFO, device or socket.
var ErrNotRegular = errors.New("datastore: not a regular file")

// NewLocal returns a Local store rooted at root: names are relative to
// root, and nothing outside it (even through a symbolic link) is served.
// NewLocal("/") serves the whole file system: use NewLocalRoots for data
// references a starter can choose.
func NewLocal(root string) *Local {
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	root = filepath.Clean(root)
	return &Local{base: root, roots: []localRoot{newLocalRoot(root)}}
}

// NewLocalRoots returns a Local store for file:// references (Resolver's
// Local) that serves only paths under the given folders. Relative roots are
// taken from the working directory; empty ones are skipped; a root inside
// another adds nothing. With no root, every local path is refused. A root
// need not exist yet: reads under it are ErrNotFound, and the first write
// under it creates it.
func NewLocalRoots(roots ...string) *Local {
	var clean []string
	for _, r := range roots {
		if strings.TrimSpace(r) == "" {
			continue
		}
		if abs, err := filepath.Abs(r); err == nil {
			clean = append(clean, filepath.Clean(abs))
		}
	}
	// Shortest first, so a root inside an earlier one is dropped.
	sort.Slice(clean, func(i, j int) bool { return len(clean[i]) < len(clean[j]) })
	l := &Local{base: string(filepath.Separator)}
	for _, r := range clean {
		inside := false
		for _, have := range l.roots {
			if _, ok := under(have.path, r); ok {
				inside = true
				break
			}
		}
		if !inside {
			l.roots = append(l.roots, newLocalRoot(r))
		}
	}
	return l
}

func newLocalRoot(p string) localRoot {
	r := localRoot{path: p}
	if real, err := filepath.EvalSymlinks(p); err == nil && real != p {
		r.real = real
	}
	return r
}

// Roots returns the folders the store serves.
func (l *Local) Roots() []string {
	out := make([]string, len(l.roots))
	for i, r := range l.roots {
		out[i] = r.path
	}
	return out
}

// under returns p relative to root when p is root or below it.
func under(root, p string) (string, bool) {
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return "", false
	}
	return rel, true
}

const (
	sidecarSuffix = ".dsmeta"
	tempMarker    = ".dstmp-"
	lockName      = ".dslock"
	maxSidecar    = 1 << 20
)

func reserved(base string) bool {
	return base == lockName || strings.HasPrefix(base, ".") &&
		(strings.HasSuffix(base, sidecarSuffix) || strings.Contains(base, tempMarker))
}

// file maps (container, name) to a root and the path relative to it,
// rejecting names that would escape the container, collide with the
// store's own files, or lie outside every root.
func (l *Local) file(containerName, name string) (localRoot, string, error) {
	if err := checkContainer(containerName); err != nil {
		return localRoot{}, "", err
	}
	if name == "" || checkSegments(name) != nil {
		return localRoot{}, "", fmt.Errorf("%w: blob name %q in %q: empty, '.' or '..' segment", ErrBadRef, name, containerName)
	}
	if reserved(path.Base(name)) {
		return localRoot{}, "", fmt.Errorf("%w: blob name %q in %q is reserved by the local store", ErrBadRef, name, containerName)
	}
	return l.locate(filepath.Join(l.base, containerName, filepath.FromSlash(name)))
}

func checkContainer(containerName string) error {
	if containerName != "" && (strings.Contains(containerName, "/") || checkSegments(containerName) != nil) {
		return fmt.Errorf("%w: local container %q", ErrBadRef, containerName)
	}
	return nil
}

// locate finds the root abs lies under.
func (l *Local) locate(abs string) (localRoot, string, error) {
	for _, r := range l.roots {
		if rel, ok := under(r.path, abs); ok {
			return r, rel, nil
		}
		if r.real != "" {
			if rel, ok := under(r.real, abs); ok {
				return r, rel, nil
			}
		}
	}
	return localRoot{}, "", fmt.Errorf("%w: %s (roots: %s)", ErrOutsideRoots, abs, strings.Join(l.Roots(), string(filepath.ListSeparator)))
}

// open opens root r; with create, a missing root folder is made first.
func (r localRoot) open(create bool) (*os.Root, error) {
	root, err := os.OpenRoot(r.path)
	if err != nil && create && errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(r.path, 0o755); err == nil {
			root, err = os.OpenRoot(r.path)
		}
	}
	return root, err
}

func sidecarPath(p string) string {
	return filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+sidecarSuffix)
}

func where(containerName, name string) string { return containerName + "/" + name }

// regular refuses anything but a regular file.
func regular(fi os.FileInfo) error {
	switch {
	case fi.IsDir():
		return fmt.Errorf("%w (a directory): %w", ErrNotRegular, ErrNotFound)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%w (mode %s)", ErrNotRegular, fi.Mode().Type())
	}
	return nil
}

// Read opens the blob's file beneath its root, refusing anything but a
// regular file; the reader is the file itself.
func (l *Local) Read(ctx context.Context, containerName, name string) (io.ReadCloser, Info, error) {
	lr, rel, err := l.file(containerName, name)
	if err != nil {
		return nil, Info{}, err
	}
	root, err := lr.open(false)
	if err != nil {
		return nil, Info{}, localErr("read", containerName, name, err)
	}
	defer root.Close()
	// Open without blocking (a FIFO would wait for a writer), then check
	// what was opened. Only when the open fails is the path stat'ed, to
	// name what cannot be opened (a socket: ENXIO) as not regular.
	f, err := root.OpenFile(rel, openReadFlags, 0)
	if err != nil {
		if fi, serr := root.Stat(rel); serr == nil {
			if rerr := regular(fi); rerr != nil {
				err = rerr
			}
		}
		return nil, Info{}, localErr("read", containerName, name, err)
	}
	fi, err := f.Stat()
	if err == nil {
		err = regular(fi)
	}
	if err != nil {
		f.Close()
		return nil, Info{}, localErr("read", containerName, name, err)
	}
	return f, infoOf(name, root, rel, fi), nil
}

// Stat returns the blob's Info.
func (l *Local) Stat(ctx context.Context, containerName, name string) (Info, error) {
	lr, rel, err := l.file(containerName, name)
	if err != nil {
		return Info{}, err
	}
	root, err := lr.open(false)
	if err != nil {
		return Info{}, localErr("stat", containerName, name, err)
	}
	defer root.Close()
	fi, err := root.Stat(rel)
	if err == nil {
		err = regular(fi)
	}
	if err != nil {
		return Info{}, localErr("stat", containerName, name, err)
	}
	return infoOf(name, root, rel, fi), nil
}

// Write streams r into a temporary file, then, under the folder lock,
// checks the condition and renames the file and its sidecar into place.
func (l *Local) Write(ctx context.Context, containerName, name string, r io.Reader, opts WriteOptions) (ETag, error) {
	lr, rel, err := l.file(containerName, name)
	if err != nil {
		return "", err
	}
	if err := checkMetadata(opts.Metadata); err != nil {
		return "", fmt.Errorf("datastore: write %s: %w", where(containerName, name), err)
	}
	root, err := lr.open(true)
	if err != nil {
		return "", localErr("write", containerName, name, err)
	}
	defer root.Close()
	dir := filepath.Dir(rel)
	if err := root.MkdirAll(dir, 0o755); err != nil {
		return "", localErr("write", containerName, name, err)
	}
	tmp, fi, err := writeTemp(ctx, root, rel, r)
	if err != nil {
		return "", localErr("write", containerName, name, err)
	}
	defer root.Remove(tmp) // no-op after a successful rename
	sc := sidecar{ETag: ETag(randomHex(16)), ContentType: opts.ContentType, Metadata: opts.Metadata}
	sc.setFile(fi)
	scTmp := sidecarPath(tmp)
	if err := writeSidecar(root, scTmp, sc); err != nil {
		return "", localErr("write", containerName, name, err)
	}
	defer root.Remove(scTmp)

	unlock, err := lockDir(root, dir)
	if err != nil {
		return "", localErr("lock", containerName, name, err)
	}
	defer unlock()
	if err := checkCondition(root, rel, opts); err != nil {
		return "", fmt.Errorf("datastore: write %s: %w", where(containerName, name), err)
	}
	if err := root.Rename(tmp, rel); err != nil {
		return "", localErr("write", containerName, name, err)
	}
	if err := root.Rename(scTmp, sidecarPath(rel)); err != nil {
		return "", localErr("write", containerName, name, err)
	}
	return sc.ETag, nil
}

// checkCondition runs under the folder lock.
func checkCondition(root *os.Root, rel string, opts WriteOptions) error {
	if !opts.IfNoneMatch && opts.IfMatch == "" {
		return nil
	}
	fi, err := root.Stat(rel)
	exists := err == nil && !fi.IsDir()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	switch {
	case opts.IfNoneMatch && exists:
		return fmt.Errorf("blob exists: %w", ErrPreconditionFailed)
	case opts.IfMatch != "" && !exists:
		return fmt.Errorf("blob does not exist (if-match %s): %w", opts.IfMatch, ErrPreconditionFailed)
	case opts.IfMatch != "" && currentSidecar(root, rel, fi).ETag != opts.IfMatch:
		return fmt.Errorf("etag is not %s: %w", opts.IfMatch, ErrPreconditionFailed)
	}
	return nil
}

// writeTemp copies r into a new temporary file beside rel and returns its
// name and stat.
func writeTemp(ctx context.Context, root *os.Root, rel string, r io.Reader) (string, os.FileInfo, error) {
	var f *os.File
	var tmp string
	var err error
	for range 10 {
		tmp = filepath.Join(filepath.Dir(rel), "."+filepath.Base(rel)+tempMarker+randomHex(8))
		f, err = root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return "", nil, err
	}
	_, err = io.Copy(f, ctxReader{ctx, r})
	if err == nil {
		err = f.Sync()
	}
	var fi os.FileInfo
	if err == nil {
		fi, err = f.Stat()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		root.Remove(tmp)
		return "", nil, err
	}
	return tmp, fi, nil
}

// Delete removes the blob and its sidecar under the folder lock.
func (l *Local) Delete(ctx context.Context, containerName, name string) error {
	lr, rel, err := l.file(containerName, name)
	if err != nil {
		return err
	}
	root, err := lr.open(false)
	if err != nil {
		return localErr("delete", containerName, name, err)
	}
	defer root.Close()
	unlock, err := lockDir(root, filepath.Dir(rel))
	if err != nil {
		return localErr("delete", containerName, name, err)
	}
	defer unlock()
	if fi, err := root.Lstat(rel); err == nil && fi.IsDir() {
		return localErr("delete", containerName, name, fs.ErrNotExist)
	}
	if err := root.Remove(rel); err != nil {
		return localErr("delete", containerName, name, err)
	}
	_ = root.Remove(sidecarPath(rel))
	return nil
}

// List walks the container's folder below prefix, beneath its root; it
// lists regular files only, and follows no symbolic link.
func (l *Local) List(ctx context.Context, containerName, prefix string) ([]Info, error) {
	if err := checkContainer(containerName); err != nil {
		return nil, err
	}
	base := filepath.Join(l.base, containerName)
	start := base
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		if checkSegments(prefix[:i]) != nil {
			return nil, fmt.Errorf("%w: list prefix %q", ErrBadRef, prefix)
		}
		start = filepath.Join(base, filepath.FromSlash(prefix[:i]))
	}
	lr, startRel, err := l.locate(start)
	if err != nil {
		return nil, err
	}
	root, err := lr.open(false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("datastore: list %s: %w", where(containerName, prefix+"*"), err)
	}
	defer root.Close()
	var out []Info
	err = fs.WalkDir(root.FS(), filepath.ToSlash(startRel), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, _ := filepath.Rel(base, filepath.Join(lr.path, filepath.FromSlash(p)))
		name := filepath.ToSlash(rel)
		if d.IsDir() {
			if p != filepath.ToSlash(startRel) && !strings.HasPrefix(name+"/", prefix) && !strings.HasPrefix(prefix, name+"/") {
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
		out = append(out, infoOf(name, root, filepath.FromSlash(p), fi))
		return nil
	})
	if err != nil {
		return nil, localErr("list", containerName, prefix+"*", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// escapes reports an os.Root refusal: a path that leaves its root through
// a symbolic link (the error os.Root returns is not exported).
func escapes(err error) bool {
	return err != nil && strings.Contains(err.Error(), "path escapes from parent")
}

func localErr(op, containerName, name string, err error) error {
	switch {
	case escapes(err):
		return fmt.Errorf("datastore: %s %s: %w: a symbolic link leads out of the root", op, where(containerName, name), ErrOutsideRoots)
	case errors.Is(err, ErrNotRegular):
		return fmt.Errorf("datastore: %s %s: %w", op, where(containerName, name), err)
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
