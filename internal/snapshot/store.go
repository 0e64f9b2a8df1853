package snapshot

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// Folder is the folder of the runs root that holds snapshots:
// <runs>/.snapshots/<hash>.tar.gz.
const Folder = ".snapshots"

// manifestName is the archive's first entry.
const manifestName = ".snapshot.json"

var hashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Ref returns where the snapshot of hash is kept under runs.
func Ref(runs datastore.Ref, hash string) (datastore.Ref, error) {
	if !hashRE.MatchString(hash) {
		return datastore.Ref{}, fmt.Errorf("%w: snapshot %q: want 64 hex digits", datastore.ErrBadRef, hash)
	}
	return runs.Join(Folder, hash+".tar.gz"), nil
}

// Upload stores the snapshot of dir (its manifest m, from Scan) under
// runs, once: a snapshot already there is not written again. It returns
// the snapshot's reference.
func Upload(ctx context.Context, store datastore.Resolver, runs datastore.Ref, dir string, m *Manifest) (datastore.Ref, error) {
	ref, err := Ref(runs, m.Hash)
	if err != nil {
		return ref, err
	}
	if _, err := store.Stat(ctx, ref); err == nil {
		return ref, nil
	} else if !errors.Is(err, datastore.ErrNotFound) {
		return ref, fmt.Errorf("snapshot %s: %w", m.Hash, err)
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(write(pw, dir, m)) }()
	_, err = store.Write(ctx, ref, pr, datastore.WriteOptions{ContentType: "application/gzip", IfNoneMatch: true})
	pr.CloseWithError(err)
	if err != nil && !errors.Is(err, datastore.ErrPreconditionFailed) {
		return ref, fmt.Errorf("snapshot %s: upload: %w", m.Hash, err)
	}
	return ref, nil
}

// write writes the archive: the manifest, then each file, checked against
// the manifest as it is read (a file that changed since Scan fails).
func write(w io.Writer, dir string, m *Manifest) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	if _, err := tw.Write(b); err != nil {
		return err
	}
	for _, f := range m.Files {
		if err := writeFile(tw, dir, f); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

func writeFile(tw *tar.Writer, dir string, f File) error {
	fh, err := os.Open(filepath.Join(dir, filepath.FromSlash(f.Name)))
	if err != nil {
		return err
	}
	defer fh.Close()
	mode := int64(0o644)
	if f.Exec {
		mode = 0o755
	}
	if err := tw.WriteHeader(&tar.Header{Name: f.Name, Mode: mode, Size: f.Size, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tw, h), io.LimitReader(fh, f.Size)); err != nil {
		return err
	}
	if hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		return fmt.Errorf("snapshot: %s changed while it was uploaded", f.Name)
	}
	return nil
}

// Fetch returns the folder under cache that holds the snapshot of hash,
// fetching it from runs when it is not cached: every file is checked
// against the manifest and the manifest against hash before the folder is
// used, so a cached folder is always a whole, verified snapshot.
func Fetch(ctx context.Context, store datastore.Resolver, runs datastore.Ref, hash, cache string) (string, *Manifest, error) {
	ref, err := Ref(runs, hash)
	if err != nil {
		return "", nil, err
	}
	dir := filepath.Join(cache, hash)
	if m, err := readManifest(cache, hash); err == nil {
		return dir, m, nil
	}
	rc, _, err := store.Read(ctx, ref)
	if err != nil {
		return "", nil, fmt.Errorf("snapshot %s: %w", hash, err)
	}
	defer rc.Close()
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", nil, err
	}
	tmp, err := os.MkdirTemp(cache, hash+".part-")
	if err != nil {
		return "", nil, err
	}
	defer os.RemoveAll(tmp)
	m, err := extract(rc, tmp)
	if err != nil {
		return "", nil, fmt.Errorf("snapshot %s: %w", hash, err)
	}
	if m.Hash != hash {
		return "", nil, fmt.Errorf("%w: snapshot %s holds %s", ErrCorrupt, hash, m.Hash)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Another step of this worker fetched it first, or a fetch
		// stopped before its manifest was written: take the whole one.
		if m2, err2 := readManifest(cache, hash); err2 == nil {
			return dir, m2, nil
		}
		if err := os.RemoveAll(dir); err != nil {
			return "", nil, err
		}
		if err := os.Rename(tmp, dir); err != nil {
			return "", nil, err
		}
	}
	// The manifest beside the folder says the folder is whole.
	b, err := json.Marshal(m)
	if err != nil {
		return "", nil, err
	}
	if err := writeAtomic(filepath.Join(cache, hash+".json"), b); err != nil {
		return "", nil, err
	}
	return dir, m, nil
}

// extract unpacks an archive into dir: the manifest first, then exactly
// its files, each of its size and digest; nothing else.
func extract(r io.Reader, dir string) (*Manifest, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	tr := tar.NewReader(zr)
	hdr, err := tr.Next()
	if err != nil || hdr.Name != manifestName || hdr.Size > 4<<20 {
		return nil, fmt.Errorf("%w: no manifest", ErrCorrupt)
	}
	var m Manifest
	if err := json.NewDecoder(io.LimitReader(tr, hdr.Size)).Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: manifest: %w", ErrCorrupt, err)
	}
	if len(m.Files) > MaxFiles {
		return nil, fmt.Errorf("%w: %d files", ErrTooLarge, len(m.Files))
	}
	want := m.Hash
	if m.hash() != want {
		return nil, fmt.Errorf("%w: manifest", ErrCorrupt)
	}
	var total int64
	for _, f := range m.Files {
		hdr, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, f.Name, err)
		}
		if hdr.Name != f.Name || hdr.Typeflag != tar.TypeReg || hdr.Size != f.Size || checkName(f.Name) != nil {
			return nil, fmt.Errorf("%w: entry %q where the manifest lists %q", ErrCorrupt, hdr.Name, f.Name)
		}
		if total += f.Size; total > MaxBytes {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxBytes)
		}
		if err := extractFile(tr, dir, f); err != nil {
			return nil, err
		}
	}
	if _, err := tr.Next(); err != io.EOF {
		return nil, fmt.Errorf("%w: entries beyond the manifest", ErrCorrupt)
	}
	return &m, nil
}

func extractFile(r io.Reader, dir string, f File) error {
	p := filepath.Join(dir, filepath.FromSlash(f.Name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	mode := os.FileMode(0o444)
	if f.Exec {
		mode = 0o555
	}
	out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	h := sha256.New()
	_, err = io.Copy(io.MultiWriter(out, h), io.LimitReader(r, f.Size))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if hex.EncodeToString(h.Sum(nil)) != f.SHA256 {
		return fmt.Errorf("%w: %s", ErrCorrupt, f.Name)
	}
	return nil
}

// readManifest reads the manifest a verified fetch of hash left in cache.
func readManifest(cache, hash string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(cache, hash+".json"))
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m.Hash != hash {
		return nil, fmt.Errorf("%w: cached manifest of %s", ErrCorrupt, hash)
	}
	return &m, nil
}

func writeAtomic(p string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(p), filepath.Base(p)+".part-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}
