package ml

import (
	"math"
	"runtime"
	"sync"
)

// smoTau is libsvm's TAU, used when the second-order coefficient is not positive.
const smoTau = 1e-12

// smoResult is the solution of one binary C-SVC problem.
type smoResult struct {
	alpha []float64
	rho   float64
	iter  int
}

// alpha status, as libsvm's.
const (
	smoLower = iota
	smoUpper
	smoFree
)

// smoSolver is libsvm's Solver (as scikit-learn 1.2's copy of libsvm runs
// it for SVC(): shrinking on): second-order working set selection (Fan,
// Chen and Lin 2005) over the active set, shrinking every min(l, 1000)
// iterations, the gradient of shrunk variables rebuilt from G_bar when the
// active set converges, and libsvm's index swaps, so the working sets, ties
// included, are libsvm's.
type smoSolver struct {
	l          int
	activeSize int
	y          []float64 // ±1, by position
	alpha      []float64
	status     []uint8
	G, Gbar    []float64
	active     []int     // position -> index in the problem
	qd         []float64 // libsvm's QD: K(x_i, x_i) by position
	C, eps     float64
	unshrink   bool
	q          *kernelCache
}

// solveSMO solves the C-SVC dual
//
//	min ½ αᵀQα − eᵀα,  yᵀα = 0,  0 ≤ α ≤ C,  Q_ij = y_i y_j K(x_i, x_j)
//
// as libsvm's Solver::Solve with shrinking and stopping tolerance eps. y
// holds ±1.
func solveSMO(X [][]float64, y []float64, C float64, kern svmKernel, eps float64, cacheBytes int) smoResult {
	l := len(X)
	s := &smoSolver{l: l, activeSize: l, C: C, eps: eps,
		y: append([]float64(nil), y...), alpha: make([]float64, l), status: make([]uint8, l),
		G: make([]float64, l), Gbar: make([]float64, l), active: make([]int, l), qd: make([]float64, l)}
	s.q = newKernelCache(X, s.y, s.active, kern, cacheBytes)
	for i := range l {
		s.active[i] = i
		s.G[i] = -1 // p = −e; α = 0: no row to add
		s.qd[i] = 1 // RBF: exp(−γ·0)
		if kern.kind != kernelRBF {
			s.qd[i] = kern.eval(X[i], X[i])
		}
	}
	maxIter := max(10_000_000, 100*l)
	iter := 0
	counter := min(l, 1000) + 1
	for iter < maxIter {
		if counter--; counter == 0 {
			counter = min(l, 1000)
			s.shrink()
		}
		i, j, ok := s.selectWorkingSet()
		if !ok {
			s.reconstructGradient()
			s.activeSize = l
			if i, j, ok = s.selectWorkingSet(); !ok {
				break
			}
			counter = 1 // shrink at the next iteration
		}
		iter++
		s.update(i, j)
	}
	if s.activeSize < l { // the iteration limit: put the gradient back
		s.reconstructGradient()
		s.activeSize = l
	}
	rho := s.rho()
	alpha := make([]float64, l)
	for p, a := range s.alpha {
		alpha[s.active[p]] = a
	}
	return smoResult{alpha: alpha, rho: rho, iter: iter}
}

func (s *smoSolver) setStatus(i int) {
	switch {
	case s.alpha[i] >= s.C:
		s.status[i] = smoUpper
	case s.alpha[i] <= 0:
		s.status[i] = smoLower
	default:
		s.status[i] = smoFree
	}
}

