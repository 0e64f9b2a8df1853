package ml

import (
	"container/list"
	"math"
)

// smoTau is libsvm's TAU, used when the second-order coefficient is not positive.
const smoTau = 1e-12

// smoResult is the solution of one binary C-SVC problem.
type smoResult struct {
	alpha []float64
	rho   float64
	iter  int
}

// solveSMO solves the C-SVC dual
//
//	min ½ αᵀQα − eᵀα,  yᵀα = 0,  0 ≤ α ≤ C,  Q_ij = y_i y_j K(x_i, x_j)
//
// with libsvm's SMO using second-order working set selection (Fan, Chen and
// Lin 2005) and stopping tolerance eps, without shrinking. y holds ±1.
func solveSMO(X [][]float64, y []float64, C, gamma, eps float64, cacheBytes int) smoResult {
	l := len(X)
	q := newKernelCache(X, y, gamma, cacheBytes)
	alpha := make([]float64, l)
	G := make([]float64, l)
	for i := range G {
		G[i] = -1
	}
	upper := func(i int) bool { return alpha[i] >= C }
	lower := func(i int) bool { return alpha[i] <= 0 }
	maxIter := max(10_000_000, 100*l)
	iter := 0
	for ; iter < maxIter; iter++ {
		// Select i: maximal violating index among I_up.
		gmax, gmaxIdx := math.Inf(-1), -1
		for t := range l {
			if y[t] > 0 {
				if !upper(t) && -G[t] >= gmax {
					gmax, gmaxIdx = -G[t], t
				}
			} else if !lower(t) && G[t] >= gmax {
				gmax, gmaxIdx = G[t], t
			}
		}
		i := gmaxIdx
		var Qi []float32
		if i >= 0 {
			Qi = q.row(i)
		}
		// Select j by the second-order gain.
		gmax2, gminIdx, objMin := math.Inf(-1), -1, math.Inf(1)
		for t := range l {
			if y[t] > 0 {
				if lower(t) {
					continue
				}
				gd := gmax + G[t]
				if G[t] >= gmax2 {
					gmax2 = G[t]
				}
				if gd > 0 {
					quad := 2 - 2*y[i]*float64(Qi[t])
					if quad <= 0 {
						quad = smoTau
					}
					if obj := -(gd * gd) / quad; obj <= objMin {
						gminIdx, objMin = t, obj
					}
				}
			} else {
				if upper(t) {
					continue
				}
				gd := gmax - G[t]
				if -G[t] >= gmax2 {
					gmax2 = -G[t]
				}
				if gd > 0 {
					quad := 2 + 2*y[i]*float64(Qi[t])
					if quad <= 0 {
						quad = smoTau
					}
					if obj := -(gd * gd) / quad; obj <= objMin {
						gminIdx, objMin = t, obj
					}
				}
			}
		}
		if gmax+gmax2 < eps || gminIdx == -1 {
			break
		}
		j := gminIdx
		Qi = q.row(i) // may have been evicted by nothing, but keep it simple
		Qj := q.row(j)
		oldAi, oldAj := alpha[i], alpha[j]
		if y[i] != y[j] {
			quad := 2 + 2*float64(Qi[j])
			if quad <= 0 {
				quad = smoTau
			}
			delta := (-G[i] - G[j]) / quad
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
			if diff > 0 {
				if alpha[i] > C {
					alpha[i], alpha[j] = C, C-diff
				}
			} else if alpha[j] > C {
				alpha[j], alpha[i] = C, C+diff
			}
		} else {
			quad := 2 - 2*float64(Qi[j])
			if quad <= 0 {
				quad = smoTau
			}
			delta := (G[i] - G[j]) / quad
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
		for t := range l {
			G[t] += float64(Qi[t])*dai + float64(Qj[t])*daj
		}
	}
	// rho as libsvm's calculate_rho.
	ub, lb := math.Inf(1), math.Inf(-1)
	var sumFree float64
	nFree := 0
	for t := range l {
		yG := y[t] * G[t]
		switch {
		case upper(t):
			if y[t] < 0 {
				ub = min(ub, yG)
			} else {
				lb = max(lb, yG)
			}
		case lower(t):
			if y[t] > 0 {
				ub = min(ub, yG)
			} else {
				lb = max(lb, yG)
			}
		default:
			nFree++
			sumFree += yG
		}
	}
	rho := (ub + lb) / 2
	if nFree > 0 {
		rho = sumFree / float64(nFree)
	}
	return smoResult{alpha: alpha, rho: rho, iter: iter}
}

// kernelCache computes rows of Q_ij = y_i y_j exp(-gamma ||x_i − x_j||²) and
// keeps the most recently used ones within a byte budget.
type kernelCache struct {
	X       [][]float64
	y       []float64
	gamma   float64
	maxRows int
	rows    map[int]*list.Element
	lru     *list.List // of *cacheRow, most recent at front
}

type cacheRow struct {
	i    int
	vals []float32
}

func newKernelCache(X [][]float64, y []float64, gamma float64, cacheBytes int) *kernelCache {
	l := len(X)
	maxRows := max(2, cacheBytes/(4*max(l, 1)))
	return &kernelCache{X: X, y: y, gamma: gamma, maxRows: maxRows,
		rows: make(map[int]*list.Element), lru: list.New()}
}

func (c *kernelCache) row(i int) []float32 {
	if e, ok := c.rows[i]; ok {
		c.lru.MoveToFront(e)
		return e.Value.(*cacheRow).vals
	}
	var r *cacheRow
	if c.lru.Len() >= c.maxRows {
		e := c.lru.Back()
		r = e.Value.(*cacheRow)
		delete(c.rows, r.i)
		c.lru.Remove(e)
		r.i = i
	} else {
		r = &cacheRow{i: i, vals: make([]float32, len(c.X))}
	}
	xi, yi := c.X[i], c.y[i]
	for t, xt := range c.X {
		var s float64
		for k, v := range xt {
			d := v - xi[k]
			s += d * d
		}
		r.vals[t] = float32(yi * c.y[t] * math.Exp(-c.gamma*s))
	}
	c.rows[i] = c.lru.PushFront(r)
	return r.vals
}
