package ml

import "math"

// epsilon is sklearn's EPSILON (np.finfo('double').eps): a node whose
// impurity is at most it is pure.
const epsilon = 0x1p-52

// cartSearch is what the split search of one node reads and the
// splitter's state it carries from node to node.
type cartSearch struct {
	cols    [][]float64 // features, rounded to float32
	sorted  [][]int32   // rows in increasing order of each feature
	yi      []int       // class index of each row
	lo, hi  int         // the node's range of every sorted column
	minLeaf int
	// counts holds the node's rows per class; countsL and countsR are
	// scratch of the same length.
	counts, countsL, countsR []int
	// features and constant are BestSplitter's arrays of the same names;
	// the first nConstant of constant are the features known to be
	// constant in this node.
	features, constant []int
	nConstant          int
	rng                *randR
}

// cartSplit is the best split of a node, as sklearn's SplitRecord.
type cartSplit struct {
	feature    int // -1: none
	threshold  float64
	nL, nR     float64 // rows on each side
	impL, impR float64 // Gini impurity of each side
	nConstant  int     // features known to be constant in the children
}

// gini is sklearn's Gini.node_impurity of a node of n rows with counts.
func gini(counts []int, n float64) float64 {
	var sq float64
	for _, c := range counts {
		sq += float64(c) * float64(c)
	}
	return 1.0 - sq/(n*n)
}

// bestSplit is BestSplitter.node_split of scikit-learn 1.2.1 without
// sample weights and with max_features=None: it draws the features in
// sklearn's order, skips and records those constant in the node, and keeps
// the split of largest proxy improvement, computed in sklearn's order of
// operations so that ties are broken as sklearn breaks them.
func bestSplit(s *cartSearch) cartSplit {
	features, cols := s.features, s.cols
	d, nn := len(features), s.hi-s.lo
	fI := d
	nVisited, nFound, nDrawn := 0, 0, 0
	nKnown := s.nConstant
	nTotal := nKnown
	best := cartSplit{feature: -1}
	bestProxy := math.Inf(-1)
	for fI > nTotal && (nVisited < d || nVisited <= nFound+nDrawn) {
		nVisited++
		fJ := s.rng.intn(nDrawn, fI-nFound)
		if fJ < nKnown {
			// A feature known to be constant: drawn, not searched.
			features[nDrawn], features[fJ] = features[fJ], features[nDrawn]
			nDrawn++
			continue
		}
		fJ += nFound
		f := features[fJ]
		col, es := cols[f], s.sorted[f][s.lo:s.hi]
		if col[es[nn-1]] <= col[es[0]]+cartFeatureThreshold {
			features[fJ], features[nTotal] = features[nTotal], features[fJ]
			nFound++
			nTotal++
			continue
		}
		fI--
		features[fI], features[fJ] = features[fJ], features[fI]
		countsL, countsR := s.countsL, s.countsR
		clear(countsL)
		copy(countsR, s.counts)
		// Sums of squared counts, as sklearn's children_impurity sums them
		// in float64: whole numbers below 2⁵³, so exact either way.
		sqL, sqR := 0, 0
		for _, c := range countsR {
			sqR += c * c
		}
		yi := s.yi
		v := col[es[0]]
		for k := 0; k < nn-1; k++ {
			c := yi[es[k]]
			// Move one row of class c from right to left.
			sqL += 2*countsL[c] + 1
			sqR -= 2*countsR[c] - 1
			countsL[c]++
			countsR[c]--
			next := col[es[k+1]]
			if next <= v+cartFeatureThreshold || k+1 < s.minLeaf || nn-k-1 < s.minLeaf {
				v = next
				continue
			}
			nL, nR := float64(k+1), float64(nn-k-1)
			impL, impR := 1.0-float64(sqL)/(nL*nL), 1.0-float64(sqR)/(nR*nR)
			// Gini.proxy_impurity_improvement; the conversions keep each
			// product rounded on its own, as sklearn's compiled C does.
			proxy := float64(-nR*impR) - float64(nL*impL)
			if proxy > bestProxy {
				thr := v/2 + next/2
				if thr == next || math.IsInf(thr, 0) {
					thr = v
				}
				best = cartSplit{feature: f, threshold: thr, nL: nL, nR: nR, impL: impL, impR: impR}
				bestProxy = proxy
			}
			v = next
		}
	}
	// The order of the known constant features is kept for the siblings
	// and children; the newly found ones are appended to them.
	copy(features[:nKnown], s.constant[:nKnown])
	copy(s.constant[nKnown:nKnown+nFound], features[nKnown:nKnown+nFound])
	best.nConstant = nTotal
	return best
}
