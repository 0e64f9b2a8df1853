package ml

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestLoadCSVFixture(t *testing.T) {
	d, err := LoadCSV(strings.NewReader(irisFixture), "iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.X) != 30 || len(d.Y) != 30 {
		t.Fatalf("got %d rows, %d labels; want 30", len(d.X), len(d.Y))
	}
	if want := []string{"setosa", "versicolor", "virginica"}; !slices.Equal(d.Classes, want) {
		t.Errorf("classes %v, want %v", d.Classes, want)
	}
	if !slices.Equal(d.Features, DefaultFeatures) {
		t.Errorf("features %v", d.Features)
	}
	if !slices.Equal(d.X[0], []float64{5.1, 3.5, 1.4, 0.2}) || d.Y[0] != 0 || d.Y[10] != 1 || d.Y[29] != 2 {
		t.Errorf("row 0 = %v/%d, y[10]=%d y[29]=%d", d.X[0], d.Y[0], d.Y[10], d.Y[29])
	}
	if d.Source != "iris.csv" {
		t.Errorf("source %q", d.Source)
	}
}

func TestLoadCSVForms(t *testing.T) {
	plain := "5.1,3.5,1.4,0.2,Iris-setosa\n7.0,3.2,4.7,1.4,Iris-versicolor"
	tests := []struct {
		name, in string
		features []string
	}{
		{"plain", plain, DefaultFeatures},
		{"final newline", plain + "\n", DefaultFeatures},
		{"crlf", strings.ReplaceAll(plain, "\n", "\r\n") + "\r\n", DefaultFeatures},
		{"trailing blank lines", plain + "\n\n  \n\r\n", DefaultFeatures},
		{"short labels", "5.1,3.5,1.4,0.2,setosa\n7.0,3.2,4.7,1.4,versicolor", DefaultFeatures},
		{"mixed case prefix", "5.1,3.5,1.4,0.2,IRIS-setosa\n7.0,3.2,4.7,1.4,iris-versicolor", DefaultFeatures},
		{"header", "sl,sw,pl,pw,species\n" + plain, []string{"sl", "sw", "pl", "pw", "species"}},
		{"header crlf", "a,b,c,d,e\r\n" + strings.ReplaceAll(plain, "\n", "\r\n"), []string{"a", "b", "c", "d", "e"}},
		{"spaces", " 5.1, 3.5 ,1.4,0.2 , Iris-setosa\n7.0,3.2,4.7,1.4,Iris-versicolor", DefaultFeatures},
	}
	var hashes []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := LoadCSV(strings.NewReader(tt.in), "x.csv")
			if err != nil {
				t.Fatal(err)
			}
			if len(d.X) != 2 || !slices.Equal(d.Y, []int{0, 1}) {
				t.Fatalf("rows %d labels %v", len(d.X), d.Y)
			}
			if !slices.Equal(d.Classes, []string{"setosa", "versicolor"}) {
				t.Errorf("classes %v", d.Classes)
			}
			if !slices.Equal(d.X[1], []float64{7.0, 3.2, 4.7, 1.4}) {
				t.Errorf("row 1 %v", d.X[1])
			}
			if !slices.Equal(d.Features, tt.features) {
				t.Errorf("features %v, want %v", d.Features, tt.features)
			}
			hashes = append(hashes, Hash(d))
		})
	}
	for _, h := range hashes {
		if h != hashes[0] {
			t.Errorf("hash differs across equivalent inputs: %s vs %s", h, hashes[0])
		}
	}
}

func TestLoadCSVClassOrder(t *testing.T) {
	// Labels are indexed by sorted name, not by first appearance.
	in := "1,1,1,1,virginica\n2,2,2,2,setosa\n3,3,3,3,versicolor\n"
	d, err := LoadCSV(strings.NewReader(in), "x")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Y, []int{2, 0, 1}) {
		t.Errorf("y = %v, want [2 0 1]", d.Y)
	}
}