// selectWorkingSet is libsvm's select_working_set over the active set; ok
// is false when the active set is optimal within eps.
func (s *smoSolver) selectWorkingSet() (int, int, bool) {
	n := s.activeSize
	y, G, st := s.y[:n], s.G[:n], s.status[:n]
	gmax, gmaxIdx := math.Inf(-1), -1
	for t := range n {
		if y[t] > 0 {
			if st[t] != smoUpper && -G[t] >= gmax {
				gmax, gmaxIdx = -G[t], t
			}
		} else if st[t] != smoLower && G[t] >= gmax {
			gmax, gmaxIdx = G[t], t
		}
	}
	i := gmaxIdx
	var Qi []float32
	yi, qdi := 0.0, 0.0
	if i >= 0 {
		Qi = s.q.row(i, n)[:n]
		yi, qdi = y[i], s.qd[i]
	}
	qd := s.qd[:n]
	gmax2, gminIdx, objMin := math.Inf(-1), -1, math.Inf(1)
	for t := range n {
		if y[t] > 0 {
			if st[t] == smoLower {
				continue
			}
			gd := gmax + G[t]
			if G[t] >= gmax2 {
				gmax2 = G[t]
			}
			if gd > 0 {
				quad := qdi + qd[t] - 2*yi*float64(Qi[t])
				if quad <= 0 {
					quad = smoTau
				}
				if obj := -(gd * gd) / quad; obj <= objMin {
					gminIdx, objMin = t, obj
				}
			}
		} else {
			if st[t] == smoUpper {
				continue
			}
			gd := gmax - G[t]
			if -G[t] >= gmax2 {
				gmax2 = -G[t]
			}
			if gd > 0 {
				quad := qdi + qd[t] + 2*yi*float64(Qi[t])
				if quad <= 0 {
					quad = smoTau
				}
				if obj := -(gd * gd) / quad; obj <= objMin {
					gminIdx, objMin = t, obj
				}
			}
		}
	}
	if gmax+gmax2 < s.eps || gminIdx == -1 {
		return 0, 0, false
	}
	return gmaxIdx, gminIdx, true
}

// update takes the SMO step on the pair (i, j) and updates G and G_bar.
func (s *smoSolver) update(i, j int) {
	n := s.activeSize
	C := s.C
	alpha, y := s.alpha, s.y
	Qi := s.q.row(i, n)
	Qj := s.q.row(j, n)
	oldAi, oldAj := alpha[i], alpha[j]
	if y[i] != y[j] {
		quad := s.qd[i] + s.qd[j] + 2*float64(Qi[j])
		if quad <= 0 {
			quad = smoTau
		}
		delta := (-s.G[i] - s.G[j]) / quad
		diff := alpha[i] - alpha[j]
		alpha[i] += delta
		alpha[j] += delta
		if diff > 0 {
			if alpha[j] < 0 {
				alpha[j], alpha[i] = 0, diff
			}
		} else if alpha[i] < 0 {
			alpha[i], alpha[j] = 0, -diff
		}
		if diff > 0 { // diff > C_i − C_j, with one C
			if alpha[i] > C {
				alpha[i], alpha[j] = C, C-diff
			}
		} else if alpha[j] > C {
			alpha[j], alpha[i] = C, C+diff
		}
	} else {
		quad := s.qd[i] + s.qd[j] - 2*float64(Qi[j])
		if quad <= 0 {
			quad = smoTau
		}
		delta := (s.G[i] - s.G[j]) / quad
		sum := alpha[i] + alpha[j]
		alpha[i] -= delta
		alpha[j] += delta
		if sum > C {
			if alpha[i] > C {
				alpha[i], alpha[j] = C, sum-C
			}
		} else if alpha[j] < 0 {
			alpha[j], alpha[i] = 0, sum
		}
		if sum > C {
			if alpha[j] > C {
				alpha[j], alpha[i] = C, sum-C
			}
		} else if alpha[i] < 0 {
			alpha[i], alpha[j] = 0, sum
		}
	}
	dai, daj := alpha[i]-oldAi, alpha[j]-oldAj
	G := s.G[:n]
	Qi, Qj = Qi[:n], Qj[:n]
	for t := range G {
		G[t] += float64(Qi[t])*dai + float64(Qj[t])*daj
	}
	ui, uj := s.status[i] == smoUpper, s.status[j] == smoUpper
	s.setStatus(i)
	s.setStatus(j)
	if ui != (s.status[i] == smoUpper) {
		s.addGbar(i, ui)
	}
	if uj != (s.status[j] == smoUpper) {
		s.addGbar(j, uj)
	}
}

