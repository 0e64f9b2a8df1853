package ml

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// TrainTestSplit returns shuffled train and test index sets over 0..n-1, as
// sklearn's train_test_split(..., test_size=testSize, random_state=seed)
// without stratification: the test part has ceil(testSize*n) indices and the
// training part the rest.
//
// sklearn draws the permutation from numpy's MT19937; this port does not
// reproduce numpy's generator. It uses math/rand/v2's PCG seeded from seed,
// so the split is deterministic for a seed but differs from sklearn's.
func TrainTestSplit(n int, testSize float64, seed int64) (train, test []int, err error) {
	if !(testSize > 0 && testSize < 1) {
		return nil, nil, badInput("test size %v not in (0, 1)", testSize)
	}
	nTest := int(math.Ceil(testSize * float64(n)))
	nTrain := n - nTest
	if n < 2 || nTest < 1 || nTrain < 1 {
		return nil, nil, fmt.Errorf("%w: cannot split %d samples with test size %v", ErrBadInput, n, testSize)
	}
	perm := newRand(seed).Perm(n)
	return perm[nTest:], perm[:nTest], nil
}

// newRand returns the package's deterministic generator for seed.
func newRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
}
