// Package failure decides, in one place, which errors of a pipeline's steps
// another attempt can fix. An error that matches (errors.Is) one of the
// sentinels of Permanent is returned to Temporal as a non-retryable
// application error of that sentinel's type, so the pipeline fails at once
// with one attempt; every other error (storage unreachable, throttled, a
// timeout, a lost conditional write) is left to the step's retry policy.
package failure

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/extstore"
	"github.com/temporal-ml/runctx-pipeline/internal/settings"
	"github.com/temporal-ml/runctx-pipeline/internal/snapshot"
	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/registry"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// Application error types of permanent failures, as the Web UI and
// `starter` show them.
const (
	TypeOutsideRoots   = "OutsideRoots"
	TypeBadReference   = "BadReference"
	TypeNotRegularFile = "NotRegularFile"
	TypeNotFound       = "NotFound"
	TypeTooLarge       = "TooLarge"
	TypeBadData        = "BadData"
	TypeBadParameter   = "BadParameter"
	TypeBadModel       = "BadModel"
	TypePropertyExists = "PropertyExists"
	TypeInvalid        = "Invalid"
	TypeNoPlugin       = "NoPlugin"
)

// EnvLocalRoots is the worker setting that confines file:// references;
// the message of an ErrOutsideRoots refusal names it.
const EnvLocalRoots = settings.EnvLocalRoots

// A Class is one sentinel error and how a step's failure that matches it
// is reported.
type Class struct {
	// Err is the sentinel, matched with errors.Is.
	Err error
	// Type is the application error type; empty means retryable.
	Type string
	// Hint, when set, is appended to the message: what the user can do.
	Hint string
}

// Retryable reports whether another attempt may fix an error of the class.
func (c Class) Retryable() bool { return c.Type == "" }

// Permanent lists the sentinels in the order they are matched: a more
// specific sentinel (ErrOutsideRoots wraps ErrBadRef, a directory is
// ErrNotRegular and ErrNotFound) comes before the one it wraps.
var Permanent = []Class{
	{Err: datastore.ErrOutsideRoots, Type: TypeOutsideRoots,
		Hint: "the roots are this worker's: add the file's folder to its " + EnvLocalRoots + ", or upload the file with 'starter data upload'"},
	{Err: datastore.ErrBadRef, Type: TypeBadReference},
	{Err: datastore.ErrNotRegular, Type: TypeNotRegularFile},
	{Err: datastore.ErrNotFound, Type: TypeNotFound},
	{Err: extstore.ErrTooLarge, Type: TypeTooLarge},
	{Err: snapshot.ErrTooLarge, Type: TypeTooLarge},
	{Err: snapshot.ErrInvalid, Type: TypeInvalid},
	{Err: snapshot.ErrCorrupt, Type: TypeBadData},
	{Err: ml.ErrBadData, Type: TypeBadData},
	{Err: ml.ErrBadInput, Type: TypeBadData},
	{Err: ml.ErrBadParam, Type: TypeBadParameter},
	{Err: ml.ErrUnknownModel, Type: TypeBadParameter},
	{Err: ml.ErrBadModel, Type: TypeBadModel},
	{Err: ml.ErrNotFitted, Type: TypeBadModel},
	{Err: registry.ErrCorrupt, Type: TypeBadData},
	{Err: registry.ErrPropertyExists, Type: TypePropertyExists},
	{Err: runctx.ErrPropertyExists, Type: TypePropertyExists},
	{Err: runctx.ErrInvalid, Type: TypeInvalid},
	{Err: runctx.ErrNoPlugin, Type: TypeNoPlugin},
}

// Transient lists sentinels that are retried on purpose, for the table
// test and the README: a lost conditional write is read again and retried.
var Transient = []Class{
	{Err: datastore.ErrPreconditionFailed},
}

// Of returns the class of err: the first of Permanent it matches, or a
// retryable class.
func Of(err error) Class {
	for _, c := range Permanent {
		if errors.Is(err, c.Err) {
			return c
		}
	}
	return Class{Err: err}
}

// Classify returns err as Temporal should see it: a non-retryable
// application error when err is permanent (its message is err's, with the
// class's hint), err itself otherwise. An error that already is an
// application error, or a cancellation, is returned unchanged: its
// author chose.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) || temporal.IsCanceledError(err) {
		return err
	}
	c := Of(err)
	if c.Retryable() {
		return err
	}
	msg := err.Error()
	if c.Hint != "" {
		msg = fmt.Sprintf("%s; %s", msg, c.Hint)
	}
	return temporal.NewNonRetryableApplicationError(msg, c.Type, err)
}
