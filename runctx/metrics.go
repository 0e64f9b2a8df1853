package runctx

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"time"
)

// Log records a scalar metric. Logging the same name again appends to its
// series, with the series index as the step. It does no I/O, and no
// allocation once the series has room.
func (r *Run) Log(name string, value float64) {
	// time.Since on a monotonic start reads only the monotonic clock, at
	// half the cost of time.Now.
	now := r.started.UnixNano() + int64(time.Since(r.started))
	r.mu.Lock()
	s := r.metrics[name]
	if s == nil {
		s = &series{}
		r.metrics[name] = s
	}
	s.add(value, now)
	r.mu.Unlock()
}

// LogList records a list of values under name, as Azure ML's log_list.
func (r *Run) LogList(name string, values []float64) error {
	if err := checkName("list", name); err != nil {
		return err
	}
	r.mu.Lock()
	r.lists[name] = append([]float64(nil), values...)
	r.mu.Unlock()
	return nil
}

// LogRow appends one row to the table name, as Azure ML's log_row: each
// column gets one value; a table's columns stay the same length.
func (r *Run) LogRow(name string, row map[string]any) error {
	if err := checkName("table", name); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tables[name]
	if t == nil {
		t = table{}
		r.tables[name] = t
	}
	rows := table(t).rows()
	for col := range row {
		if _, ok := t[col]; !ok && rows > 0 {
			return fmt.Errorf("%w: table %q: row adds column %q to %d existing rows", ErrInvalid, name, col, rows)
		}
	}
	for col := range t {
		if _, ok := row[col]; !ok {
			return fmt.Errorf("%w: table %q: row lacks column %q", ErrInvalid, name, col)
		}
	}
	for col, v := range row {
		t[col] = append(t[col], v)
	}
	return nil
}

// LogTable records a whole table given by columns, as Azure ML's log_table.
func (r *Run) LogTable(name string, columns map[string][]any) error {
	if err := checkName("table", name); err != nil {
		return err
	}
	t := table{}
	n := -1
	for col, vals := range columns {
		if n >= 0 && len(vals) != n {
			return fmt.Errorf("%w: table %q: column %q has %d values, others %d", ErrInvalid, name, col, len(vals), n)
		}
		n = len(vals)
		t[col] = append([]any(nil), vals...)
	}
	r.mu.Lock()
	r.tables[name] = t
	r.mu.Unlock()
	return nil
}

// table is a table stored by columns.
type table map[string][]any

func (t table) rows() int {
	for _, v := range t {
		return len(v)
	}
	return 0
}

// LogConfusionMatrix records a confusion matrix in Azure ML's schema. The
// matrix must be square with one row per label and no negative count.
func (r *Run) LogConfusionMatrix(name string, labels []string, matrix [][]int) error {
	if err := checkName("confusion matrix", name); err != nil {
		return err
	}
	if len(labels) == 0 || len(matrix) != len(labels) {
		return fmt.Errorf("%w: confusion matrix %q: %d rows for %d labels", ErrInvalid, name, len(matrix), len(labels))
	}
	m := make([][]int, len(matrix))
	for i, row := range matrix {
		if len(row) != len(labels) {
			return fmt.Errorf("%w: confusion matrix %q: row %d has %d columns, want %d", ErrInvalid, name, i, len(row), len(labels))
		}
		for j, v := range row {
			if v < 0 {
				return fmt.Errorf("%w: confusion matrix %q: negative count at [%d][%d]", ErrInvalid, name, i, j)
			}
		}
		m[i] = append([]int(nil), row...)
	}
	cm := ConfusionMatrix{SchemaType: "confusion_matrix", SchemaVersion: "1.0.0"}
	cm.Data.ClassLabels, cm.Data.Matrix = append([]string(nil), labels...), m
	r.mu.Lock()
	r.cms[name] = cm
	r.mu.Unlock()
	return nil
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

// LogImage stores a PNG image as an artifact of the run, as Azure ML's
// log_image, and records where it is.
func (r *Run) LogImage(ctx context.Context, name string, png []byte) error {
	if err := checkName("image", name); err != nil {
		return err
	}
	if !bytes.HasPrefix(png, pngMagic) {
		return fmt.Errorf("%w: image %q is not a PNG", ErrInvalid, name)
	}
	ref, err := r.Upload(ctx, "images/"+name+".png", "image/png", bytes.NewReader(png))
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.images[name] = ref
	r.mu.Unlock()
	return nil
}

// GetMetrics returns each scalar metric's series values, each list, in the
// form of Azure ML's get_metrics: a name with one value maps to that value's
// series of length one.
func (r *Run) GetMetrics() map[string][]float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string][]float64, len(r.metrics)+len(r.lists))
	for name, s := range r.metrics {
		out[name] = s.values()
	}
	for name, l := range r.lists {
		out[name] = append([]float64(nil), l...)
	}
	return out
}

// lastValues returns the last finite value of each scalar metric.
func (r *Run) lastValues() map[string]float64 {
	out := make(map[string]float64, len(r.metrics))
	for name, s := range r.metrics {
		if v := s.last(); !math.IsNaN(v) && !math.IsInf(v, 0) {
			out[name] = v
		}
	}
	return out
}
