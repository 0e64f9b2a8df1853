package failure_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/extstore"
	"github.com/temporal-ml/runctx-pipeline/internal/failure"
	"github.com/temporal-ml/runctx-pipeline/internal/snapshot"
	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/registry"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// TestClassify is the classification table: each sentinel of the
// datastore, the registry, ml and runctx, wrapped as a step would wrap it,
// and whether Temporal may retry it.
func TestClassify(t *testing.T) {
	tests := []struct {
		err       error
		retryable bool
		typ       string
	}{
		{datastore.ErrOutsideRoots, false, failure.TypeOutsideRoots},
		{datastore.ErrBadRef, false, failure.TypeBadReference},
		{datastore.ErrNotRegular, false, failure.TypeNotRegularFile},
		{fmt.Errorf("%w (a directory): %w", datastore.ErrNotRegular, datastore.ErrNotFound), false, failure.TypeNotRegularFile},
		{datastore.ErrNotFound, false, failure.TypeNotFound},
		{datastore.ErrPreconditionFailed, true, ""},
		{extstore.ErrTooLarge, false, failure.TypeTooLarge},
		{snapshot.ErrTooLarge, false, failure.TypeTooLarge},
		{snapshot.ErrInvalid, false, failure.TypeInvalid},
		{snapshot.ErrCorrupt, false, failure.TypeBadData},
		{&ml.DataError{Source: "x.csv", Line: 3, Msg: "short row"}, false, failure.TypeBadData},
		{ml.ErrBadData, false, failure.TypeBadData},
		{ml.ErrBadInput, false, failure.TypeBadData},
		{ml.ErrBadParam, false, failure.TypeBadParameter},
		{ml.ErrUnknownModel, false, failure.TypeBadParameter},
		{ml.ErrBadModel, false, failure.TypeBadModel},
		{ml.ErrNotFitted, false, failure.TypeBadModel},
		{registry.ErrCorrupt, false, failure.TypeBadData},
		{registry.ErrPropertyExists, false, failure.TypePropertyExists},
		{runctx.ErrPropertyExists, false, failure.TypePropertyExists},
		{runctx.ErrInvalid, false, failure.TypeInvalid},
		{runctx.ErrNoPlugin, false, failure.TypeNoPlugin},
		{context.DeadlineExceeded, true, ""},
		{errors.New("dial tcp 127.0.0.1:10000: connection refused"), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			wrapped := fmt.Errorf("data azblob://c/x.csv: %w", tt.err)
			got := failure.Classify(wrapped)
			var app *temporal.ApplicationError
			isApp := errors.As(got, &app)
			if tt.retryable {
				assert.Same(t, wrapped, got, "a transient error is left to the retry policy")
				assert.True(t, failure.Of(wrapped).Retryable())
				return
			}
			require.True(t, isApp, "%v is not an application error", got)
			assert.True(t, app.NonRetryable(), "permanent: one attempt")
			assert.Equal(t, tt.typ, app.Type())
			assert.Contains(t, app.Message(), wrapped.Error(), "the message is the whole error")
			assert.ErrorIs(t, got, tt.err, "the sentinel stays inspectable")
		})
	}
}

func TestClassifyOutsideRootsSaysWhoseSetting(t *testing.T) {
	err := failure.Classify(fmt.Errorf("data file:///tmp/x.csv: %w: /tmp/x.csv (roots: /srv/app/data)", datastore.ErrOutsideRoots))
	var app *temporal.ApplicationError
	require.ErrorAs(t, err, &app)
	assert.Contains(t, app.Message(), "/srv/app/data")
	assert.Contains(t, app.Message(), "this worker's")
	assert.Contains(t, app.Message(), "PIPELINE_LOCAL_ROOTS")
	assert.Contains(t, app.Message(), "starter data upload")
}

func TestClassifyKeepsAuthorsChoice(t *testing.T) {
	for _, err := range []error{
		nil,
		temporal.NewApplicationError("retry me", "Mine"),
		temporal.NewNonRetryableApplicationError("bad", "BadData", nil),
		temporal.NewCanceledError(),
	} {
		assert.Equal(t, err, failure.Classify(err))
	}
}
