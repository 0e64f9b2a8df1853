package ml

import "math"

// lbfgsbOptions are the arguments of scipy.optimize.minimize(method=
// "L-BFGS-B") that minimizeLBFGSB takes: maxcor (M), ftol, gtol, maxiter,
// maxfun and maxls.
type lbfgsbOptions struct {
	M       int     // memory (maxcor)
	FTol    float64 // stop when (f_old − f)/max(|f_old|, |f|, 1) <= FTol
	GTol    float64 // stop when max |g_i| <= GTol
	MaxIter int     // iterations
	MaxFun  int     // function evaluations (checked after an iteration)
	MaxLS   int     // evaluations of one line search
}

// scipyLBFGSB returns scipy 1.10's defaults for minimize(method="L-BFGS-B"):
// maxcor 10, ftol 2.2204460492503131e-09, gtol 1e-5, maxiter and maxfun
// 15000, maxls 20.
func scipyLBFGSB() lbfgsbOptions {
	return lbfgsbOptions{M: 10, FTol: 2.2204460492503131e-09, GTol: 1e-5, MaxIter: 15000, MaxFun: 15000, MaxLS: 20}
}

// lbfgsbStatus is scipy's status (warnflag) of an L-BFGS-B run.
type lbfgsbStatus int

const (
	lbfgsbConverged lbfgsbStatus = iota // a convergence test was met
	lbfgsbLimit                         // maxiter or maxfun reached
	lbfgsbAbnormal                      // the line search failed
)

// lbfgsbResult is what minimizeLBFGSB returns: the final function value,
// scipy's nit and nfev, its status and message.
type lbfgsbResult struct {
	F       float64
	GNorm   float64 // the final max |g_i|
	NIter   int
	NFev    int
	Status  lbfgsbStatus
	Message string
}

// Messages of L-BFGS-B's task string that end a run.
const (
	msgPGTol    = "CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_<=_PGTOL"
	msgFactr    = "CONVERGENCE: REL_REDUCTION_OF_F_<=_FACTR*EPSMCH"
	msgMaxIter  = "STOP: TOTAL NO. of ITERATIONS REACHED LIMIT"
	msgMaxFun   = "STOP: TOTAL NO. of f AND g EVALUATIONS EXCEEDS LIMIT"
	msgAbnormal = "ABNORMAL_TERMINATION_IN_LNSRCH"
)

