package ml

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func BenchmarkTrainAll(b *testing.B) {
	iris, err := LoadCSV(strings.NewReader(irisFixture), "fixture")
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		d    *Dataset
	}{
		{"iris", synthIris(150, 1)},
		{"fixture", iris},
		{"rows=10000", synthIris(10000, 1)},
		{"rows=100000", synthIris(100000, 1)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := TrainAll(c.d, DefaultOptions()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkFit(b *testing.B) {
	for _, name := range Names {
		for _, n := range []int{150, 10000, 100000} {
			d := synthIris(n, 1)
			b.Run(fmt.Sprintf("%s/rows=%d", name, n), func(b *testing.B) {
				for b.Loop() {
					c, _ := NewWithSeed(name, 1)
					if err := c.Fit(d.X, d.Y); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkKNNPredict measures 20k queries over 80k training rows.
func BenchmarkKNNPredict(b *testing.B) {
	train, test := synthIris(80000, 1), synthIris(20000, 2)
	m := NewKNN()
	if err := m.Fit(train.X, train.Y); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		m.tree = nil
		if _, err := m.Predict(test.X); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCARTDigits fits CART on the digits golden set (1797×64, ten
// classes, many constant pixels), the case closest to scikit-learn's time.
func BenchmarkCARTDigits(b *testing.B) {
	f, err := os.Open("testdata/golden/digits.csv")
	if err != nil {
		b.Fatal(err)
	}
	d, err := LoadCSV(f, "digits.csv")
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		m := &CART{Seed: DefaultSeed}
		if err := m.Fit(d.X, d.Y); err != nil {
			b.Fatal(err)
		}
	}
}
