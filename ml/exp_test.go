package ml

import (
	"encoding/json"
	"math"
	"os"
	"strconv"
	"testing"
)

// TestExpGlibc checks expGlibc against glibc's exp itself: the values
// scripts/glibc_exp.py recorded from it.
func TestExpGlibc(t *testing.T) {
	b, err := os.ReadFile("testdata/glibc/exp.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ Args, Exp []string }
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Args) < 1000 || len(g.Args) != len(g.Exp) {
		t.Fatalf("%d arguments, %d values", len(g.Args), len(g.Exp))
	}
	differ := 0
	for i, s := range g.Args {
		x, err1 := strconv.ParseFloat(s, 64)
		want, err2 := strconv.ParseFloat(g.Exp[i], 64)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if got := expGlibc(x); math.Float64bits(got) != math.Float64bits(want) {
			if differ < 5 {
				t.Errorf("exp(%v) = %v, glibc %v", x, got, want)
			}
			differ++
		}
	}
	if differ > 0 {
		t.Errorf("%d of %d differ from glibc", differ, len(g.Args))
	}
}

func TestExpGlibcSpecial(t *testing.T) {
	for _, tc := range []struct{ x, want float64 }{
		{math.Inf(-1), 0}, {math.Inf(1), math.Inf(1)}, {800, math.Inf(1)}, {-800, 0}, {0, 1},
	} {
		if got := expGlibc(tc.x); got != tc.want {
			t.Errorf("exp(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
	if !math.IsNaN(expGlibc(math.NaN())) {
		t.Error("exp(NaN) is not NaN")
	}
}
