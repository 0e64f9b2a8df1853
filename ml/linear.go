package ml

// linearScores returns coef[k]·x + intercept[k] for each row of X and each
// class k: the decision function of LR and LDA.
func linearScores(model string, classes []int, coef [][]float64, intercept []float64, X [][]float64) ([][]float64, error) {
	K := len(classes)
	if K == 0 || len(coef) != K || len(intercept) != K {
		return nil, ErrNotFitted
	}
	d := len(coef[0])
	for _, c := range coef {
		if len(c) != d {
			return nil, badInput("%s: ragged coefficients", model)
		}
	}
	if err := checkRows(X, d); err != nil {
		return nil, err
	}
	out := make([][]float64, len(X))
	for i, x := range X {
		s := make([]float64, K)
		for k := range K {
			s[k] = intercept[k] + dot(coef[k], x)
		}
		out[i] = s
	}
	return out, nil
}

// linearPredict returns, for each row, the class with the highest linear
// score (the first on ties).
func linearPredict(model string, classes []int, coef [][]float64, intercept []float64, X [][]float64) ([]int, error) {
	scores, err := linearScores(model, classes, coef, intercept, X)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(X))
	for i, s := range scores {
		out[i] = classes[argmax(s)]
	}
	return out, nil
}
