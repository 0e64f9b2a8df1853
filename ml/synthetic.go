package ml

import "math/rand/v2"

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

// SyntheticIris returns n rows of iris-shaped data, for benchmarks: three
// Gaussian classes in 4D with iris's per-class means and standard
// deviations, from a fixed seed.
func SyntheticIris(n int, seed uint64) *Dataset {
	r := rand.New(rand.NewPCG(seed, 42))
	d := &Dataset{Classes: []string{"setosa", "versicolor", "virginica"},
		Features: DefaultFeatures, Source: "synthetic"}
	for range n {
		c := r.IntN(3)
		row := make([]float64, 4)
		for j := range row {
			row[j] = irisMeans[c][j] + irisStds[c][j]*r.NormFloat64()
		}
		d.X = append(d.X, row)
		d.Y = append(d.Y, c)
	}
	return d
}
