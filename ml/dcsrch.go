package ml

import "math"

// lineTask is what dcsrch asks of its caller next.
type lineTask int

const (
	lineFG   lineTask = iota // evaluate f and g at the new step
	lineConv                 // the step satisfies the strong Wolfe conditions
	lineWarn                 // no better step can be found (rounding, xtol, bounds)
	lineErr                  // bad arguments
)

// dcsrch is the Moré–Thuente line search (MINPACK-2's dcsrch, as L-BFGS-B
// 3.0 calls it), in reverse communication: start sets the first trial
// step, then each call of next with f and g (the directional derivative)
// at the current step returns the next step and what to do.
type dcsrch struct {
	ftol, gtol, xtol, stpmin, stpmax float64

	brackt                                bool
	stage                                 int
	ginit, gtest, gx, gy, finit, fx, fy   float64
	stx, sty, stmin, stmax, width, width1 float64
}

// start begins a search from f and derivative g (< 0) with first step stp.
func (s *dcsrch) start(f, g, stp float64) lineTask {
	if stp < s.stpmin || stp > s.stpmax || g >= 0 || s.ftol < 0 || s.gtol < 0 || s.xtol < 0 ||
		s.stpmin < 0 || s.stpmax < s.stpmin {
		return lineErr
	}
	s.brackt = false
	s.stage = 1
	s.finit, s.ginit = f, g
	s.gtest = s.ftol * s.ginit
	s.width = s.stpmax - s.stpmin
	s.width1 = s.width / 0.5
	s.stx, s.fx, s.gx = 0, f, g
	s.sty, s.fy, s.gy = 0, f, g
	s.stmin = 0
	s.stmax = stp + 4*stp
	return lineFG
}

// next takes f and g at step stp and returns the next step and task.
func (s *dcsrch) next(f, g, stp float64) (float64, lineTask) {
	const p5, p66, xtrapl, xtrapu = 0.5, 0.66, 1.1, 4.0
	ftest := s.finit + stp*s.gtest
	if s.stage == 1 && f <= ftest && g >= 0 {
		s.stage = 2
	}
	task := lineFG
	if s.brackt && (stp <= s.stmin || stp >= s.stmax) {
		task = lineWarn // rounding errors prevent progress
	}
	if s.brackt && s.stmax-s.stmin <= s.xtol*s.stmax {
		task = lineWarn // xtol test satisfied
	}
	if stp == s.stpmax && f <= ftest && g <= s.gtest {
		task = lineWarn // stp = stpmax
	}
	if stp == s.stpmin && (f > ftest || g >= s.gtest) {
		task = lineWarn // stp = stpmin
	}
	if f <= ftest && math.Abs(g) <= s.gtol*(-s.ginit) {
		task = lineConv
	}
	if task != lineFG {
		return stp, task
	}
	if s.stage == 1 && f <= s.fx && f > ftest {
		// The modified function ψ(stp) = f − stp·gtest.
		fm := f - stp*s.gtest
		fxm := s.fx - s.stx*s.gtest
		fym := s.fy - s.sty*s.gtest
		gm := g - s.gtest
		gxm := s.gx - s.gtest
		gym := s.gy - s.gtest
		stp = dcstep(&s.stx, &fxm, &gxm, &s.sty, &fym, &gym, stp, fm, gm, &s.brackt, s.stmin, s.stmax)
		s.fx = fxm + s.stx*s.gtest
		s.fy = fym + s.sty*s.gtest
		s.gx = gxm + s.gtest
		s.gy = gym + s.gtest
	} else {
		stp = dcstep(&s.stx, &s.fx, &s.gx, &s.sty, &s.fy, &s.gy, stp, f, g, &s.brackt, s.stmin, s.stmax)
	}
	if s.brackt {
		if math.Abs(s.sty-s.stx) >= p66*s.width1 {
			stp = s.stx + p5*(s.sty-s.stx)
		}
		s.width1 = s.width
		s.width = math.Abs(s.sty - s.stx)
		s.stmin = math.Min(s.stx, s.sty)
		s.stmax = math.Max(s.stx, s.sty)
	} else {
		s.stmin = stp + xtrapl*(stp-s.stx)
		s.stmax = stp + xtrapu*(stp-s.stx)
	}
	stp = math.Max(stp, s.stpmin)
	stp = math.Min(stp, s.stpmax)
	if s.brackt && (stp <= s.stmin || stp >= s.stmax) || s.brackt && s.stmax-s.stmin <= s.xtol*s.stmax {
		stp = s.stx
	}
	return stp, lineFG
}

