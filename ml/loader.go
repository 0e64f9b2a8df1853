package ml

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// DefaultFeatures are the column names used when the CSV has no header row.
var DefaultFeatures = []string{"sepal-length", "sepal-width", "petal-length", "petal-width", "class"}

// Dataset is a loaded iris-shaped data set: four numeric features and a class.
// Y holds indices into Classes, which is sorted (as sklearn's LabelEncoder).
// Features holds the five column names (header names, or DefaultFeatures).
type Dataset struct {
	X        [][]float64
	Y        []int
	Classes  []string
	Features []string
	Source   string
}

// NumFeatures is the number of numeric columns in an iris CSV.
const NumFeatures = 4

// LoadCSV reads an iris CSV (sepal-length, sepal-width, petal-length,
// petal-width, class) from r. source names the input in error messages.
//
// A header row is accepted if it is the first non-blank row and none of its
// first four fields is a number. Class labels "Iris-setosa" and "setosa" are
// the same class (a case-insensitive "Iris-" prefix is removed). CRLF line
// endings, a missing final newline and blank lines are tolerated. Errors are
// *DataError values and match ErrBadData.
func LoadCSV(r io.Reader, source string) (*Dataset, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	d := &Dataset{Source: source}
	var labels []string
	line := 0
	seenRow := false
	for sc.Scan() {
		line++
		text := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if text == "" {
			continue
		}
		fields := strings.Split(text, ",")
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		first := !seenRow
		seenRow = true
		if first && isHeader(fields) {
			if len(fields) != NumFeatures+1 {
				return nil, &DataError{source, line, "header: expected 5 fields, got " + strconv.Itoa(len(fields))}
			}
			d.Features = fields
			continue
		}
		if len(fields) != NumFeatures+1 {
			return nil, &DataError{source, line, "expected 5 fields, got " + strconv.Itoa(len(fields))}
		}
		row := make([]float64, NumFeatures)
		for j := 0; j < NumFeatures; j++ {
			v, err := strconv.ParseFloat(fields[j], 64)
			if err != nil {
				return nil, &DataError{source, line, "field " + strconv.Itoa(j+1) + ": not a number: " + strconv.Quote(fields[j])}
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, &DataError{source, line, "field " + strconv.Itoa(j+1) + ": not a finite number: " + strconv.Quote(fields[j])}
			}
			row[j] = v
		}
		lab := normalizeLabel(fields[NumFeatures])
		if lab == "" {
			return nil, &DataError{source, line, "empty class label"}
		}
		d.X = append(d.X, row)
		labels = append(labels, lab)
	}
	if err := sc.Err(); err != nil {
		return nil, &DataError{source, line + 1, "read: " + err.Error()}
	}
	if !seenRow {
		return nil, &DataError{source, 0, "empty file"}
	}
	if len(d.X) == 0 {
		return nil, &DataError{source, 0, "no data rows"}
	}
	if d.Features == nil {
		d.Features = slices.Clone(DefaultFeatures)
	}
	d.Classes = slices.Clone(labels)
	slices.Sort(d.Classes)
	d.Classes = slices.Compact(d.Classes)
	if len(d.Classes) < 2 {
		return nil, &DataError{source, 0, "only one class"}
	}
	d.Y = make([]int, len(labels))
	for i, l := range labels {
		d.Y[i], _ = slices.BinarySearch(d.Classes, l)
	}
	return d, nil
}

// isHeader reports whether none of the first four fields parses as a number.
func isHeader(fields []string) bool {
	n := min(len(fields), NumFeatures)
	if n == 0 {
		return false
	}
	for _, f := range fields[:n] {
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
// with the four features in shortest round-trip decimal form and the
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
