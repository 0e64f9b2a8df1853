package ml

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// ErrBadModel is returned by Load for a malformed or inconsistent model file.
var ErrBadModel = errors.New("ml: bad model file")

// Model is the JSON form of a fitted classifier: its type (one of Names),
// the class and feature names of the data it was trained on, the Hash of
// that data, and the classifier's fitted parameters.
type Model struct {
	Type     string          `json:"type"`
	Classes  []string        `json:"classes"`
	Features []string        `json:"features"`
	DataHash string          `json:"data_hash"`
	Params   json.RawMessage `json:"params"`
}

// Marshal returns the JSON model file for classifier c of type name, fitted
// on d (which may be nil if no data description is wanted).
func Marshal(name string, c Classifier, d *Dataset) ([]byte, error) {
	if c == nil {
		return nil, fmt.Errorf("ml: marshal %s: nil classifier", name)
	}
	got, ok := nameOf(c)
	if !ok {
		return nil, fmt.Errorf("%w: marshal: unsupported classifier type %T", ErrUnknownModel, c)
	}
	if got != name {
		return nil, fmt.Errorf("ml: marshal: classifier is %s, not %s", got, name)
	}
	params, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("ml: marshal %s: %w", name, err)
	}
	m := Model{Type: name, Params: params}
	if d != nil {
		m.Classes = slices.Clone(d.Classes)
		m.Features = slices.Clone(d.Features)
		m.DataHash = Hash(d)
	}
	b, err := json.Marshal(&m)
	if err != nil {
		return nil, fmt.Errorf("ml: marshal %s: %w", name, err)
	}
	return b, nil
}

// Save writes the JSON model file of Marshal to w.
func Save(w io.Writer, name string, c Classifier, d *Dataset) error {
	b, err := Marshal(name, c, d)
	if err != nil {
		return err
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("ml: save %s: %w", name, err)
	}
	return nil
}

// Load reads a model file written by Save and returns it together with the
// fitted classifier, which predicts exactly as the saved one. Errors match
// ErrBadModel.
func Load(r io.Reader) (*Model, Classifier, error) {
	var m Model
	dec := json.NewDecoder(r)
	if err := dec.Decode(&m); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBadModel, err)
	}
	c, err := New(m.Type)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBadModel, err)
	}
	if len(m.Params) == 0 {
		return nil, nil, fmt.Errorf("%w: %s: no parameters", ErrBadModel, m.Type)
	}
	pd := json.NewDecoder(bytes.NewReader(m.Params))
	pd.DisallowUnknownFields()
	if err := pd.Decode(c); err != nil {
		return nil, nil, fmt.Errorf("%w: %s parameters: %w", ErrBadModel, m.Type, err)
	}
	// A zero-row prediction exercises the parameter checks of every type.
	if _, err := c.Predict(nil); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrBadModel, m.Type, err)
	}
	return &m, c, nil
}