// dcstep is MINPACK-2's safeguarded step of the Moré–Thuente search: from
// the best step stx, the other end sty of the interval and the trial step
// stp (with their function values and derivatives) it updates the interval
// and returns the next trial step.
func dcstep(stx, fx, dx, sty, fy, dy *float64, stp, fp, dp float64, brackt *bool, stpmin, stpmax float64) float64 {
	const p66 = 0.66
	sgnd := dp * (*dx / math.Abs(*dx))
	var stpf float64
	switch {
	case fp > *fx:
		// Higher function value: the minimum is bracketed.
		theta := 3*(*fx-fp)/(stp-*stx) + *dx + dp
		s := max3abs(theta, *dx, dp)
		gamma := s * math.Sqrt(sq(theta/s)-(*dx/s)*(dp/s))
		if stp < *stx {
			gamma = -gamma
		}
		p := (gamma - *dx) + theta
		q := ((gamma - *dx) + gamma) + dp
		r := p / q
		stpc := *stx + r*(stp-*stx)
		stpq := *stx + ((*dx/((*fx-fp)/(stp-*stx)+*dx))/2)*(stp-*stx)
		if math.Abs(stpc-*stx) < math.Abs(stpq-*stx) {
			stpf = stpc
		} else {
			stpf = stpc + (stpq-stpc)/2
		}
		*brackt = true
	case sgnd < 0:
		// Derivatives of opposite sign: bracketed.
		theta := 3*(*fx-fp)/(stp-*stx) + *dx + dp
		s := max3abs(theta, *dx, dp)
		gamma := s * math.Sqrt(sq(theta/s)-(*dx/s)*(dp/s))
		if stp > *stx {
			gamma = -gamma
		}
		p := (gamma - dp) + theta
		q := ((gamma - dp) + gamma) + *dx
		r := p / q
		stpc := stp + r*(*stx-stp)
		stpq := stp + (dp/(dp-*dx))*(*stx-stp)
		if math.Abs(stpc-stp) > math.Abs(stpq-stp) {
			stpf = stpc
		} else {
			stpf = stpq
		}
		*brackt = true
	case math.Abs(dp) < math.Abs(*dx):
		// Same sign, the derivative decreases in magnitude.
		theta := 3*(*fx-fp)/(stp-*stx) + *dx + dp
		s := max3abs(theta, *dx, dp)
		gamma := s * math.Sqrt(math.Max(0, sq(theta/s)-(*dx/s)*(dp/s)))
		if stp > *stx {
			gamma = -gamma
		}
		p := (gamma - dp) + theta
		q := (gamma + (*dx - dp)) + gamma
		r := p / q
		var stpc float64
		switch {
		case r < 0 && gamma != 0:
			stpc = stp + r*(*stx-stp)
		case stp > *stx:
			stpc = stpmax
		default:
			stpc = stpmin
		}
		stpq := stp + (dp/(dp-*dx))*(*stx-stp)
		if *brackt {
			if math.Abs(stpc-stp) < math.Abs(stpq-stp) {
				stpf = stpc
			} else {
				stpf = stpq
			}
			if stp > *stx {
				stpf = math.Min(stp+p66*(*sty-stp), stpf)
			} else {
				stpf = math.Max(stp+p66*(*sty-stp), stpf)
			}
		} else {
			if math.Abs(stpc-stp) > math.Abs(stpq-stp) {
				stpf = stpc
			} else {
				stpf = stpq
			}
			stpf = math.Min(stpmax, stpf)
			stpf = math.Max(stpmin, stpf)
		}
	default:
		// Same sign, the derivative does not decrease in magnitude.
		switch {
		case *brackt:
			theta := 3*(fp-*fy)/(*sty-stp) + *dy + dp
			s := max3abs(theta, *dy, dp)
			gamma := s * math.Sqrt(sq(theta/s)-(*dy/s)*(dp/s))
			if stp > *sty {
				gamma = -gamma
			}
			p := (gamma - dp) + theta
			q := ((gamma - dp) + gamma) + *dy
			r := p / q
			stpf = stp + r*(*sty-stp)
		case stp > *stx:
			stpf = stpmax
		default:
			stpf = stpmin
		}
	}
	if fp > *fx {
		*sty, *fy, *dy = stp, fp, dp
	} else {
		if sgnd < 0 {
			*sty, *fy, *dy = *stx, *fx, *dx
		}
		*stx, *fx, *dx = stp, fp, dp
	}
	return stpf
}

func sq(x float64) float64 { return x * x }

// max3abs is Fortran's max(abs(a), abs(b), abs(c)).
func max3abs(a, b, c float64) float64 {
	return math.Max(math.Max(math.Abs(a), math.Abs(b)), math.Abs(c))
}
