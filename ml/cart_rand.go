package ml

// randRMax is scikit-learn's RAND_R_MAX (sklearn/tree/_utils.pxd).
const randRMax = 0x7FFFFFFF

// randR is the generator scikit-learn's tree splitter draws its feature
// order from: the xorshift our_rand_r of sklearn/tree/_utils.pyx, seeded
// as Splitter.init seeds it, by random_state.randint(0, RAND_R_MAX).
type randR uint32

// newRandR returns the splitter's generator for random_state seed: the
// first value numpy's legacy RandomState(seed).randint(0, RAND_R_MAX)
// draws (a 32-bit MT19937 output masked to 31 bits, drawn again while it
// exceeds RAND_R_MAX-1).
func newRandR(seed uint32) randR {
	rs := NewRandomState(seed)
	for {
		if v := rs.Uint32() & randRMax; v < randRMax {
			return randR(v)
		}
	}
}

// next is our_rand_r: one xorshift step, reduced modulo RAND_R_MAX+1.
func (r *randR) next() uint32 {
	s := uint32(*r)
	if s == 0 {
		s = 1 // DEFAULT_SEED
	}
	s ^= s << 13
	s ^= s >> 17
	s ^= s << 5
	*r = randR(s)
	return s % (randRMax + 1)
}

// intn is rand_int(low, high): low + our_rand_r() % (high - low).
func (r *randR) intn(low, high int) int {
	return low + int(r.next()%uint32(high-low))
}