// addGbar adds C·Q_i to G_bar (i became upper-bounded) or subtracts it
// (wasUpper: i left the bound).
func (s *smoSolver) addGbar(i int, wasUpper bool) {
	Qi := s.q.row(i, s.l)[:s.l]
	c := s.C
	if wasUpper {
		c = -c
	}
	for k, v := range Qi {
		s.Gbar[k] += c * float64(v)
	}
}

// beShrunk is libsvm's be_shrunk.
func (s *smoSolver) beShrunk(i int, gmax1, gmax2 float64) bool {
	switch s.status[i] {
	case smoUpper:
		if s.y[i] > 0 {
			return -s.G[i] > gmax1
		}
		return -s.G[i] > gmax2
	case smoLower:
		if s.y[i] > 0 {
			return s.G[i] > gmax2
		}
		return s.G[i] > gmax1
	}
	return false
}

// shrink is libsvm's do_shrinking.
func (s *smoSolver) shrink() {
	gmax1, gmax2 := math.Inf(-1), math.Inf(-1)
	for i := range s.activeSize {
		g := s.G[i]
		if s.y[i] > 0 {
			if s.status[i] != smoUpper && -g >= gmax1 {
				gmax1 = -g
			}
			if s.status[i] != smoLower && g >= gmax2 {
				gmax2 = g
			}
		} else {
			if s.status[i] != smoUpper && -g >= gmax2 {
				gmax2 = -g
			}
			if s.status[i] != smoLower && g >= gmax1 {
				gmax1 = g
			}
		}
	}
	if !s.unshrink && gmax1+gmax2 <= s.eps*10 {
		s.unshrink = true
		s.reconstructGradient()
		s.activeSize = s.l
	}
	for i := 0; i < s.activeSize; i++ {
		if !s.beShrunk(i, gmax1, gmax2) {
			continue
		}
		s.activeSize--
		for s.activeSize > i {
			if !s.beShrunk(s.activeSize, gmax1, gmax2) {
				s.swap(i, s.activeSize)
				break
			}
			s.activeSize--
		}
	}
}

// swap is libsvm's swap_index.
func (s *smoSolver) swap(i, j int) {
	s.q.swap(i, j)
	s.y[i], s.y[j] = s.y[j], s.y[i]
	s.G[i], s.G[j] = s.G[j], s.G[i]
	s.status[i], s.status[j] = s.status[j], s.status[i]
	s.alpha[i], s.alpha[j] = s.alpha[j], s.alpha[i]
	s.active[i], s.active[j] = s.active[j], s.active[i]
	s.Gbar[i], s.Gbar[j] = s.Gbar[j], s.Gbar[i]
	s.qd[i], s.qd[j] = s.qd[j], s.qd[i]
}

// reconstructGradient is libsvm's reconstruct_gradient: the gradient of
// the inactive variables from G_bar and the free variables.
func (s *smoSolver) reconstructGradient() {
	n, l := s.activeSize, s.l
	if n == l {
		return
	}
	for j := n; j < l; j++ {
		s.G[j] = s.Gbar[j] - 1
	}
	nFree := 0
	for j := range n {
		if s.status[j] == smoFree {
			nFree++
		}
	}
	if nFree*l > 2*n*(l-n) {
		for i := n; i < l; i++ {
			Qi := s.q.row(i, n)
			for j := range n {
				if s.status[j] == smoFree {
					s.G[i] += s.alpha[j] * float64(Qi[j])
				}
			}
		}
	} else {
		for i := range n {
			if s.status[i] != smoFree {
				continue
			}
			Qi := s.q.row(i, l)
			a := s.alpha[i]
			for j := n; j < l; j++ {
				s.G[j] += a * float64(Qi[j])
			}
		}
	}
}

