package ml

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// DefaultFeatures are the column names of an iris CSV without a header row.
var DefaultFeatures = []string{"sepal-length", "sepal-width", "petal-length", "petal-width", "class"}

// Limits of LoadCSV: a data set larger than these is refused before its
// rows are kept.
const (
	MaxRows     = 1_000_000  // data rows
	MaxFeatures = 1_000      // numeric feature columns
	MaxCells    = 20_000_000 // rows × features (160 MB of float64)
	MaxClasses  = 1_000      // distinct labels
)

// Dataset is a loaded table: numeric features and a class label per row.
// Y holds indices into Classes, which is sorted as scikit-learn's
// LabelEncoder sorts the labels pandas reads: by value when every label is a
// number, else as text. Features holds the column names, the label's last
// (header names, or DefaultFeatures for a headerless 4-feature file, or
// f1…fN and class).
type Dataset struct {
	X        [][]float64
	Y        []int
	Classes  []string
	Features []string
	Source   string
}

// NumFeatures is the number of numeric columns in an iris CSV.
const NumFeatures = 4

// LoadOptions controls LoadCSVWith.
type LoadOptions struct {
	// Label names the label column, which the file's header must have.
	// Empty (the default) means the last column.
	Label string
}

// LoadCSV reads a CSV of numeric feature columns with the class label last
// from r; it is LoadCSVWith(r, source, LoadOptions{}).
func LoadCSV(r io.Reader, source string) (*Dataset, error) {
	return LoadCSVWith(r, source, LoadOptions{})
}

// LoadCSVWith reads a CSV of numeric feature columns and one class label
// column (the last, or the one opt.Label names) from r. source names the
// input in error messages.
//
// The first non-blank row is a header when none of its fields is a number.
// Every row must have as many fields as the first. Fields are read by
// encoding/csv, so they may be quoted; surrounding spaces are removed. A
// UTF-8 byte order mark, CRLF line endings, a missing final newline and
// blank lines are accepted. A case-insensitive "Iris-" prefix is removed
// from labels, so the original project's "Iris-setosa" is "setosa". There
// must be 2 to MaxClasses classes, and at most MaxRows rows, MaxFeatures
// features and MaxCells values. Errors are *DataError values that match
// ErrBadData and name the line and the field.
func LoadCSVWith(r io.Reader, source string, opt LoadOptions) (*Dataset, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	d := &Dataset{Source: source}
	var labels []string
	width, label := 0, -1
	seenRow := false
	lastLine := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &DataError{source, pe.Line, fmt.Sprintf("column %d: %v", pe.Column, pe.Err)}
			}
			return nil, &DataError{source, lastLine + 1, "read: " + err.Error()}
		}
		line, _ := cr.FieldPos(0)
		lastLine = line
		blank := true
		for i := range rec {
			rec[i] = strings.TrimSpace(rec[i])
			blank = blank && rec[i] == ""
		}
		if blank {
			continue
		}
		if !seenRow {
			seenRow = true
			width = len(rec)
			if width < 2 {
				return nil, &DataError{source, line, fmt.Sprintf("%d field: want numeric features and a label", width)}
			}
			if width-1 > MaxFeatures {
				return nil, &DataError{source, line, fmt.Sprintf("%d feature columns, more than the limit of %d", width-1, MaxFeatures)}
			}
			label = width - 1
			header := isHeader(rec)
			if opt.Label != "" {
				if !header {
					return nil, &DataError{source, line, fmt.Sprintf("label column %q named, but the file has no header row", opt.Label)}
				}
				label = slices.Index(rec, opt.Label)
				if label < 0 {
					return nil, &DataError{source, line, fmt.Sprintf("header has no column %q (columns %s)", opt.Label, strings.Join(rec, ", "))}
				}
			}
			if header {
				d.Features = append(slices.Delete(slices.Clone(rec), label, label+1), rec[label])
				continue
			}
		}
		if len(rec) != width {
			return nil, &DataError{source, line, fmt.Sprintf("expected %d fields, got %d", width, len(rec))}
		}
		if len(d.X) == MaxRows {
			return nil, &DataError{source, line, fmt.Sprintf("more than %d data rows", MaxRows)}
		}
		if (len(d.X)+1)*(width-1) > MaxCells {
			return nil, &DataError{source, line, fmt.Sprintf("more than %d values (rows × features)", MaxCells)}
		}
		row := make([]float64, 0, width-1)
		for j, f := range rec {
			if j == label {
				continue
			}
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				if ne, ok := err.(*strconv.NumError); ok && errors.Is(ne.Err, strconv.ErrRange) {
					return nil, &DataError{source, line, fmt.Sprintf("field %d: not a finite number: %q", j+1, f)}
				}
				return nil, &DataError{source, line, fmt.Sprintf("field %d: not a number: %q", j+1, f)}
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, &DataError{source, line, fmt.Sprintf("field %d: not a finite number: %q", j+1, f)}
			}
			row = append(row, v)
		}
		lab := normalizeLabel(rec[label])
		if lab == "" {
			return nil, &DataError{source, line, fmt.Sprintf("field %d: empty class label", label+1)}
		}
		d.X = append(d.X, row)
		labels = append(labels, lab)
	}
	if !seenRow {
		return nil, &DataError{source, 0, "empty file"}
	}
	if len(d.X) == 0 {
		return nil, &DataError{source, 0, "no data rows"}
	}
	if d.Features == nil {
		if width == NumFeatures+1 {
			d.Features = slices.Clone(DefaultFeatures)
		} else {
			for j := 1; j < width; j++ {
				d.Features = append(d.Features, "f"+strconv.Itoa(j))
			}
			d.Features = append(d.Features, "class")
		}
	}
	d.Classes = sortLabels(labels)
	if len(d.Classes) < 2 {
		return nil, &DataError{source, 0, "only one class"}
	}
	if len(d.Classes) > MaxClasses {
		return nil, &DataError{source, 0, fmt.Sprintf("%d classes, more than the limit of %d", len(d.Classes), MaxClasses)}
	}
	index := make(map[string]int, len(d.Classes))
	for i, c := range d.Classes {
		index[c] = i
	}
	d.Y = make([]int, len(labels))
	for i, l := range labels {
		d.Y[i] = index[l]
	}
	return d, nil
}

