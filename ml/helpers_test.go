package ml

import (
	"math"
	"math/rand/v2"
	"strings"
)

// irisFixture is a 30-row excerpt in the form of the original project's
// file: no header, "Iris-" labels, no final newline.
var irisFixture = strings.Join([]string{
	"5.1,3.5,1.4,0.2,Iris-setosa",
	"4.9,3.0,1.4,0.2,Iris-setosa",
	"4.7,3.2,1.3,0.2,Iris-setosa",
	"4.6,3.1,1.5,0.2,Iris-setosa",
	"5.0,3.6,1.4,0.2,Iris-setosa",
	"5.4,3.9,1.7,0.4,Iris-setosa",
	"4.6,3.4,1.4,0.3,Iris-setosa",
	"5.0,3.4,1.5,0.2,Iris-setosa",
	"4.4,2.9,1.4,0.2,Iris-setosa",
	"4.9,3.1,1.5,0.1,Iris-setosa",
	"7.0,3.2,4.7,1.4,Iris-versicolor",
	"6.4,3.2,4.5,1.5,Iris-versicolor",
	"6.9,3.1,4.9,1.5,Iris-versicolor",
	"5.5,2.3,4.0,1.3,Iris-versicolor",
	"6.5,2.8,4.6,1.5,Iris-versicolor",
	"5.7,2.8,4.5,1.3,Iris-versicolor",
	"6.3,3.3,4.7,1.6,Iris-versicolor",
	"4.9,2.4,3.3,1.0,Iris-versicolor",
	"6.6,2.9,4.6,1.3,Iris-versicolor",
	"5.2,2.7,3.9,1.4,Iris-versicolor",
	"6.3,3.3,6.0,2.5,Iris-virginica",
	"5.8,2.7,5.1,1.9,Iris-virginica",
	"7.1,3.0,5.9,2.1,Iris-virginica",
	"6.3,2.9,5.6,1.8,Iris-virginica",
	"6.5,3.0,5.8,2.2,Iris-virginica",
	"7.6,3.0,6.6,2.1,Iris-virginica",
	"4.9,2.5,4.5,1.7,Iris-virginica",
	"7.3,2.9,6.3,1.8,Iris-virginica",
	"6.7,2.5,5.8,1.8,Iris-virginica",
	"7.2,3.6,6.1,2.5,Iris-virginica",
}, "\n")

// Published per-class means and standard deviations of Fisher's iris data
// (setosa, versicolor, virginica; sepal length, sepal width, petal length,
// petal width).
var (
	irisMeans = [3][4]float64{
		{5.006, 3.428, 1.462, 0.246},
		{5.936, 2.770, 4.260, 1.326},
		{6.588, 2.974, 5.552, 2.026},
	}
	irisStds = [3][4]float64{
		{0.352, 0.379, 0.174, 0.105},
		{0.516, 0.314, 0.470, 0.198},
		{0.636, 0.322, 0.552, 0.275},
	}
)

// synthIris returns n rows of iris-shaped data: three Gaussian classes in
// 4D with iris's per-class means and standard deviations, rows cycling
// through the classes, from a fixed seed.
func synthIris(n int, seed uint64) *Dataset {
	r := rand.New(rand.NewPCG(seed, 42))
	d := &Dataset{Classes: []string{"setosa", "versicolor", "virginica"},
		Features: DefaultFeatures, Source: "synthetic"}
	for i := range n {
		c := r.IntN(3)
		row := make([]float64, 4)
		for j := range row {
			row[j] = irisMeans[c][j] + irisStds[c][j]*r.NormFloat64()
		}
		d.X = append(d.X, row)
		d.Y = append(d.Y, c)
		_ = i
	}
	return d
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
