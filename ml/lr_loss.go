package ml

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// lrProblem is LogisticRegression's objective as scikit-learn 1.2.1's
// LinearModelLoss.loss_gradient computes it (sample weights one): over the
// rows X (flat, n × d), the sum of the per-row losses (numpy's pairwise
// sum) plus ½·l2·||W||², l2 = 1/C; the gradient Rᵀ X + l2·W for the
// weights and the column sums of the residuals R for the intercepts.
// Multinomial (K classes, HalfMultinomialLoss) variables are laid out as
// scikit-learn's: w[j·K+k] for feature j (j = d the intercept) and class k;
// binary (K = 1, HalfBinomialLoss, class 1 positive) w[j], intercept w[d].
//
// eval splits the rows into chunks, a number fixed by the problem's size
// alone, evaluates them in parallel (up to GOMAXPROCS) and adds their
// gradients in chunk order: the result does not depend on the number of
// processors.
type lrProblem struct {
	X    []float64
	n, d int
	K    int
	y    []int
	l2   float64

	z      []float64   // n × K scores, then residuals
	loss   []float64   // per row
	bounds []int       // chunk c is rows bounds[c]:bounds[c+1]
	grads  [][]float64 // per chunk: its part of Rᵀ X (d × K)

	// The AVX products (kernel, lr_kernel.go): Wᵀ and each row of scores
	// and of a chunk's gradient 16 classes wide.
	kernel bool
	wp     []float64 // d × 16
	zp     []float64 // n × 16
}

// lrChunkWork is about the multiply-adds of one chunk of an evaluation.
const lrChunkWork = 1 << 17

// lrChunkRows is the rows of one chunk of a multinomial evaluation on few
// features.
const lrChunkRows = 1024

// lrGemmFeatures: above it a chunk's two products are matrix products,
// below it one fused pass over the rows.
const lrGemmFeatures = 16

func (p *lrProblem) setup() {
	if p.bounds != nil {
		return
	}
	var nc int
	if p.K > 1 && p.d <= lrGemmFeatures {
		// The chunks here only hold scores and residuals: the gradient
		// (gradColumn) and the loss (pairwiseSum) run over all rows, so
		// any cut gives the same bits, and a cut by rows alone keeps a
		// few thousand rows in parallel.
		nc = min(max(1, p.n/lrChunkRows), 64)
	} else {
		work := p.n * (p.d + 1) * p.K
		nc = min(max(1, work/lrChunkWork), max(1, p.n/64), 64)
		if p.K > 1 {
			// At most 192 rows a chunk: gonum's Gemm runs a product of
			// more than three 64-row blocks on goroutines of its own.
			nc = max(nc, (p.n+191)/192)
		}
	}
	p.bounds = make([]int, nc+1)
	for c := range nc + 1 {
		p.bounds[c] = c * p.n / nc
	}
	p.kernel = lrKernelAVX && p.K > 1 && p.d > lrGemmFeatures && p.K <= lrKernelClasses
	width := p.K
	if p.kernel {
		width = 16
		p.wp = make([]float64, p.d*16)
		p.zp = make([]float64, p.n*16)
	}
	p.grads = make([][]float64, nc)
	for c := range p.grads {
		p.grads[c] = make([]float64, width*p.d)
	}
	p.z = make([]float64, p.n*p.K)
	p.loss = make([]float64, p.n)
}

// eval returns the objective at w and writes its gradient.
func (p *lrProblem) eval(w, grad []float64) float64 {
	p.setup()
	d, K := p.d, p.K
	nc := len(p.grads)
	if p.kernel {
		padTo16(p.wp, w, d, K)
	}
	parallelFor(nc, func(c int) {
		lo, hi := p.bounds[c], p.bounds[c+1]
		if K == 1 {
			p.binary(w, p.grads[c], lo, hi)
		} else {
			p.multinomial(w, p.grads[c], lo, hi)
		}
	})
	gw := grad[:d*K]
	if K > 1 && d <= lrGemmFeatures {
		// Rᵀ X as OpenBLAS's small-matrix product forms it: each entry one
		// chain of fused multiply-adds over the rows, in order.
		parallelFor(d, func(j int) { p.gradColumn(gw[j*K:(j+1)*K], j) })
	} else {
		copy(gw, p.grads[0])
		for c := 1; c < nc; c++ {
			for i, v := range p.grads[c][:d*K] {
				gw[i] += v
			}
		}
	}
	W := w[:d*K]
	for i, v := range W {
		gw[i] += p.l2 * v
	}
	gb := grad[d*K:]
	if K == 1 {
		gb[0] = pairwiseSum(p.z)
	} else {
		// grad_pointwise.sum(axis=0): row after row.
		clear(gb)
		for i := range p.n {
			for k, r := range p.z[i*K : (i+1)*K] {
				gb[k] += r
			}
		}
	}
	loss := 0 + pairwiseSum(p.loss)
	return loss + 0.5*p.l2*dot(W, W)
}