// rho is libsvm's calculate_rho.
func (s *smoSolver) rho() float64 {
	ub, lb := math.Inf(1), math.Inf(-1)
	var sumFree float64
	nFree := 0
	for t := range s.activeSize {
		yG := s.y[t] * s.G[t]
		switch s.status[t] {
		case smoUpper:
			if s.y[t] < 0 {
				ub = min(ub, yG)
			} else {
				lb = max(lb, yG)
			}
		case smoLower:
			if s.y[t] > 0 {
				ub = min(ub, yG)
			} else {
				lb = max(lb, yG)
			}
		default:
			nFree++
			sumFree += yG
		}
	}
	if nFree > 0 {
		return sumFree / float64(nFree)
	}
	return (ub + lb) / 2
}

// kernelCache is libsvm's Cache with its SVC_Q: rows of
// Q_ij = y_i y_j K(x_i, x_j) by position (active[p] is the problem index
// at position p), each computed up to the length asked and kept, least
// recently used first out, within a budget of floats.
type kernelCache struct {
	X      [][]float64
	y      []float64 // the solver's, by position
	active []int     // the solver's
	kern   svmKernel
	size   int // floats still free
	heads  []cacheHead
	lru    cacheHead // sentinel: lru.next is the least recently used
}

type cacheHead struct {
	prev, next *cacheHead
	data       []float32 // len(data) is the computed length
}

func newKernelCache(X [][]float64, y []float64, active []int, kern svmKernel, cacheBytes int) *kernelCache {
	l := len(X)
	size := cacheBytes / 4
	size -= l * 24 / 4 // libsvm's head_t array
	size = max(size, 2*l)
	c := &kernelCache{X: X, y: y, active: active, kern: kern, size: size, heads: make([]cacheHead, l)}
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	return c
}

func (c *kernelCache) unlink(h *cacheHead) {
	h.prev.next = h.next
	h.next.prev = h.prev
}

func (c *kernelCache) pushBack(h *cacheHead) {
	h.next = &c.lru
	h.prev = c.lru.prev
	h.prev.next = h
	h.next.prev = h
}

// row returns row i (a position) computed at least up to column n.
func (c *kernelCache) row(i, n int) []float32 {
	h := &c.heads[i]
	start := len(h.data)
	if start > 0 {
		c.unlink(h)
	}
	if more := n - start; more > 0 {
		for c.size < more {
			old := c.lru.next
			c.unlink(old)
			c.size += len(old.data)
			old.data = nil
		}
		if cap(h.data) >= n {
			h.data = h.data[:n]
		} else {
			d := make([]float32, n)
			copy(d, h.data)
			h.data = d
		}
		c.size -= more
		c.compute(i, h.data, start, n)
	}
	c.pushBack(h)
	return h.data
}

// smoParallelCols: a row of at least this many new columns is computed by
// up to GOMAXPROCS goroutines, each over its own range of columns.
const smoParallelCols = 8192

func (c *kernelCache) compute(i int, out []float32, from, to int) {
	n := to - from
	workers := min(runtime.GOMAXPROCS(0), n/(smoParallelCols/2))
	if n < smoParallelCols || workers <= 1 {
		c.computeRange(i, out, from, to)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := from+w*n/workers, from+(w+1)*n/workers
		wg.Go(func() { c.computeRange(i, out, lo, hi) })
	}
	wg.Wait()
}

