package datastore

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// ErrBadRef is returned (wrapped) for a data reference, container name or
// path-segment name that is not allowed.
var ErrBadRef = errors.New("datastore: bad reference")

// Reference schemes.
const (
	SchemeAzblob = "azblob"
	SchemeFile   = "file"
)

// Ref is a parsed data reference: azblob://<container>/<path> or
// file:///<absolute path>.
type Ref struct {
	// Scheme is SchemeAzblob or SchemeFile.
	Scheme string
	// Container is the blob container (azblob only).
	Container string
	// Path is the blob name inside Container (azblob, no leading slash) or
	// the absolute, slash-separated file path (file).
	Path string
}

var (
	containerRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	nameRE      = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]{0,62}$`)
)

// ParseRef parses azblob://<container>/<path>, file:///<abs path>, or a bare
// path (a file; a relative path is resolved against the working directory).
// A trailing slash is dropped, so "azblob://c/runs/" names the folder "runs".
func ParseRef(s string) (Ref, error) { return parse(s, false) }

// ParsePrefix parses a reference to a folder to list or write under: as
// ParseRef, but azblob://<container> alone names the whole container.
func ParsePrefix(s string) (Ref, error) { return parse(s, true) }

func parse(s string, prefix bool) (Ref, error) {
	var r Ref
	switch {
	case strings.HasPrefix(s, "azblob://"):
		rest := strings.TrimPrefix(s, "azblob://")
		container, p, _ := strings.Cut(rest, "/")
		r = Ref{Scheme: SchemeAzblob, Container: container, Path: strings.TrimSuffix(p, "/")}
	case strings.HasPrefix(s, "file://"):
		p := strings.TrimPrefix(s, "file://")
		if !strings.HasPrefix(p, "/") {
			return Ref{}, fmt.Errorf("%w: %q: file reference must be file:///<absolute path> (no host)", ErrBadRef, s)
		}
		r = Ref{Scheme: SchemeFile, Path: trimSlash(p)}
	case strings.Contains(s, "://"):
		return Ref{}, fmt.Errorf("%w: %q: unknown scheme (want azblob:// or file://)", ErrBadRef, s)
	case s == "":
		return Ref{}, fmt.Errorf("%w: empty reference", ErrBadRef)
	default:
		if err := checkSegments(strings.TrimPrefix(filepath.ToSlash(s), "/")); err != nil {
			return Ref{}, fmt.Errorf("%w: %q: %v", ErrBadRef, s, err)
		}
		abs, err := filepath.Abs(s)
		if err != nil {
			return Ref{}, fmt.Errorf("%w: %q: %v", ErrBadRef, s, err)
		}
		r = Ref{Scheme: SchemeFile, Path: filepath.ToSlash(abs)}
	}
	if err := r.validate(prefix); err != nil {
		return Ref{}, fmt.Errorf("%w (in %q)", err, s)
	}
	return r, nil
}

// trimSlash drops one trailing slash but keeps the root "/".
func trimSlash(p string) string {
	if len(p) > 1 {
		return strings.TrimSuffix(p, "/")
	}
	return p
}

// Validate reports whether r is well formed: a known scheme, a valid
// container name and a non-empty azblob path, and no empty, "." or ".."
// path segments. Refs built by Join are checked here.
func (r Ref) Validate() error { return r.validate(false) }

// validate is Validate; a prefix may be a whole container (empty path).
func (r Ref) validate(prefix bool) error {
	switch r.Scheme {
	case SchemeAzblob:
		if err := ValidateContainer(r.Container); err != nil {
			return err
		}
		if r.Path == "" {
			if prefix {
				return nil
			}
			return fmt.Errorf("%w: azblob://%s: empty path", ErrBadRef, r.Container)
		}
		if err := checkSegments(r.Path); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrBadRef, r, err)
		}
	case SchemeFile:
		if r.Container != "" {
			return fmt.Errorf("%w: %s: file reference has a container", ErrBadRef, r)
		}
		if !strings.HasPrefix(r.Path, "/") {
			return fmt.Errorf("%w: %s: file path is not absolute", ErrBadRef, r)
		}
		if r.Path != "/" {
			if err := checkSegments(r.Path[1:]); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrBadRef, r, err)
			}
		}
	default:
		return fmt.Errorf("%w: unknown scheme %q", ErrBadRef, r.Scheme)
	}
	return nil
}

// checkSegments rejects empty, "." and ".." segments of a slash path.
func checkSegments(p string) error {
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "":
			return fmt.Errorf("empty path segment")
		case ".", "..":
			return fmt.Errorf("path segment %q not allowed", seg)
		}
	}
	return nil
}

// String returns the reference in URI form.
func (r Ref) String() string {
	if r.Scheme == SchemeFile {
		return "file://" + r.Path
	}
	if r.Path == "" {
		return r.Scheme + "://" + r.Container // a whole container (ParsePrefix)
	}
	return r.Scheme + "://" + r.Container + "/" + r.Path
}

// Join returns r with elem appended as further path segments. Slashes
// inside elem separate segments; empty segments are dropped. Join does not
// validate: a ".." element makes a Ref that Validate (and every Resolver
// method) rejects.
func (r Ref) Join(elem ...string) Ref {
	segs := []string{}
	if p := strings.Trim(r.Path, "/"); p != "" {
		segs = append(segs, p)
	}
	for _, e := range elem {
		for _, s := range strings.Split(e, "/") {
			if s != "" {
				segs = append(segs, s)
			}
		}
	}
	p := strings.Join(segs, "/")
	if r.Scheme == SchemeFile {
		p = "/" + p
	}
	r.Path = p
	return r
}

// ValidateContainer checks an Azure container name: 3–63 characters,
// lower-case letters, digits and single hyphens, starting and ending with a
// letter or digit.
func ValidateContainer(name string) error {
	if len(name) < 3 || len(name) > 63 || !containerRE.MatchString(name) {
		return fmt.Errorf("%w: container name %q: want 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit", ErrBadRef, name)
	}
	return nil
}

// ValidateName checks a name that becomes one blob path segment (an
// experiment or model name): 1–63 letters, digits, '-', '_' or '.', not
// starting with '.'. kind names what is checked, for the error message.
func ValidateName(kind, s string) error {
	if !nameRE.MatchString(s) {
		return fmt.Errorf("%w: %s name %q: want 1-63 letters, digits, '-', '_' or '.', not starting with '.'", ErrBadRef, kind, s)
	}
	return nil
}