// binary writes the loss and residual of rows lo:hi and their part of
// Xᵀ R to g, as HalfBinomialLoss's closs_grad_half_binomial.
func (p *lrProblem) binary(w, g []float64, lo, hi int) {
	d := p.d
	clear(g)
	wv, b := w[:d], w[d]
	for i := lo; i < hi; i++ {
		x := p.X[i*d : (i+1)*d]
		raw := dot(x, wv) + b
		var yt float64
		if p.y[i] == 1 {
			yt = 1
		}
		var l, r float64
		if raw <= 0 {
			e := math.Exp(raw)
			if raw <= -37 {
				l = e - yt*raw
			} else {
				l = math.Log1p(e) - yt*raw
			}
			r = ((1-yt)*e - yt) / (1 + e)
		} else {
			e := math.Exp(-raw)
			if raw <= 18 {
				l = math.Log1p(e) + (1-yt)*raw
			} else {
				l = e + (1-yt)*raw
			}
			r = ((1 - yt) - yt*e) / (1 + e)
		}
		p.loss[i], p.z[i] = l, r
		axpy(r, x, g)
	}
}

// multinomial: scores Z = X·Wᵀ + b, per-row loss log Σ exp(z − max) + max −
// z_y, residuals R = softmax(Z) − onehot(y) (HalfMultinomialLoss), and Rᵀ X
// into g (d × K); by two matrix products for many features, else in one
// pass over the rows.
func (p *lrProblem) multinomial(w, g []float64, lo, hi int) {
	d, K := p.d, p.K
	z := p.z[lo*K : hi*K]
	rows := hi - lo
	gemm := d > lrGemmFeatures
	b := w[d*K : (d+1)*K]
	// Wᵀ is w's first d·K values as a d × K matrix.
	WT := blas64.General{Rows: d, Cols: K, Stride: K, Data: w[:d*K]}
	Xm := blas64.General{Rows: rows, Cols: d, Stride: d, Data: p.X[lo*d : hi*d]}
	Zm := blas64.General{Rows: rows, Cols: K, Stride: K, Data: z}
	switch {
	case p.kernel:
		zp := p.zp[lo*16 : hi*16]
		lrScores16(Xm.Data, d, p.wp, zp, rows)
		unpad16(z, zp, rows, K)
	case gemm:
		blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, Xm, WT, 0, Zm)
	}
	for i := range rows {
		zi := z[i*K : (i+1)*K]
		x := p.X[(lo+i)*d : (lo+i+1)*d]
		if !gemm {
			// X·Wᵀ as OpenBLAS forms it: one chain of fused multiply-adds
			// over the features.
			clear(zi)
			for j, v := range x {
				for k, wk := range w[j*K : (j+1)*K] {
					zi[k] = math.FMA(v, wk, zi[k])
				}
			}
		}
		for k := range zi {
			zi[k] += b[k]
		}
		zmax := zi[0]
		for _, v := range zi[1:] {
			if zmax < v {
				zmax = v
			}
		}
		yi := p.y[lo+i]
		zy := zi[yi]
		var sum float64
		for k, v := range zi {
			e := 1.0 // exp(0), exactly
			if v != zmax {
				e = expGlibc(v - zmax)
			}
			zi[k] = e
			sum += e
		}
		l := math.Log(sum) + zmax
		l -= zy
		for k := range zi {
			zi[k] /= sum
		}
		zi[yi]--
		p.loss[lo+i] = l
	}
	switch {
	case p.kernel:
		zp := p.zp[lo*16 : hi*16]
		padTo16(zp, z, rows, K)
		lrGrad16(Xm.Data, d, zp, g, rows)
		unpad16(g, g, d, K) // d × 16 to d × K, in place
	case gemm:
		G := blas64.General{Rows: d, Cols: K, Stride: K, Data: g}
		blas64.Gemm(blas.Trans, blas.NoTrans, 1, Xm, Zm, 0, G)
	}
}

// gradColumn writes column j of Rᵀ X (one value per class) from the
// residuals in p.z.
func (p *lrProblem) gradColumn(g []float64, j int) {
	d, K := p.d, p.K
	if K == 3 {
		// Three classes (iris's): the chains in registers, not in g.
		var a0, a1, a2 float64
		z := p.z[:3*p.n]
		for i := range p.n {
			x := p.X[i*d+j]
			r := z[3*i : 3*i+3 : 3*i+3]
			a0 = math.FMA(r[0], x, a0)
			a1 = math.FMA(r[1], x, a1)
			a2 = math.FMA(r[2], x, a2)
		}
		g[0], g[1], g[2] = a0, a1, a2
		return
	}
	clear(g)
	for i := range p.n {
		x := p.X[i*d+j]
		for k, r := range p.z[i*K : (i+1)*K] {
			g[k] = math.FMA(r, x, g[k])
		}
	}
}

// pairwiseSum adds v as numpy's add.reduce does for a contiguous float64
// array: blocks of up to 128 values by eight partial sums, longer runs
// split in two (at a multiple of eight) and summed recursively.
func pairwiseSum(v []float64) float64 {
	n := len(v)
	switch {
	case n < 8:
		var s float64
		for _, x := range v {
			s += x
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], v[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range r {
				r[j] += v[i+j]
			}
		}
		s := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			s += v[i]
		}
		return s
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwiseSum(v[:n2]) + pairwiseSum(v[n2:])
	}
}
