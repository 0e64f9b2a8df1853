package script

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/temporal-ml/runctx-pipeline/internal/snapshot"
)

// Limits of a source directory: a snapshot's (Azure ML's for a run's
// source), whether it came as a snapshot or lies on the worker.
const (
	MaxSourceBytes = snapshot.MaxBytes
	MaxSourceFiles = snapshot.MaxFiles
)

// Roots are the folders of a worker under which script sources may lie
// (PIPELINE_SCRIPT_ROOTS). A source is refused when its path has a ".."
// segment, is not under a root, or reaches out of its root through a
// symbolic link (the copy opens every file beneath the root, os.Root).
type Roots []string

// locate returns the root that holds source (an absolute path) and
// source's path relative to it.
func (rs Roots) locate(source string) (string, string, error) {
	if source == "" {
		return "", "", fmt.Errorf("%w: empty source directory", ErrBadSource)
	}
	if !filepath.IsAbs(source) {
		return "", "", fmt.Errorf("%w: source directory %q must be an absolute path", ErrBadSource, source)
	}
	for _, seg := range strings.Split(filepath.ToSlash(source), "/") {
		if seg == ".." {
			return "", "", fmt.Errorf("%w: source directory %q has a \"..\" segment", ErrBadSource, source)
		}
	}
	source = filepath.Clean(source)
	for _, r := range rs {
		if r == "" {
			continue
		}
		root, err := filepath.Abs(r)
		if err != nil {
			continue
		}
		root = filepath.Clean(root)
		rel, err := filepath.Rel(root, source)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return root, rel, nil
		}
	}
	if len(rs) == 0 {
		return "", "", fmt.Errorf("%w: source directory %s: no script roots are configured", ErrOutsideRoots, source)
	}
	return "", "", fmt.Errorf("%w: source directory %s is not under %s", ErrOutsideRoots, source, strings.Join(rs, ", "))
}

// CheckSource refuses a source directory the roots do not hold, without
// copying it.
func (rs Roots) CheckSource(source string) error {
	_, _, err := rs.locate(source)
	return err
}

// copySource copies the folder source (under one of roots) into dst,
// which exists: regular files and folders, and symbolic links that stay
// inside the root (as what they point to). Anything else, a link out of
// the root, or more than MaxSourceFiles files or MaxSourceBytes bytes is
// refused (ErrBadSource, ErrOutsideRoots).
func copySource(roots Roots, source, dst string) error {
	rootDir, rel, err := roots.locate(source)
	if err != nil {
		return err
	}
	root, err := os.OpenRoot(rootDir)
	if err != nil {
		return fmt.Errorf("%w: open script root %s: %w", ErrBadSource, rootDir, err)
	}
	defer root.Close()
	fi, err := root.Stat(rel)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: source directory %s does not exist", ErrBadSource, source)
	case err != nil:
		return sourceErr(source, err)
	case !fi.IsDir():
		return fmt.Errorf("%w: source directory %s is not a folder", ErrBadSource, source)
	}
	var files int
	var size int64
	return fs.WalkDir(root.FS(), filepath.ToSlash(rel), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return sourceErr(source, err)
		}
		out := filepath.Join(dst, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(p, filepath.ToSlash(rel)), "/")))
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		info, err := root.Stat(p) // follows a link, beneath the root only
		if err != nil {
			return sourceErr(source+": "+p, err)
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%w: %s in source directory %s is not a regular file or folder", ErrBadSource, p, source)
		}
		files++
		size += info.Size()
		if files > MaxSourceFiles || size > MaxSourceBytes {
			return fmt.Errorf("%w: source directory %s is over the limits of %d files and %d bytes", ErrBadSource, source, MaxSourceFiles, MaxSourceBytes)
		}
		return copyFile(root, p, out, info.Mode().Perm())
	})
}

// sourceErr says why a path of a source could not be read; a path that
// escapes its root is ErrOutsideRoots.
func sourceErr(what string, err error) error {
	if strings.Contains(err.Error(), "path escapes from parent") {
		return fmt.Errorf("%w: %s: a symbolic link leads out of the root: %w", ErrOutsideRoots, what, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrBadSource, what, err)
}

func copyFile(root *os.Root, p, out string, perm fs.FileMode) error {
	in, err := root.Open(p)
	if err != nil {
		return sourceErr(p, err)
	}
	defer in.Close()
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm|0o600)
	if err != nil {
		return fmt.Errorf("script: copy source: %w", err)
	}
	if _, err := io.Copy(f, in); err != nil {
		f.Close()
		return fmt.Errorf("script: copy source %s: %w", p, err)
	}
	return f.Close()
}