func TestLoadCSVErrors(t *testing.T) {
	ok := "5.1,3.5,1.4,0.2,Iris-setosa\n"
	tests := []struct {
		name, in string
		line     int
		msg      string
	}{
		{"empty", "", 0, "empty file"},
		{"blank only", "\n\n", 0, "empty file"},
		{"header only", "a,b,c,d,e\n", 0, "no data rows"},
		{"short row", ok + ok + "7.0,3.2,4.7,Iris-versicolor\n", 3, "expected 5 fields, got 4"},
		{"long row", ok + "7.0,3.2,4.7,1.4,1.0,Iris-versicolor\n", 2, "expected 5 fields, got 6"},
		{"non-numeric", ok + "7.0,abc,4.7,1.4,Iris-versicolor", 2, "not a number"},
		{"nan", ok + "7.0,NaN,4.7,1.4,Iris-versicolor", 2, "not a finite number"},
		{"inf", ok + "7.0,3.2,+Inf,1.4,Iris-versicolor", 2, "not a finite number"},
		{"empty label", ok + "7.0,3.2,4.7,1.4,\n", 2, "empty class label"},
		{"one class", ok + ok + "4.9,3.0,1.4,0.2,setosa", 0, "only one class"},
		{"one row", ok, 0, "only one class"},
		{"header short", "a,b,c,d\n" + ok, 2, "expected 4 fields, got 5"},
		{"bare quote", ok + "7.0,3\"2,4.7,1.4,setosa\n", 2, "bare \""},
		{"label only", "setosa\nversicolor\n", 1, "want numeric features and a label"},
		{"label not in header", "a,b,species\n1,2,x\n", 1, `no column "class"`},
		{"blank lines counted", "\n\n" + ok + "1,2\n", 4, "expected 5 fields, got 2"},
		{"crlf line numbers", strings.ReplaceAll(ok+ok+"x,1,1,1,setosa\n", "\n", "\r\n"), 3, "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := LoadOptions{}
			if strings.HasPrefix(tt.in, "a,b,species") {
				opt.Label = "class"
			}
			_, err := LoadCSVWith(strings.NewReader(tt.in), "iris.csv", opt)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrBadData) {
				t.Errorf("errors.Is(%v, ErrBadData) = false", err)
			}
			var de *DataError
			if !errors.As(err, &de) {
				t.Fatalf("not a *DataError: %T", err)
			}
			if de.Line != tt.line || de.Source != "iris.csv" || !strings.Contains(de.Msg, tt.msg) {
				t.Errorf("got %+v, want line %d msg containing %q", de, tt.line, tt.msg)
			}
		})
	}
}

func TestDataErrorFormat(t *testing.T) {
	e := &DataError{Source: "iris.csv", Line: 7, Msg: "expected 5 fields, got 4"}
	if got := e.Error(); got != "iris.csv:7: expected 5 fields, got 4" {
		t.Errorf("got %q", got)
	}
	e = &DataError{Source: "iris.csv", Msg: "only one class"}
	if got := e.Error(); got != "iris.csv: only one class" {
		t.Errorf("got %q", got)
	}
}

func TestHash(t *testing.T) {
	a, _ := LoadCSV(strings.NewReader(irisFixture), "a")
	b, _ := LoadCSV(strings.NewReader(irisFixture+"\n"), "b")
	if Hash(a) != Hash(b) || len(Hash(a)) != 64 {
		t.Errorf("hashes %s %s", Hash(a), Hash(b))
	}
	c, _ := LoadCSV(strings.NewReader(strings.Replace(irisFixture, "5.1,3.5", "5.1,3.6", 1)), "c")
	if Hash(a) == Hash(c) {
		t.Error("changed value, same hash")
	}
	if Hash(nil) == "" {
		t.Error("empty hash of nil")
	}
}

func TestLoadCSVAnyTable(t *testing.T) {
	in := "\ufeff\"id\",\"x, y\",z\r\n\"b\",1,2\r\n\"a\", 3 ,\"4\"\r\n\"b\",5,6"
	d, err := LoadCSVWith(strings.NewReader(in), "t.csv", LoadOptions{Label: "id"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Features, []string{"x, y", "z", "id"}) || !slices.Equal(d.Classes, []string{"a", "b"}) ||
		!slices.Equal(d.Y, []int{1, 0, 1}) || !slices.Equal(d.X[1], []float64{3, 4}) {
		t.Errorf("%+v", d)
	}
	// Numeric labels sort by value, as pandas reads them and numpy sorts them.
	d, err = LoadCSV(strings.NewReader("1,10\n2,2\n3,1\n4,10"), "n.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Classes, []string{"1", "2", "10"}) || !slices.Equal(d.Y, []int{2, 1, 0, 2}) ||
		!slices.Equal(d.Features, []string{"f1", "class"}) {
		t.Errorf("%+v", d)
	}
	var b strings.Builder
	for i := range MaxClasses + 1 {
		fmt.Fprintf(&b, "%d,c%d\n", i, i)
	}
	if _, err := LoadCSV(strings.NewReader(b.String()), "many.csv"); !errors.Is(err, ErrBadData) ||
		!strings.Contains(err.Error(), "more than the limit of 1000") {
		t.Errorf("1001 classes: %v", err)
	}
}
