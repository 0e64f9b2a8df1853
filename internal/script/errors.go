package script

import (
	"errors"
	"fmt"
)

// Kinds of error the bridge answers with its own status (PROTOCOL.md). A
// Recorder marks an error with one through WithKind, or wraps it with %w.
var (
	// ErrInvalid is a malformed request or value: 400 Invalid.
	ErrInvalid = errors.New("script: invalid")
	// ErrNotFound is a missing run, file or model: 404 NotFound.
	ErrNotFound = errors.New("script: not found")
	// ErrPropertyExists is a write-once property that would change: 409
	// PropertyExists.
	ErrPropertyExists = errors.New("script: property exists")
	// ErrTooLarge is a request, file or output over a documented limit:
	// 413 TooLarge.
	ErrTooLarge = errors.New("script: too large")
	// ErrNotImplemented is an operation this bridge does not serve: 501
	// NotImplemented.
	ErrNotImplemented = errors.New("script: not implemented")
)

// Errors of a step's set-up that another attempt cannot fix.
var (
	// ErrBadSource is returned (wrapped) for a source directory that is
	// missing, not a folder, holds what cannot be copied, or is over the
	// limits of SourceLimits.
	ErrBadSource = errors.New("script: bad source directory")
	// ErrOutsideRoots is returned (wrapped) for a source directory outside
	// the configured roots, or that reaches out of them through a symbolic
	// link. It wraps ErrBadSource.
	ErrOutsideRoots = fmt.Errorf("%w: outside the script roots", ErrBadSource)
	// ErrBadName is returned (wrapped) for an input or output name that
	// cannot be an environment variable's suffix and a folder name.
	ErrBadName = errors.New("script: bad data reference name")
)

// kindError is an error marked with a kind: its message is the error's,
// and errors.Is finds both.
type kindError struct {
	kind, err error
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

// WithKind returns err marked with kind (one of the Err… kinds above), so
// that the bridge answers with kind's status while the message stays err's.
// A nil err stays nil.
func WithKind(err, kind error) error {
	if err == nil {
		return nil
	}
	return &kindError{kind: kind, err: err}
}

// status is the HTTP status and protocol type of err.
func status(err error) (int, string) {
	switch {
	case errors.Is(err, ErrInvalid):
		return 400, "Invalid"
	case errors.Is(err, ErrNotFound):
		return 404, "NotFound"
	case errors.Is(err, ErrPropertyExists):
		return 409, "PropertyExists"
	case errors.Is(err, ErrTooLarge):
		return 413, "TooLarge"
	case errors.Is(err, ErrNotImplemented):
		return 501, "NotImplemented"
	}
	return 500, "Internal"
}