// minimizeLBFGSB minimizes fg, which returns f(x) and writes its gradient,
// from x (updated in place) by L-BFGS-B 3.0 (Byrd, Lu, Nocedal and Zhu;
// scipy 1.10's lbfgsb.f, driven as scipy's _minimize_lbfgsb drives it)
// without bounds: the generalized Cauchy point of an empty memory, the
// subspace minimization over all variables through the compact
// representation of the limited-memory matrix, the Moré–Thuente line search
// and its stopping rules, in the order of operations of the Fortran code,
// so that it takes the same steps up to the rounding of the sums.
func minimizeLBFGSB(x []float64, fg func(x, g []float64) float64, o lbfgsbOptions) lbfgsbResult {
	n, m := len(x), o.M
	// epsmch is L-BFGS-B's 2·dlamch('e'); tol its factr·epsmch, where scipy
	// passes factr = ftol/eps. Variables keep the arithmetic in float64.
	epsmch, eps := 0x1p-52, 0x1p-52
	factr := o.FTol / eps
	tol := factr * epsmch
	s := newLBFGSBState(n, m)
	g := make([]float64, n)
	z, r, d, t := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	f := fg(x, g)
	res := lbfgsbResult{NFev: 1}
	sbgnrm := projgr(g)
	if sbgnrm <= o.GTol {
		return lbfgsbResult{F: f, GNorm: sbgnrm, NFev: 1, Message: msgPGTol}
	}
	iter := 0 // L-BFGS-B's iteration count (scipy's nit is res.NIter)
	for {
		wrk := s.updatd
		if s.col == 0 {
			cauchyFree(x, g, s.theta, sbgnrm, z)
		} else {
			copy(z, x)
			if wrk && !s.formk() {
				s.reset()
				continue
			}
			for i, v := range g {
				r[i] = -v
			}
			if !s.subsm(z, r) {
				s.reset()
				continue
			}
		}
		for i := range d {
			d[i] = z[i] - x[i]
		}

		// The line search (lnsrlb).
		dtd := dot(d, d)
		dnorm := math.Sqrt(dtd)
		const stpmx = 1e10
		stp := 1.0
		if iter == 0 {
			stp = math.Min(1/dnorm, stpmx)
		}
		copy(t, x)
		copy(r, g)
		fold := f
		ls := dcsrch{ftol: 1e-3, gtol: 0.9, xtol: 0.1, stpmin: 0, stpmax: stpmx}
		var gd, gdold float64
		ifun, failed := 0, false
		for {
			gd = dot(g, d)
			var task lineTask
			if ifun == 0 {
				gdold = gd
				if gd >= 0 {
					failed = true // not a descent direction (info = -4)
					break
				}
				task = ls.start(f, gd, stp)
			} else {
				stp, task = ls.next(f, gd, stp)
			}
			if task == lineErr {
				failed = true
				break
			}
			if task != lineFG {
				break
			}
			if ifun >= o.MaxLS { // iback = ifun−1 reaches maxls: no evaluation
				failed = true
				break
			}
			ifun++
			res.NFev++
			if stp == 1 {
				copy(x, z)
			} else {
				for i := range x {
					x[i] = stp*d[i] + t[i]
				}
			}
			f = fg(x, g)
		}
		if failed {
			copy(x, t)
			copy(g, r)
			f = fold
			if s.col == 0 {
				res.F, res.Status, res.Message = f, lbfgsbAbnormal, msgAbnormal
				res.GNorm = sbgnrm
				return res
			}
			s.reset()
			continue
		}
		iter++
		sbgnrm = projgr(g)
		// scipy's driver at NEW_X: count the iteration, stop at the limits.
		res.NIter++
		if res.NIter >= o.MaxIter {
			res.F, res.Status, res.Message = f, lbfgsbLimit, msgMaxIter
			res.GNorm = sbgnrm
			return res
		}
		if res.NFev > o.MaxFun {
			res.F, res.Status, res.Message = f, lbfgsbLimit, msgMaxFun
			res.GNorm = sbgnrm
			return res
		}
		if sbgnrm <= o.GTol {
			res.F, res.Message = f, msgPGTol
			res.GNorm = sbgnrm
			return res
		}
		if fold-f <= tol*math.Max(math.Max(math.Abs(fold), math.Abs(f)), 1) {
			res.F, res.Message = f, msgFactr
			res.GNorm = sbgnrm
			return res
		}
		// The correction pair: s = stp·d, y = g − g_old.
		for i := range r {
			r[i] = g[i] - r[i]
		}
		rr := dot(r, r)
		var dr, ddum float64
		if stp == 1 {
			dr = gd - gdold
			ddum = -gdold
		} else {
			dr = (gd - gdold) * stp
			for i := range d {
				d[i] *= stp
			}
			ddum = -gdold * stp
		}
		if dr <= epsmch*ddum {
			s.updatd = false // skip the update
			continue
		}
		s.updatd = true
		s.iupdat++
		s.matupd(d, r, rr, dr, stp, dtd)
		if !s.formt() {
			s.reset()
		}
	}
}

// projgr is the projected gradient's largest absolute component, without
// bounds that of the gradient (a NaN component is returned as it is).
func projgr(g []float64) float64 {
	var m float64
	for _, v := range g {
		if v != v {
			return v
		}
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// cauchyFree writes to z the generalized Cauchy point from x without bounds
// and with an empty memory (L-BFGS-B's cauchy): the minimizer of the model
// along −g, x − (f1/f2)·g with f1 = −gᵀg and f2 = θ·gᵀg.
func cauchyFree(x, g []float64, theta, sbgnrm float64, z []float64) {
	copy(z, x)
	if sbgnrm <= 0 {
		return
	}
	var f1 float64
	for _, v := range g {
		f1 -= v * v
	}
	f2 := -theta * f1
	dtm := -f1 / f2
	if dtm <= 0 {
		dtm = 0
	}
	tsum := 0 + dtm
	for i, v := range g {
		z[i] += tsum * -v
	}
}
