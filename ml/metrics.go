package ml

import "math"

// Accuracy returns the fraction of positions where yPred equals yTrue. It
// returns NaN if the slices are empty or differ in length.
func Accuracy(yTrue, yPred []int) float64 {
	if len(yTrue) == 0 || len(yTrue) != len(yPred) {
		return math.NaN()
	}
	ok := 0
	for i := range yTrue {
		if yTrue[i] == yPred[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(yTrue))
}

// ConfusionMatrix returns the nClasses×nClasses matrix whose entry [i][j]
// counts samples of true class i predicted as class j (sklearn's layout).
// Pairs with a label outside [0, nClasses) are ignored, as are positions past
// the shorter slice.
func ConfusionMatrix(yTrue, yPred []int, nClasses int) [][]int {
	if nClasses < 0 {
		nClasses = 0
	}
	m := make([][]int, nClasses)
	for i := range m {
		m[i] = make([]int, nClasses)
	}
	for i := range min(len(yTrue), len(yPred)) {
		t, p := yTrue[i], yPred[i]
		if t >= 0 && t < nClasses && p >= 0 && p < nClasses {
			m[t][p]++
		}
	}
	return m
}

// meanStd returns the mean and the population standard deviation (ddof=0,
// numpy's default) of v.
func meanStd(v []float64) (mean, std float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v)))
}