func (c *kernelCache) computeRange(i int, out []float32, from, to int) {
	xi, yi := c.X[c.active[i]], c.y[i]
	if c.kern.kind != kernelRBF {
		for t := from; t < to; t++ {
			out[t] = float32(yi * c.y[t] * c.kern.eval(xi, c.X[c.active[t]]))
		}
		return
	}
	g, t := c.kern.gamma, from
	for ; t+4 <= to; t += 4 {
		s0, s1, s2, s3 := rbfDist4(xi, c.X[c.active[t]], c.X[c.active[t+1]], c.X[c.active[t+2]], c.X[c.active[t+3]])
		out[t] = float32(yi * c.y[t] * math.Exp(-g*s0))
		out[t+1] = float32(yi * c.y[t+1] * math.Exp(-g*s1))
		out[t+2] = float32(yi * c.y[t+2] * math.Exp(-g*s2))
		out[t+3] = float32(yi * c.y[t+3] * math.Exp(-g*s3))
	}
	for ; t < to; t++ {
		out[t] = float32(yi * c.y[t] * math.Exp(-g*rbfDist(c.X[c.active[t]], xi)))
	}
}

// rbfDist is ||a − b||², summed in feature order.
func rbfDist(a, b []float64) float64 {
	b = b[:len(a)]
	var s float64
	for k, v := range a {
		d := v - b[k]
		s += d * d
	}
	return s
}

// rbfDist4 is rbfDist from x to four rows at once: four independent sums,
// each added in feature order as rbfDist adds it, so the values are the
// same.
func rbfDist4(x, a0, a1, a2, a3 []float64) (s0, s1, s2, s3 float64) {
	a0, a1, a2, a3 = a0[:len(x)], a1[:len(x)], a2[:len(x)], a3[:len(x)]
	for k, v := range x {
		d0, d1, d2, d3 := a0[k]-v, a1[k]-v, a2[k]-v, a3[k]-v
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	return s0, s1, s2, s3
}

// swap is libsvm's Cache::swap_index, called before the solver swaps its
// arrays: rows i and j trade places, and every cached row trades columns
// i and j, or is dropped if it holds only one of them.
func (c *kernelCache) swap(i, j int) {
	if i == j {
		return
	}
	hi, hj := &c.heads[i], &c.heads[j]
	if len(hi.data) > 0 {
		c.unlink(hi)
	}
	if len(hj.data) > 0 {
		c.unlink(hj)
	}
	hi.data, hj.data = hj.data, hi.data
	if len(hi.data) > 0 {
		c.pushBack(hi)
	}
	if len(hj.data) > 0 {
		c.pushBack(hj)
	}
	if i > j {
		i, j = j, i
	}
	for h := c.lru.next; h != &c.lru; {
		next := h.next
		if len(h.data) > i {
			if len(h.data) > j {
				h.data[i], h.data[j] = h.data[j], h.data[i]
			} else {
				c.unlink(h)
				c.size += len(h.data)
				h.data = nil
			}
		}
		h = next
	}
}

// The kernels of libsvm (sklearn's SVC kernel).
const (
	kernelRBF = iota
	kernelLinear
	kernelPoly
	kernelSigmoid
)

// kernelNames are the kernels by kind, under sklearn's names.
var kernelNames = []string{"rbf", "linear", "poly", "sigmoid"}

// svmKernel is libsvm's kernel function: rbf exp(−γ‖a−b‖²), linear a·b,
// poly (γ a·b + coef0)^degree (libsvm's powi), sigmoid tanh(γ a·b + coef0),
// dot products summed in feature order.
type svmKernel struct {
	kind   int
	gamma  float64
	coef0  float64
	degree int
}

func (k svmKernel) eval(a, b []float64) float64 {
	switch k.kind {
	case kernelLinear:
		return dot(a, b) // lbfgs.go's, summed in feature order
	case kernelPoly:
		return powi(k.gamma*dot(a, b)+k.coef0, k.degree)
	case kernelSigmoid:
		return math.Tanh(k.gamma*dot(a, b) + k.coef0)
	}
	return math.Exp(-k.gamma * rbfDist(a, b))
}

// powi is libsvm's powi: base^times by repeated squaring (times ≥ 0).
func powi(base float64, times int) float64 {
	tmp, ret := base, 1.0
	for t := times; t > 0; t /= 2 {
		if t%2 == 1 {
			ret *= tmp
		}
		tmp *= tmp
	}
	return ret
}
