package ml

import "fmt"

// KFold returns the k (train, test) index pairs of sklearn's unshuffled
// KFold(n_splits=k): consecutive test folds, the first n%k of size n/k+1 and
// the others of size n/k; the training part of a fold is all other indices in
// increasing order. It fails if k < 2 or n < k.
func KFold(n, k int) ([][2][]int, error) {
	if k < 2 {
		return nil, fmt.Errorf("%w: k-fold needs k >= 2, got %d", ErrBadInput, k)
	}
	if n < k {
		return nil, fmt.Errorf("%w: cannot split %d samples into %d folds", ErrBadInput, n, k)
	}
	folds := make([][2][]int, k)
	start := 0
	for f := range k {
		size := n / k
		if f < n%k {
			size++
		}
		test := make([]int, 0, size)
		train := make([]int, 0, n-size)
		for i := range n {
			if i >= start && i < start+size {
				test = append(test, i)
			} else {
				train = append(train, i)
			}
		}
		folds[f] = [2][]int{train, test}
		start += size
	}
	return folds, nil
}
