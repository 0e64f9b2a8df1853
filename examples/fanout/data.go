package fanout

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/ml"
)

// MaxDataBytes is the largest CSV or model file a step reads; a larger one
// is refused before it is parsed.
const MaxDataBytes = 16 << 20

// readCSV reads and parses the CSV behind a data reference. Bad references
// and bad data are not retried; storage errors are.
func (a *Activities) readCSV(ctx context.Context, data string) (*ml.Dataset, error) {
	b, err := a.readRef(ctx, "data", data)
	if err != nil {
		return nil, err
	}
	ds, err := ml.LoadCSV(bytes.NewReader(b), data)
	if err != nil {
		return nil, badData(err)
	}
	return ds, nil
}

// readRef reads the file behind a reference (what names it in errors), up
// to MaxDataBytes: a bad reference, a missing file or a larger one is bad
// data, never retried; storage errors are retried.
func (a *Activities) readRef(ctx context.Context, what, s string) ([]byte, error) {
	ref, err := datastore.ParseRef(s)
	if err != nil {
		return nil, badData(err)
	}
	rc, _, err := a.Data.Read(ctx, ref)
	if errors.Is(err, datastore.ErrNotFound) {
		return nil, badData(fmt.Errorf("%s %s: %w", what, s, err))
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, s, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, MaxDataBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, s, err)
	}
	if len(b) > MaxDataBytes {
		return nil, badData(fmt.Errorf("%s %s: larger than %d bytes", what, s, MaxDataBytes))
	}
	return b, nil
}

// writeCSV returns the given rows of d as a CSV with a header, which
// ml.LoadCSV reads back.
func writeCSV(d *ml.Dataset, rows []int) (*bytes.Buffer, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write(d.Features); err != nil {
		return nil, err
	}
	rec := make([]string, ml.NumFeatures+1)
	for _, i := range rows {
		for j, v := range d.X[i] {
			rec[j] = strconv.FormatFloat(v, 'g', -1, 64)
		}
		rec[ml.NumFeatures] = d.Classes[d.Y[i]]
		if err := w.Write(rec); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return &buf, w.Error()
}

// relabel returns the labels of d as indices into classes (those of the
// training set), which may hold classes d lacks.
func relabel(d *ml.Dataset, classes []string) ([]int, error) {
	index := make(map[string]int, len(classes))
	for i, c := range classes {
		index[c] = i
	}
	y := make([]int, len(d.Y))
	for i, c := range d.Y {
		j, ok := index[d.Classes[c]]
		if !ok {
			return nil, fmt.Errorf("%s: class %q is not in the training set", d.Source, d.Classes[c])
		}
		y[i] = j
	}
	return y, nil
}
