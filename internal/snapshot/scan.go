// Package snapshot keeps a script step's source directory the way Azure ML
// keeps a run's snapshot: once, content-addressed, without what .amlignore
// (or else .gitignore) excludes, and bounded by Azure ML's limits (300 MB,
// 2,000 files). A starter uploads one with Upload; the worker that runs the
// step fetches it by its hash with Fetch, verifies every file, and caches it.
package snapshot

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/format/gitignore"
)

// Azure ML's limits of a run's snapshot.
const (
	MaxBytes = 300 << 20
	MaxFiles = 2000
)

// ErrTooLarge is returned (wrapped) when a source directory holds more
// than MaxFiles files or MaxBytes bytes, after what its ignore files
// exclude.
var ErrTooLarge = errors.New("snapshot: over the limits")

// ErrInvalid is returned (wrapped) for a source directory that cannot be a
// snapshot: missing, not a directory, a symbolic link or special file in
// it, a name that is not portable.
var ErrInvalid = errors.New("snapshot: invalid source directory")

// ErrCorrupt is returned (wrapped) when a fetched snapshot does not match
// its hash.
var ErrCorrupt = errors.New("snapshot: content does not match its hash")

// File is one file of a snapshot.
type File struct {
	// Name is the slash-separated path under the source directory.
	Name string `json:"name"`
	Size int64  `json:"size"`
	// SHA256 is the hex digest of the content.
	SHA256 string `json:"sha256"`
	// Exec is set for a file with an execute bit.
	Exec bool `json:"exec,omitempty"`
}

// Manifest lists a snapshot's files, sorted by name; Hash names the
// snapshot: the SHA-256 of the names, modes and contents.
type Manifest struct {
	Hash  string `json:"hash"`
	Files []File `json:"files"`
	Bytes int64  `json:"bytes"`
}

// Names returns the snapshot's file names.
func (m *Manifest) Names() []string {
	names := make([]string, len(m.Files))
	for i, f := range m.Files {
		names[i] = f.Name
	}
	return names
}

// ignoreFiles are read in this order in each folder: the first present
// one applies, as in Azure ML (.amlignore wins over .gitignore).
var ignoreFiles = []string{".amlignore", ".gitignore"}

// Scan reads dir into a manifest: every regular file not excluded by an
// .amlignore (or else .gitignore) file of its folder or a folder above,
// and never .git/. It refuses symbolic links and special files, and a
// directory over MaxFiles files or MaxBytes bytes, with the numbers.
func Scan(dir string) (*Manifest, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a directory", ErrInvalid, dir)
	}
	var (
		patterns []gitignore.Pattern
		m        Manifest
	)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if rel == "." {
			parts = nil
		}
		if d.IsDir() {
			if d.Name() == ".git" || (parts != nil && gitignore.NewMatcher(patterns).Match(parts, true)) {
				return filepath.SkipDir
			}
			more, err := readIgnore(p, parts)
			patterns = append(patterns, more...)
			return err
		}
		if gitignore.NewMatcher(patterns).Match(parts, false) {
			return nil
		}
		name := filepath.ToSlash(rel)
		if !d.Type().IsRegular() {
			return fmt.Errorf("%w: %s is a %s, not a regular file (exclude it in .amlignore)", ErrInvalid, name, kind(d.Type()))
		}
		if err := checkName(name); err != nil {
			return err
		}
		f, err := hashFile(p)
		if err != nil {
			return err
		}
		f.Name = name
		m.Files = append(m.Files, f)
		m.Bytes += f.Size
		if len(m.Files) > MaxFiles {
			return fmt.Errorf("%w: more than %d files in %s", ErrTooLarge, MaxFiles, dir)
		}
		if m.Bytes > MaxBytes {
			return fmt.Errorf("%w: more than %d bytes (%d MB) in %s", ErrTooLarge, MaxBytes, MaxBytes>>20, dir)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	m.Hash = m.hash()
	return &m, nil
}

// readIgnore parses the first ignore file of folder p, whose path under
// the source directory is domain.
func readIgnore(p string, domain []string) ([]gitignore.Pattern, error) {
	for _, name := range ignoreFiles {
		f, err := os.Open(filepath.Join(p, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		defer f.Close()
		var ps []gitignore.Pattern
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := strings.TrimRight(sc.Text(), "\r")
			if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
				continue
			}
			ps = append(ps, gitignore.ParsePattern(line, slices.Clone(domain)))
		}
		return ps, sc.Err()
	}
	return nil, nil
}

func kind(t fs.FileMode) string {
	switch {
	case t&fs.ModeSymlink != 0:
		return "symbolic link"
	case t&fs.ModeNamedPipe != 0:
		return "FIFO"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// checkName refuses a name that cannot be recreated safely on the worker.
func checkName(name string) error {
	if name == "" || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\\x00") {
		return fmt.Errorf("%w: file name %q", ErrInvalid, name)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: file name %q", ErrInvalid, name)
		}
	}
	return nil
}

func hashFile(p string) (File, error) {
	f, err := os.Open(p)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return File{}, err
	}
	return File{Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Exec: fi.Mode()&0o111 != 0}, nil
}

// hash is the snapshot's name: the SHA-256 of one line per file, in name
// order, of its name, mode, size and digest.
func (m *Manifest) hash() string {
	slices.SortFunc(m.Files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	h := sha256.New()
	for _, f := range m.Files {
		mode := 0o644
		if f.Exec {
			mode = 0o755
		}
		fmt.Fprintf(h, "%q %o %d %s\n", f.Name, mode, f.Size, f.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}
