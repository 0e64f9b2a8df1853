package ml

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	d := synthIris(240, 5)
	test := synthIris(200, 6)
	for _, name := range Names {
		t.Run(name, func(t *testing.T) {
			c, err := NewWithSeed(name, 3)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Fit(d.X, d.Y); err != nil {
				t.Fatal(err)
			}
			want, err := c.Predict(test.X)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := Save(&buf, name, c, d); err != nil {
				t.Fatal(err)
			}
			m, c2, err := Load(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if m.Type != name || m.DataHash != Hash(d) || !slices.Equal(m.Classes, d.Classes) || !slices.Equal(m.Features, d.Features) {
				t.Errorf("model header %+v", m)
			}
			got, err := c2.Predict(test.X)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Error("loaded model predicts differently")
			}
			// Marshal is deterministic and a second round trip is stable.
			b1, _ := Marshal(name, c, d)
			b2, _ := Marshal(name, c2, d)
			if !bytes.Equal(b1, b2) {
				t.Error("re-marshalled model differs")
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct{ name, in string }{
		{"not json", "hello"},
		{"unknown type", `{"type":"XGB","params":{}}`},
		{"no params", `{"type":"LR"}`},
		{"unfitted", `{"type":"NB","params":{}}`},
		{"unknown field", `{"type":"NB","params":{"bogus":1}}`},
		{"cart cycle", `{"type":"CART","params":{"classes":[0,1],"feature":[0],"threshold":[0],"left":[0],"right":[0],"value":[0],"n_features":1}}`},
		{"svm bad index", `{"type":"SVM","params":{"classes":[0,1],"n_features":1,"gamma_fitted":1,"sv":[[1]],"pairs":[{"pos":0,"neg":1,"index":[3],"coef":[1],"rho":0}]}}`},
		{"knn bad label", `{"type":"KNN","params":{"k":5,"classes":[0],"x":[[1]],"y":[4]}}`},
		{"lda ragged", `{"type":"LDA","params":{"classes":[0,1],"coef":[[1],[1,2]],"intercept":[0,0]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Load(strings.NewReader(tt.in))
			if !errors.Is(err, ErrBadModel) {
				t.Errorf("err = %v, want ErrBadModel", err)
			}
		})
	}
}

func TestMarshalErrors(t *testing.T) {
	c := &GaussianNB{}
	if _, err := Marshal("LR", c, nil); err == nil {
		t.Error("type mismatch accepted")
	}
	if _, err := Marshal("NB", nil, nil); err == nil {
		t.Error("nil classifier accepted")
	}
}

func TestNew(t *testing.T) {
	for _, name := range Names {
		c, err := New(name)
		if err != nil || c == nil {
			t.Errorf("New(%q): %v", name, err)
		}
		if got, _ := nameOf(c); got != name {
			t.Errorf("New(%q) is %s", name, got)
		}
		if _, err := c.Predict([][]float64{{1}}); !errors.Is(err, ErrNotFitted) {
			t.Errorf("%s unfitted Predict: %v", name, err)
		}
		if err := c.Fit(nil, nil); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s Fit(nil): %v", name, err)
		}
		if err := c.Fit([][]float64{{1}, {2}}, []int{0}); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s Fit mismatched: %v", name, err)
		}
		if err := c.Fit([][]float64{{1}, {2}}, []int{0, -1}); !errors.Is(err, ErrBadInput) {
			t.Errorf("%s Fit negative label: %v", name, err)
		}
	}
	if _, err := New("XGB"); !errors.Is(err, ErrUnknownModel) {
		t.Errorf("New(XGB): %v", err)
	}
	if !slices.Equal(Names, []string{"LR", "LDA", "KNN", "CART", "NB", "SVM"}) {
		t.Errorf("Names = %v", Names)
	}
}

func TestSingleClassFit(t *testing.T) {
	// A training set with one class predicts that class, without panicking.
	for _, name := range Names {
		c, _ := New(name)
		if err := c.Fit([][]float64{{1, 2}, {3, 4}}, []int{2, 2}); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		pred, err := c.Predict([][]float64{{0, 0}})
		if err != nil || pred[0] != 2 {
			t.Errorf("%s: pred %v err %v", name, pred, err)
		}
	}
}
