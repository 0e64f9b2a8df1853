package ml

import (
	"cmp"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// KNN is a k-nearest-neighbours classifier with Euclidean distance and
// uniform weights, as sklearn's KNeighborsClassifier() (k=5); a tie in the
// vote goes to the smallest class, as scipy's mode. As scikit-learn's
// algorithm="auto", rows of more than 15 features (or k ≥ n/2) are searched
// by brute force, with scikit-learn's distance ||y||² − 2·x·y and its
// neighbour heap, training rows in order: among neighbours at equal
// distance the earlier training row wins, as in scikit-learn run on one
// thread. Fewer features use a k-d tree built lazily, where the earlier
// training row wins too; scikit-learn's own k-d tree (leaf size 30) visits
// rows in its tree's order, so on an exact distance tie at the k-th
// neighbour between classes the two may keep different neighbours.
type KNN struct {
	K int `json:"k"`
	// Weights is scikit-learn's weights: "uniform" (or empty) counts each
	// neighbour once; "distance" weighs it by the inverse of its distance
	// (neighbours at distance 0, if any, take the whole vote).
	Weights string `json:"weights,omitempty"`
	// LeafSize is the k-d tree's leaf size (scikit-learn's leaf_size); it
	// changes speed, never predictions. 0 means 16.
	LeafSize int `json:"leaf_size,omitempty"`

	// Fitted parameters: the training data itself.
	Classes []int       `json:"classes"`
	X       [][]float64 `json:"x"`
	Y       []int       `json:"y"` // indices into Classes

	mu   sync.Mutex
	tree *kdTree
}

// NewKNN returns an unfitted KNN with K=5.
func NewKNN() *KNN { return &KNN{K: 5} }

// Fit stores the training data.
func (m *KNN) Fit(X [][]float64, y []int) error {
	_, classes, err := checkFit(X, y)
	if err != nil {
		return err
	}
	if m.K <= 0 {
		return badInput("KNN: k must be positive, got %d", m.K)
	}
	if m.Weights != "" && m.Weights != "uniform" && m.Weights != "distance" {
		return badInput("KNN: weights must be uniform or distance, got %q", m.Weights)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Classes = classes
	m.X = make([][]float64, len(X))
	for i, x := range X {
		m.X[i] = slices.Clone(x)
	}
	m.Y = labelIndex(y, classes)
	m.tree = nil
	return nil
}

// Predict returns the majority class of the K nearest training rows.
func (m *KNN) Predict(X [][]float64) ([]int, error) {
	if d := len(m.X); d > 0 && (len(m.X[0]) > knnBruteFeatures || m.K >= d/2) {
		return m.predictBrute(X)
	}
	t, err := m.ensureTree()
	if err != nil {
		return nil, err
	}
	if err := checkRows(X, len(m.X[0])); err != nil {
		return nil, err
	}
	k := min(m.K, len(m.X))
	out := make([]int, len(X))
	// Queries are independent: chunks of them on up to GOMAXPROCS goroutines.
	const chunk = 256
	parallelFor((len(X)+chunk-1)/chunk, func(c int) {
		votes := make([]int, len(m.Classes))
		h := make([]nbr, 0, k)
		for i := c * chunk; i < min(len(X), (c+1)*chunk); i++ {
			h = t.nearest(X[i], k, h[:0])
			if m.Weights == "distance" {
				out[i] = m.Classes[distanceVote(h, m.Y, len(m.Classes))]
				continue
			}
			clear(votes)
			for _, nb := range h {
				votes[m.Y[nb.idx]]++
			}
			out[i] = m.Classes[argmaxInt(votes)]
		}
	})
	return out, nil
}

// distanceVote is scikit-learn's weights="distance" vote: each neighbour
// counts 1/distance; if any neighbour is at distance 0, only those count.
// A tie goes to the smallest class.
func distanceVote(h []nbr, y []int, classes int) int {
	w := make([]float64, classes)
	exact := false
	for _, nb := range h {
		if nb.dist == 0 {
			exact = true
			w[y[nb.idx]]++
		}
	}
	if !exact {
		for _, nb := range h {
			w[y[nb.idx]] += 1 / math.Sqrt(nb.dist)
		}
	}
	return argmax(w)
}

// Neighbors returns the training indices of the k nearest rows to q, nearest
// first (ties by training order).
func (m *KNN) Neighbors(q []float64, k int) ([]int, error) {
	t, err := m.ensureTree()
	if err != nil {
		return nil, err
	}
	if err := checkRows([][]float64{q}, len(m.X[0])); err != nil {
		return nil, err
	}
	h := t.nearest(q, min(max(k, 0), len(m.X)), nil)
	slices.SortFunc(h, cmpNbr)
	out := make([]int, len(h))
	for i, nb := range h {
		out[i] = nb.idx
	}
	return out, nil
}

func (m *KNN) ensureTree() (*kdTree, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.X) == 0 || len(m.Classes) == 0 || len(m.Y) != len(m.X) || m.K <= 0 {
		return nil, ErrNotFitted
	}
	if m.tree == nil {
		if err := m.checkFitted(); err != nil {
			return nil, err
		}
		m.tree = buildKDTree(m.X, m.LeafSize)
	}
	return m.tree, nil
}

// checkFitted checks the fitted parameters so that a search cannot panic.
func (m *KNN) checkFitted() error {
	if len(m.X) == 0 || len(m.Classes) == 0 || len(m.Y) != len(m.X) || m.K <= 0 {
		return ErrNotFitted
	}
	d := len(m.X[0])
	if d == 0 {
		return badInput("KNN: rows have no features")
	}
	if err := checkRows(m.X, d); err != nil {
		return err
	}
	for _, c := range m.Y {
		if c < 0 || c >= len(m.Classes) {
			return badInput("KNN: label index %d out of range", c)
		}
	}
	return nil
}

// nbr is a candidate neighbour: squared distance and training index.
type nbr struct {
	dist float64
	idx  int
}

func cmpNbr(a, b nbr) int {
	if c := cmp.Compare(a.dist, b.dist); c != 0 {
		return c
	}
	return cmp.Compare(a.idx, b.idx)
}

const kdLeafSize = 16

// kdTree is a static k-d tree over the rows of X. Node i splits dimension
// dim[i] at split[i]: rows in the left child have values <= split and rows
// in the right child values >= split.
type kdTree struct {
	leaf  int
	X     [][]float64
	idx   []int
	nodes []kdNode
}

type kdNode struct {
	lo, hi      int // range in idx
	dim         int // -1 for a leaf
	split       float64
	left, right int
}

func buildKDTree(X [][]float64, leafSize int) *kdTree {
	if leafSize <= 0 {
		leafSize = kdLeafSize
	}
	t := &kdTree{X: X, idx: make([]int, len(X)), leaf: leafSize}
	for i := range t.idx {
		t.idx[i] = i
	}
	t.build(0, len(X))
	return t
}

func (t *kdTree) build(lo, hi int) int {
	id := len(t.nodes)
	t.nodes = append(t.nodes, kdNode{lo: lo, hi: hi, dim: -1})
	if hi-lo <= t.leaf {
		return id
	}
	d := len(t.X[0])
	dim, spread := 0, -1.0
	for j := range d {
		mn, mx := t.X[t.idx[lo]][j], t.X[t.idx[lo]][j]
		for _, i := range t.idx[lo:hi] {
			mn, mx = min(mn, t.X[i][j]), max(mx, t.X[i][j])
		}
		if mx-mn > spread {
			dim, spread = j, mx-mn
		}
	}
	if spread <= 0 {
		return id // all points identical: keep as a leaf
	}
	// The rows before mid are the mid−lo smallest by (value, row), as a
	// full sort would leave them (order within a child does not matter: the
	// children are split again, and a leaf's rows all go through the heap).
	mid := (lo + hi) / 2
	selectKth(t.idx[lo:hi], mid-lo, func(a, b int) bool {
		va, vb := t.X[a][dim], t.X[b][dim]
		return va < vb || va == vb && a < b
	})
	split := t.X[t.idx[mid]][dim]
	l := t.build(lo, mid)
	r := t.build(mid, hi)
	t.nodes[id].dim, t.nodes[id].split, t.nodes[id].left, t.nodes[id].right = dim, split, l, r
	return id
}

// selectKth reorders s so that s[k] is the element of rank k by less (a
// strict total order), those before it smaller and those after larger
// (Hoare's quickselect, median-of-three pivots).
func selectKth(s []int, k int, less func(a, b int) bool) {
	lo, hi := 0, len(s)-1
	for hi > lo {
		if hi-lo < 16 {
			for i := lo + 1; i <= hi; i++ {
				for j := i; j > lo && less(s[j], s[j-1]); j-- {
					s[j], s[j-1] = s[j-1], s[j]
				}
			}
			return
		}
		m := lo + (hi-lo)/2
		if less(s[m], s[lo]) {
			s[m], s[lo] = s[lo], s[m]
		}
		if less(s[hi], s[lo]) {
			s[hi], s[lo] = s[lo], s[hi]
		}
		if less(s[hi], s[m]) {
			s[hi], s[m] = s[m], s[hi]
		}
		pivot := s[m]
		i, j := lo, hi
		for i <= j {
			for less(s[i], pivot) {
				i++
			}
			for less(pivot, s[j]) {
				j--
			}
			if i <= j {
				s[i], s[j] = s[j], s[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return
		}
	}
}

// nearest appends to h (a max-heap by (dist, idx)) the k nearest rows to q.
func (t *kdTree) nearest(q []float64, k int, h []nbr) []nbr {
	if k == 0 {
		return h
	}
	t.search(0, q, k, &h)
	return h
}

func (t *kdTree) search(id int, q []float64, k int, h *[]nbr) {
	n := &t.nodes[id]
	if n.dim < 0 {
		for _, i := range t.idx[n.lo:n.hi] {
			var s float64
			for j, v := range t.X[i] {
				d := v - q[j]
				s += d * d
			}
			heapPush(h, nbr{s, i}, k)
		}
		return
	}
	diff := q[n.dim] - n.split
	near, far := n.left, n.right
	if diff > 0 {
		near, far = n.right, n.left
	}
	t.search(near, q, k, h)
	if len(*h) < k || diff*diff <= (*h)[0].dist {
		t.search(far, q, k, h)
	}
}

// heapPush adds c to the max-heap h of capacity k, evicting the largest if full.
func heapPush(h *[]nbr, c nbr, k int) {
	s := *h
	if len(s) < k {
		s = append(s, c)
		for i := len(s) - 1; i > 0; {
			p := (i - 1) / 2
			if cmpNbr(s[p], s[i]) >= 0 {
				break
			}
			s[p], s[i] = s[i], s[p]
			i = p
		}
		*h = s
		return
	}
	if cmpNbr(c, s[0]) >= 0 {
		return
	}
	s[0] = c
	for i := 0; ; {
		l, r, big := 2*i+1, 2*i+2, i
		if l < len(s) && cmpNbr(s[l], s[big]) > 0 {
			big = l
		}
		if r < len(s) && cmpNbr(s[r], s[big]) > 0 {
			big = r
		}
		if big == i {
			break
		}
		s[i], s[big] = s[big], s[i]
		i = big
	}
}

// knnBruteFeatures is scikit-learn's limit: above it "auto" is brute force.
const knnBruteFeatures = 15

// predictBrute is Predict by brute force, as scikit-learn's ArgKmin for the
// Euclidean metric: distances ||y||² − 2·x·y (the query's own norm, the
// same for all rows, left out) by matrix products of chunks, each pushed in
// training order into scikit-learn's max-heap of k distances.
func (m *KNN) predictBrute(X [][]float64) ([]int, error) {
	if err := m.checkFitted(); err != nil {
		return nil, err
	}
	d, n := len(m.X[0]), len(m.X)
	if err := checkRows(X, d); err != nil {
		return nil, err
	}
	k := min(m.K, n)
	Y := make([]float64, n*d)
	ysq := make([]float64, n)
	for i, r := range m.X {
		copy(Y[i*d:], r)
		ysq[i] = dot(r, r)
	}
	Ym := blas64.General{Rows: n, Cols: d, Stride: d, Data: Y}
	const chunk = 256
	out := make([]int, len(X))
	// Chunks of queries are independent: up to GOMAXPROCS goroutines.
	parallelFor((len(X)+chunk-1)/chunk, func(c int) {
		lo, hi := c*chunk, min((c+1)*chunk, len(X))
		q := make([]float64, (hi-lo)*d)
		z := make([]float64, (hi-lo)*n)
		dist, idx := make([]float64, k), make([]int, k)
		votes := make([]int, len(m.Classes))
		for r := lo; r < hi; r++ {
			copy(q[(r-lo)*d:], X[r])
		}
		Q := blas64.General{Rows: hi - lo, Cols: d, Stride: d, Data: q}
		Z := blas64.General{Rows: hi - lo, Cols: n, Stride: n, Data: z}
		blas64.Gemm(blas.NoTrans, blas.Trans, -2, Q, Ym, 0, Z)
		for r := lo; r < hi; r++ {
			for j := range dist {
				dist[j], idx[j] = math.Inf(1), 0
			}
			zr := z[(r-lo)*n : (r-lo+1)*n]
			for i, v := range zr {
				if v+ysq[i] < dist[0] {
					skHeapPush(dist, idx, v+ysq[i], i)
				}
			}
			if m.Weights == "distance" {
				// scikit-learn's exact distances: ||x||² added back, at least 0.
				xsq := dot(X[r], X[r])
				h := make([]nbr, k)
				for j := range h {
					h[j] = nbr{max(dist[j]+xsq, 0), idx[j]}
				}
				out[r] = m.Classes[distanceVote(h, m.Y, len(m.Classes))]
				continue
			}
			clear(votes)
			for _, i := range idx {
				votes[m.Y[i]]++
			}
			out[r] = m.Classes[argmaxInt(votes)]
		}
	})
	return out, nil
}

// skHeapPush is scikit-learn's heap_push (sklearn/utils/_heap.pyx): a
// max-heap of fixed size over dist; a value not smaller than the largest is
// dropped, else it replaces the largest and sifts down.
func skHeapPush(dist []float64, idx []int, v float64, i int) {
	size := len(dist)
	if v >= dist[0] {
		return
	}
	cur := 0
	for {
		l := 2*cur + 1
		r := l + 1
		var sw int
		switch {
		case l >= size:
			dist[cur], idx[cur] = v, i
			return
		case r >= size:
			if dist[l] > v {
				sw = l
			} else {
				dist[cur], idx[cur] = v, i
				return
			}
		case dist[l] >= dist[r]:
			if v < dist[l] {
				sw = l
			} else {
				dist[cur], idx[cur] = v, i
				return
			}
		default:
			if v < dist[r] {
				sw = r
			} else {
				dist[cur], idx[cur] = v, i
				return
			}
		}
		dist[cur], idx[cur] = dist[sw], idx[sw]
		cur = sw
	}
}
