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

// KFoldShuffled returns the k (train, test) index pairs of scikit-learn's
// KFold(n_splits=k, shuffle=True, random_state=seed): the indices are
// shuffled by numpy.random.RandomState(seed).shuffle, cut into consecutive
// folds as KFold, and each fold's train and test indices are returned in
// increasing order, as scikit-learn does.
func KFoldShuffled(n, k int, seed int64) ([][2][]int, error) {
	folds, err := KFold(n, k)
	if err != nil {
		return nil, err
	}
	if seed < 0 || seed > MaxSeed {
		return nil, badInput("seed %d not in [0, 2^32-1] (numpy's RandomState range)", seed)
	}
	perm := NewRandomState(uint32(seed)).Permutation(n)
	for f, fold := range folds {
		in := make([]bool, n)
		for _, i := range fold[1] {
			in[perm[i]] = true
		}
		train, test := fold[0][:0], fold[1][:0]
		for i := range n {
			if in[i] {
				test = append(test, i)
			} else {
				train = append(train, i)
			}
		}
		folds[f] = [2][]int{train, test}
	}
	return folds, nil
}