// sortLabels returns the distinct labels, by numeric value when all are
// numbers (as pandas reads them and numpy sorts them), else as text.
func sortLabels(labels []string) []string {
	distinct := slices.Clone(labels)
	slices.Sort(distinct)
	distinct = slices.Compact(distinct)
	vals := make(map[string]float64, len(distinct))
	for _, l := range distinct {
		v, err := strconv.ParseFloat(l, 64)
		if err != nil || math.IsNaN(v) {
			return distinct
		}
		vals[l] = v
	}
	slices.SortStableFunc(distinct, func(a, b string) int { return cmp.Compare(vals[a], vals[b]) })
	return distinct
}

// isHeader reports whether none of the fields parses as a number.
func isHeader(fields []string) bool {
	for _, f := range fields {
		if _, err := strconv.ParseFloat(f, 64); err == nil {
			return false
		}
	}
	return true
}

// normalizeLabel removes a case-insensitive "Iris-" prefix.
func normalizeLabel(s string) string {
	const p = "iris-"
	if len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) {
		s = s[len(p):]
	}
	return strings.TrimSpace(s)
}

// Hash returns the hex SHA-256 of a canonical form of d: one line per row
// with the features in shortest round-trip decimal form and the
// (normalized) class name, comma separated, each line ending in "\n".
// Header names, the source and the line endings of the file do not matter.
func Hash(d *Dataset) string {
	h := sha256.New()
	if d == nil {
		return hex.EncodeToString(h.Sum(nil))
	}
	var buf []byte
	for i, row := range d.X {
		buf = buf[:0]
		for _, v := range row {
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
			buf = append(buf, ',')
		}
		if i < len(d.Y) && d.Y[i] >= 0 && d.Y[i] < len(d.Classes) {
			buf = append(buf, d.Classes[d.Y[i]]...)
		}
		buf = append(buf, '\n')
		h.Write(buf)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// subset returns the rows of X and y selected by idx (rows are shared, not copied).
func subset(X [][]float64, y []int, idx []int) ([][]float64, []int) {
	xs := make([][]float64, len(idx))
	ys := make([]int, len(idx))
	for k, i := range idx {
		xs[k] = X[i]
		ys[k] = y[i]
	}
	return xs, ys
}
