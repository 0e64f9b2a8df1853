package ml

import (
	"errors"
	"fmt"
)

// ErrBadData is the sentinel matched by errors.Is for every *DataError.
var ErrBadData = errors.New("ml: bad data")

// ErrBadInput reports invalid arguments given to a classifier or helper
// (mismatched lengths, ragged rows, non-finite values, wrong dimension).
var ErrBadInput = errors.New("ml: bad input")

// ErrNotFitted is returned by Predict on a classifier that has not been fitted.
var ErrNotFitted = errors.New("ml: classifier not fitted")

// ErrUnknownModel is returned by New for an unknown model name.
var ErrUnknownModel = errors.New("ml: unknown model")

// DataError describes a problem in a data set. Line is the 1-based line of
// the input where the problem was found, or 0 if it concerns the data as a
// whole. errors.Is(err, ErrBadData) holds for every *DataError.
type DataError struct {
	Source string
	Line   int
	Msg    string
}

// Error formats the error as "source:line: msg" (or "source: msg" when Line is 0).
func (e *DataError) Error() string {
	src := e.Source
	if src == "" {
		src = "<input>"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", src, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", src, e.Msg)
}

// Is reports whether target is ErrBadData.
func (e *DataError) Is(target error) bool { return target == ErrBadData }

func badInput(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, args...))
}
