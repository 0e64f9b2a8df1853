package ml

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// cartFeatureThreshold is sklearn's FEATURE_THRESHOLD: float32 values
// closer than it count as equal in the split search.
const cartFeatureThreshold = 1e-7

// newRand returns CART's deterministic generator for seed.
func newRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
}

// CART is a decision tree classifier as sklearn's DecisionTreeClassifier()
// defaults: Gini impurity, grown until every leaf is pure or cannot be split,
// on the features rounded to float32 as sklearn does before it splits and
// before it predicts. Thresholds are sklearn's: the midpoint v/2 + next/2
// (in float64) of consecutive float32 values that differ by more than
// sklearn's FEATURE_THRESHOLD (1e-7), or v where the midpoint rounds to
// next; a row goes left when float32(x[feature]) <= threshold. At every node the features are tried
// in a random order drawn from Seed and a split replaces the best so far only
// if strictly better, so ties go to the earliest feature in that order and
// then to the lowest threshold. The random stream is math/rand/v2's PCG and
// does not reproduce sklearn's, so which of several equally good splits is
// chosen may differ from sklearn.
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
	Seed            int64 `json:"seed"`
	MaxDepth        int   `json:"max_depth,omitempty"`         // 0: None (unlimited)
	MinSamplesLeaf  int   `json:"min_samples_leaf,omitempty"`  // 0: 1
	MinSamplesSplit int   `json:"min_samples_split,omitempty"` // 0: 2

	// Fitted tree in flat form; node 0 is the root. Feature is -1 at a leaf.
	Classes   []int     `json:"classes"`
	Feature   []int     `json:"feature"`
	Threshold []float64 `json:"threshold"`
	Left      []int     `json:"left"`
	Right     []int     `json:"right"`
	Value     []int     `json:"value"` // predicted class index at each node
	NFeatures int       `json:"n_features"`
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
	rng := newRand(m.Seed)
	// sorted[f] holds the row indices in increasing order of feature f; a
	// node owns the same range [lo, hi) of every sorted[f], and a split
	// partitions each range stably, so no node sorts again.
	sorted := make([][]int32, d)
	for f := range d {
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(i)
		}
		col := cols[f]
		slices.SortFunc(s, func(a, b int32) int { return cmp.Compare(col[a], col[b]) })
		sorted[f] = s
	}
	type pending struct{ node, lo, hi, depth int }
	goLeft := make([]bool, n)
	part := make([]int32, n)
	countsL := make([]int, K)
	countsR := make([]int, K)
	feats := make([]int, d)
	for j := range feats {
		feats[j] = j
	}
	m.addNode()
	stack := []pending{{0, 0, n, 0}}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		nn := p.hi - p.lo
		clear(countsR)
		for _, i := range sorted[0][p.lo:p.hi] {
			countsR[yi[i]]++
		}
		m.Value[p.node] = argmaxInt(countsR)
		if countsR[m.Value[p.node]] == nn {
			continue // pure
		}
		if p.depth >= maxDepth || nn < minSplit {
			continue // sklearn's is_leaf: max_depth, min_samples_split, 2·min_samples_leaf
		}
		total := slices.Clone(countsR)
		rng.Shuffle(d, func(a, b int) { feats[a], feats[b] = feats[b], feats[a] })
		bestFeat, bestThr, bestProxy := -1, 0.0, 0.0
		for _, f := range feats {
			col := cols[f]
			es := sorted[f][p.lo:p.hi]
			if col[es[nn-1]] <= col[es[0]]+cartFeatureThreshold {
				continue // constant feature in this node
			}
			clear(countsL)
			copy(countsR, total)
			var sqL, sqR float64
			for _, c := range countsR {
				sqR += float64(c) * float64(c)
			}
			for k := 0; k < nn-1; k++ {
				c := yi[es[k]]
				// Move one sample of class c from right to left.
				sqL += float64(2*countsL[c] + 1)
				sqR -= float64(2*countsR[c] - 1)
				countsL[c]++
				countsR[c]--
				v, next := col[es[k]], col[es[k+1]]
				if next <= v+cartFeatureThreshold || k+1 < minLeaf || nn-k-1 < minLeaf {
					continue
				}
				nL := float64(k + 1)
				proxy := sqL/nL + sqR/(float64(nn)-nL)
				if bestFeat < 0 || proxy > bestProxy {
					thr := v/2 + next/2
					if thr == next || math.IsInf(thr, 0) {
						thr = v
					}
					bestFeat, bestThr, bestProxy = f, thr, proxy
				}
			}
		}
		if bestFeat < 0 {
			continue // no split possible: leaf with the majority class
		}
		col := cols[bestFeat]
		nl := 0
		for _, i := range sorted[0][p.lo:p.hi] {
			goLeft[i] = col[i] <= bestThr
			if goLeft[i] {
				nl++
			}
		}
		for f := range d {
			rs := sorted[f][p.lo:p.hi]
			l, r := 0, nl
			for _, i := range rs {
				if goLeft[i] {
					part[l] = i
					l++
				} else {
					part[r] = i
					r++
				}
			}
			copy(rs, part[:nn])
		}
		l, r := m.addNode(), m.addNode()
		m.Feature[p.node], m.Threshold[p.node] = bestFeat, bestThr
		m.Left[p.node], m.Right[p.node] = l, r
		stack = append(stack, pending{r, p.lo + nl, p.hi, p.depth + 1}, pending{l, p.lo, p.lo + nl, p.depth + 1})
	}
	return nil
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
