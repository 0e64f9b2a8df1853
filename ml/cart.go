package ml

import (
	"math"
)

// cartFeatureThreshold is sklearn's FEATURE_THRESHOLD: float32 values
// closer than it count as equal in the split search.
const cartFeatureThreshold = 1e-7

// CART is a decision tree classifier as sklearn's DecisionTreeClassifier()
// defaults: Gini impurity, grown until every leaf is pure or cannot be split,
// on the features rounded to float32 as sklearn does before it splits and
// before it predicts. It grows the tree scikit-learn 1.2.1 grows with
// random_state=Seed: the same nodes in the same order (depth first, left
// child first), the same features and thresholds, the same predictions.
//
// Thresholds are sklearn's: the midpoint v/2 + next/2 (in float64) of
// consecutive float32 values that differ by more than sklearn's
// FEATURE_THRESHOLD (1e-7), or v where the midpoint rounds to next; a row
// goes left when float32(x[feature]) <= threshold. At every node the
// features are tried in the order sklearn's BestSplitter draws them
// (Fisher–Yates over the features not yet known to be constant, with
// sklearn's rand_r seeded from numpy's RandomState(Seed)), and a split
// replaces the best so far only if its Gini proxy, computed as sklearn
// computes it, is strictly greater: ties go to the earlier feature in that
// order, then to the lowest threshold.
//
// MaxDepth, MinSamplesLeaf and MinSamplesSplit are sklearn's max_depth,
// min_samples_leaf and min_samples_split (integer forms), with its
// semantics: a node at depth ≥ MaxDepth (the root has depth 0) is a leaf; a
// node is split only if it has at least max(MinSamplesSplit,
// 2·MinSamplesLeaf) rows, and only at thresholds that leave at least
// MinSamplesLeaf rows on each side. Their zero values are sklearn's
// defaults (None, 1, 2), which leave the tree as described above; a leaf
// that is not pure predicts its majority class (the smallest on ties).
type CART struct {
	// Seed is sklearn's random_state, in [0, 2³²−1].
	Seed            int64 `json:"seed"`
	MaxDepth        int   `json:"max_depth,omitempty"`         // 0: None (unlimited)
	MinSamplesLeaf  int   `json:"min_samples_leaf,omitempty"`  // 0: 1
	MinSamplesSplit int   `json:"min_samples_split,omitempty"` // 0: 2

	// Fitted tree in flat form, numbered as sklearn's tree_; node 0 is the
	// root. Feature is -1 at a leaf.
	Classes   []int     `json:"classes"`
	Feature   []int     `json:"feature"`
	Threshold []float64 `json:"threshold"`
	Left      []int     `json:"left"`
	Right     []int     `json:"right"`
	Value     []int     `json:"value"` // predicted class index at each node
	NFeatures int       `json:"n_features"`
}

// cartNode is a node waiting on the builder's stack, as sklearn's
// StackRecord: its rows [lo, hi) of every sorted column, its parent, and
// how many features are known to be constant in it.
type cartNode struct {
	lo, hi, depth, parent int
	left                  bool
	impurity              float64
	nConstant             int
}

