package ml

import (
	"fmt"
	"math"
)

// MaxSeed is the largest seed numpy's RandomState accepts (2³² − 1).
const MaxSeed = math.MaxUint32

// TrainTestSplit returns the train and test index sets over 0..n-1 that
// scikit-learn's train_test_split(..., test_size=testSize,
// random_state=seed) returns, without stratification: it draws
// numpy.random.RandomState(seed).permutation(n) and takes its first
// ceil(testSize·n) indices as the test part and the rest as the training
// part, both in permutation order. seed must be in [0, 2³²−1], as numpy's.
func TrainTestSplit(n int, testSize float64, seed int64) (train, test []int, err error) {
	if !(testSize > 0 && testSize < 1) {
		return nil, nil, badInput("test size %v not in (0, 1)", testSize)
	}
	if seed < 0 || seed > MaxSeed {
		return nil, nil, badInput("seed %d not in [0, 2^32-1] (numpy's RandomState range)", seed)
	}
	nTest := int(math.Ceil(testSize * float64(n)))
	nTrain := n - nTest
	if n < 2 || nTest < 1 || nTrain < 1 {
		return nil, nil, fmt.Errorf("%w: cannot split %d samples with test size %v", ErrBadInput, n, testSize)
	}
	perm := NewRandomState(uint32(seed)).Permutation(n)
	return perm[nTest:], perm[:nTest], nil
}

// RandomState reproduces the parts of numpy.random.RandomState that
// scikit-learn's splitters use: the MT19937 generator seeded by
// init_genrand, and the legacy shuffle and permutation.
type RandomState struct {
	mt  [624]uint32
	pos int
}

// NewRandomState returns the generator of numpy.random.RandomState(seed).
func NewRandomState(seed uint32) *RandomState {
	r := &RandomState{}
	r.mt[0] = seed
	for i := 1; i < 624; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.pos = 624
	return r
}

// Uint32 returns the next 32-bit output of MT19937 (numpy's next_uint32).
func (r *RandomState) Uint32() uint32 {
	const upper, lower = 0x80000000, 0x7fffffff
	if r.pos >= 624 {
		mt := &r.mt
		var i int
		for ; i < 624-397; i++ {
			y := mt[i]&upper | mt[i+1]&lower
			mt[i] = mt[i+397] ^ y>>1 ^ -(y&1)&0x9908b0df
		}
		for ; i < 623; i++ {
			y := mt[i]&upper | mt[i+1]&lower
			mt[i] = mt[i+397-624] ^ y>>1 ^ -(y&1)&0x9908b0df
		}
		y := mt[623]&upper | mt[0]&lower
		mt[623] = mt[396] ^ y>>1 ^ -(y&1)&0x9908b0df
		r.pos = 0
	}
	y := r.mt[r.pos]
	r.pos++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// Uint64 returns numpy's next_uint64 for MT19937: two 32-bit draws, the
// first in the high half.
func (r *RandomState) Uint64() uint64 {
	hi := uint64(r.Uint32())
	return hi<<32 | uint64(r.Uint32())
}

// interval returns a uniform value in [0, max] as numpy's random_interval:
// masked draws with rejection.
func (r *RandomState) interval(max uint64) uint64 {
	if max == 0 {
		return 0
	}
	mask := max
	mask |= mask >> 1
	mask |= mask >> 2
	mask |= mask >> 4
	mask |= mask >> 8
	mask |= mask >> 16
	mask |= mask >> 32
	if max <= math.MaxUint32 {
		for {
			if v := uint64(r.Uint32()) & mask; v <= max {
				return v
			}
		}
	}
	for {
		if v := r.Uint64() & mask; v <= max {
			return v
		}
	}
}

// Shuffle permutes x in place as RandomState.shuffle does for a 1-D array:
// Fisher–Yates from the end.
func (r *RandomState) Shuffle(x []int) {
	for i := len(x) - 1; i > 0; i-- {
		j := r.interval(uint64(i))
		x[i], x[j] = x[j], x[i]
	}
}

// Permutation returns RandomState.permutation(n).
func (r *RandomState) Permutation(n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	r.Shuffle(p)
	return p
}
