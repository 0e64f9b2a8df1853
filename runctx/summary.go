package runctx

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrNoTag is returned (wrapped) when a step's summary lacks a tag the
// workflow reads.
var ErrNoTag = errors.New("runctx: no such tag")

// Tag returns the value of one of the step's tags, or an error wrapping
// ErrNoTag that names the step.
func (s Summary) Tag(key string) (string, error) {
	v, ok := s.Tags[key]
	if !ok {
		return "", fmt.Errorf("%w: step %s has no tag %q", ErrNoTag, s.describe(), key)
	}
	return v, nil
}

// FloatTag returns one of the step's tags as a number; a missing tag wraps
// ErrNoTag, one that is not a number ErrInvalid.
func (s Summary) FloatTag(key string) (float64, error) {
	return parseTag(s, key, "a number", func(v string) (float64, error) { return strconv.ParseFloat(v, 64) })
}

// IntTag returns one of the step's tags as an integer.
func (s Summary) IntTag(key string) (int64, error) {
	return parseTag(s, key, "an integer", func(v string) (int64, error) { return strconv.ParseInt(v, 10, 64) })
}

// BoolTag returns one of the step's tags as a boolean.
func (s Summary) BoolTag(key string) (bool, error) {
	return parseTag(s, key, "a boolean", strconv.ParseBool)
}

func parseTag[T any](s Summary, key, want string, parse func(string) (T, error)) (T, error) {
	var zero T
	v, err := s.Tag(key)
	if err != nil {
		return zero, err
	}
	t, err := parse(v)
	if err != nil {
		return zero, fmt.Errorf("%w: step %s: tag %q = %q is not %s", ErrInvalid, s.describe(), key, v, want)
	}
	return t, nil
}

func (s Summary) describe() string {
	if s.RunID != "" {
		return s.RunID
	}
	if s.Name != "" {
		return s.Name
	}
	return "(no summary)"
}