// Fit grows the tree.
func (m *CART) Fit(X [][]float64, y []int) error {
	d, classes, err := checkFit(X, y)
	if err != nil {
		return err
	}
	if m.MaxDepth < 0 || m.MinSamplesLeaf < 0 || m.MinSamplesSplit < 0 || m.MinSamplesSplit == 1 {
		return badInput("CART: max_depth %d, min_samples_leaf %d, min_samples_split %d (want max_depth ≥ 1 or 0 for None, min_samples_leaf ≥ 1, min_samples_split ≥ 2, 0 for their defaults)",
			m.MaxDepth, m.MinSamplesLeaf, m.MinSamplesSplit)
	}
	if m.Seed < 0 || m.Seed > MaxSeed {
		return badInput("CART: random_state %d not in [0, 2^32-1] (numpy's RandomState range)", m.Seed)
	}
	maxDepth, minLeaf, minSplit := m.MaxDepth, max(1, m.MinSamplesLeaf), max(2, m.MinSamplesSplit)
	if maxDepth == 0 {
		maxDepth = math.MaxInt
	}
	minSplit = max(minSplit, 2*minLeaf) // as sklearn's fit
	n, K := len(X), len(classes)
	yi := labelIndex(y, classes)
	cols := make([][]float64, d)
	for j := range d {
		cols[j] = make([]float64, n)
		for i, x := range X {
			cols[j][i] = float64(float32(x[j]))
		}
	}
	*m = CART{Seed: m.Seed, MaxDepth: m.MaxDepth, MinSamplesLeaf: m.MinSamplesLeaf, MinSamplesSplit: m.MinSamplesSplit,
		Classes: classes, NFeatures: d}
	rng := newRandR(uint32(m.Seed))
	// rows holds the rows of each node in the node's range [lo, hi);
	// sorted[f] holds them in increasing order of feature f. A split
	// partitions each range stably, so no node sorts again; the columns of
	// the features constant in a node are left as they are, since no
	// descendant reads them.
	rows := make([]int32, n)
	for i := range rows {
		rows[i] = int32(i)
	}
	sorted := presort(cols)
	goLeft := make([]uint8, n)
	partL, partR := make([]int32, n+1), make([]int32, n+1)
	counts := make([]int, K)
	countsL := make([]int, K)
	countsR := make([]int, K)
	// features and constant are the splitter's arrays of the same names,
	// kept across nodes as sklearn keeps them: the order features are
	// drawn from depends on every node split before.
	features := make([]int, d)
	for j := range features {
		features[j] = j
	}
	constant := make([]int, d)
	stack := []cartNode{{lo: 0, hi: n, parent: -1, impurity: math.Inf(1)}}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		node := m.addNode()
		if p.parent >= 0 {
			if p.left {
				m.Left[p.parent] = node
			} else {
				m.Right[p.parent] = node
			}
		}
		nn := p.hi - p.lo
		clear(counts)
		for _, i := range rows[p.lo:p.hi] {
			counts[yi[i]]++
		}
		m.Value[node] = argmaxInt(counts)
		impurity := p.impurity
		if p.parent < 0 {
			impurity = gini(counts, float64(nn))
		}
		if p.depth >= maxDepth || nn < minSplit || impurity <= epsilon {
			continue // sklearn's is_leaf
		}
		s := bestSplit(&cartSearch{cols: cols, sorted: sorted, yi: yi, lo: p.lo, hi: p.hi, minLeaf: minLeaf,
			counts: counts, countsL: countsL, countsR: countsR, features: features, constant: constant,
			nConstant: p.nConstant, rng: &rng})
		if s.feature < 0 {
			continue // no split possible: leaf with the majority class
		}
		wn := float64(nn)
		improvement := wn / float64(n) * (impurity - float64(s.nR/wn*s.impR) - float64(s.nL/wn*s.impL))
		if improvement+epsilon < 0 {
			continue // sklearn's min_impurity_decrease test, which rounding can fail
		}
		col := cols[s.feature]
		nl := 0
		for _, i := range rows[p.lo:p.hi] {
			goLeft[i] = 0
			if col[i] <= s.threshold {
				goLeft[i] = 1
				nl++
			}
		}
		partition(rows[p.lo:p.hi], goLeft, partL, partR)
		for _, f := range features[s.nConstant:] {
			partition(sorted[f][p.lo:p.hi], goLeft, partL, partR)
		}
		m.Feature[node], m.Threshold[node] = s.feature, s.threshold
		stack = append(stack,
			cartNode{lo: p.lo + nl, hi: p.hi, depth: p.depth + 1, parent: node, impurity: s.impR, nConstant: s.nConstant},
			cartNode{lo: p.lo, hi: p.lo + nl, depth: p.depth + 1, parent: node, left: true, impurity: s.impL, nConstant: s.nConstant})
	}
	return nil
}

// presort returns, for each column, the rows in increasing order of its
// values, equal values in row order: a least-significant-digit radix sort
// on the bits of the values, one byte a pass, skipping the bytes every
// value shares (most of them, for features of few distinct values).
func presort(cols [][]float64) [][]int32 {
	n := 0
	if len(cols) > 0 {
		n = len(cols[0])
	}
	keys, keys2 := make([]uint64, n), make([]uint64, n)
	tmp := make([]int32, n)
	sorted := make([][]int32, len(cols))
	for f, col := range cols {
		and, or := ^uint64(0), uint64(0)
		for i, v := range col {
			k := orderedBits(v)
			keys[i] = k
			and &= k
			or |= k
		}
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(i)
		}
		ks, src, dst, ks2 := keys, s, tmp, keys2
		for b := range 8 {
			if byte((and^or)>>(8*b)) == 0 {
				continue // every value has this byte
			}
			var pos [256]int32
			for _, k := range ks {
				pos[byte(k>>(8*b))]++
			}
			var sum int32
			for c, cnt := range pos {
				pos[c] = sum
				sum += cnt
			}
			for i, k := range ks {
				c := byte(k >> (8 * b))
				dst[pos[c]], ks2[pos[c]] = src[i], k
				pos[c]++
			}
			src, dst = dst, src
			ks, ks2 = ks2, ks
		}
		if &src[0] != &s[0] {
			copy(s, src)
		}
		sorted[f] = s
	}
	return sorted
}

// orderedBits maps a float64 to a uint64 whose order is the values' order
// (−0 just below +0).
func orderedBits(v float64) uint64 {
	b := math.Float64bits(v)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// partition orders rs stably by goLeft (1: left), the rows that go left
// first, through scratch left and right of one more row than rs. Each row
// is written to both and only its side advances, so that the loop does not
// branch on the side.
func partition(rs []int32, goLeft []uint8, left, right []int32) {
	l, r := 0, 0
	for _, i := range rs {
		g := int(goLeft[i])
		left[l], right[r] = i, i
		l += g
		r += 1 - g
	}
	copy(rs[copy(rs, left[:l]):], right[:r])
}

func (m *CART) addNode() int {
	m.Feature = append(m.Feature, -1)
	m.Threshold = append(m.Threshold, 0)
	m.Left = append(m.Left, -1)
	m.Right = append(m.Right, -1)
	m.Value = append(m.Value, 0)
	return len(m.Feature) - 1
}

func argmaxInt(v []int) int {
	best := 0
	for i := 1; i < len(v); i++ {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

// Depth returns the depth of the tree (0 for a single leaf).
func (m *CART) Depth() int {
	if len(m.Feature) == 0 {
		return 0
	}
	var depth func(n, guard int) int
	depth = func(n, guard int) int {
		if m.Feature[n] < 0 || guard > len(m.Feature) {
			return 0
		}
		return 1 + max(depth(m.Left[n], guard+1), depth(m.Right[n], guard+1))
	}
	return depth(0, 0)
}

// validate checks that the tree is well formed so Predict cannot panic.
func (m *CART) validate() error {
	nn := len(m.Feature)
	if nn == 0 || len(m.Classes) == 0 {
		return ErrNotFitted
	}
	if len(m.Threshold) != nn || len(m.Left) != nn || len(m.Right) != nn || len(m.Value) != nn || m.NFeatures <= 0 {
		return badInput("CART: inconsistent tree arrays")
	}
	for i := range nn {
		if m.Value[i] < 0 || m.Value[i] >= len(m.Classes) {
			return badInput("CART: node %d value out of range", i)
		}
		if m.Feature[i] < 0 {
			continue
		}
		// Children must come later than their parent, which rules out cycles.
		if m.Feature[i] >= m.NFeatures || m.Left[i] <= i || m.Right[i] <= i || m.Left[i] >= nn || m.Right[i] >= nn {
			return badInput("CART: node %d malformed", i)
		}
	}
	return nil
}

// Predict follows each row from the root to a leaf.
func (m *CART) Predict(X [][]float64) ([]int, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	if err := checkRows(X, m.NFeatures); err != nil {
		return nil, err
	}
	out := make([]int, len(X))
	for i, x := range X {
		n := 0
		for m.Feature[n] >= 0 {
			if float64(float32(x[m.Feature[n]])) <= m.Threshold[n] {
				n = m.Left[n]
			} else {
				n = m.Right[n]
			}
		}
		out[i] = m.Classes[m.Value[n]]
	}
	return out, nil
}
