package ml

// lbfgsbState is L-BFGS-B's limited memory: the last col ≤ m correction
// pairs s (ws) and y (wy) in a ring starting at head (1-based), the
// matrices SᵀY (sy, lower triangle), SᵀS (ss, upper triangle), the
// Cholesky factor of θSᵀS + L D⁻¹ Lᵀ (wt), and the factored middle matrix
// of the subspace step (wn, from wn1, which keeps YᵀY and SᵀY between
// updates). All matrices are column-major, as in lbfgsb.f.
type lbfgsbState struct {
	n, m                     int
	ws, wy                   [][]float64
	sy, ss, wt               colMajor
	wn, wn1                  colMajor
	col, head, itail, iupdat int
	theta                    float64
	updatd                   bool
	wv                       []float64
}

func newLBFGSBState(n, m int) *lbfgsbState {
	s := &lbfgsbState{n: n, m: m, ws: make([][]float64, m), wy: make([][]float64, m), wv: make([]float64, 2*m)}
	for i := range m {
		s.ws[i], s.wy[i] = make([]float64, n), make([]float64, n)
	}
	s.sy = colMajor{a: make([]float64, m*m), ld: m}
	s.ss = colMajor{a: make([]float64, m*m), ld: m}
	s.wt = colMajor{a: make([]float64, m*m), ld: m}
	s.wn = colMajor{a: make([]float64, 4*m*m), ld: 2 * m}
	s.wn1 = colMajor{a: make([]float64, 4*m*m), ld: 2 * m}
	s.reset()
	return s
}

// reset empties the memory, as L-BFGS-B does when a factorization fails or
// the line search gives up.
func (s *lbfgsbState) reset() {
	s.col, s.head, s.theta, s.iupdat, s.updatd = 0, 1, 1, 0, false
}

func (s *lbfgsbState) next(p int) int { return p%s.m + 1 }

// newest is the ring position of the latest pair.
func (s *lbfgsbState) newest() int {
	p := s.head + s.col - 1
	if p > s.m {
		p -= s.m
	}
	return p
}

// matupd adds the pair (d, r) = (s, y), with rr = yᵀy, dr = sᵀy and
// dtd the squared norm of the search direction before its scaling by stp.
func (s *lbfgsbState) matupd(d, r []float64, rr, dr, stp, dtd float64) {
	m := s.m
	if s.iupdat <= m {
		s.col = s.iupdat
		s.itail = (s.head+s.iupdat-2)%m + 1
	} else {
		s.itail = s.next(s.itail)
		s.head = s.next(s.head)
	}
	copy(s.ws[s.itail-1], d)
	copy(s.wy[s.itail-1], r)
	s.theta = rr / dr
	col := s.col
	if s.iupdat > m {
		// Move the old entries up and left.
		for j := 1; j < col; j++ {
			copy(s.ss.col(j, j), s.ss.sub(2, j+1).col(1, j))
			copy(s.sy.sub(j, j).col(1, col-j), s.sy.sub(j+1, j+1).col(1, col-j))
		}
	}
	p := s.head
	for j := 1; j < col; j++ {
		*s.sy.at(col, j) = dot(d, s.wy[p-1])
		*s.ss.at(j, col) = dot(s.ws[p-1], d)
		p = s.next(p)
	}
	if stp == 1 {
		*s.ss.at(col, col) = dtd
	} else {
		*s.ss.at(col, col) = stp * stp * dtd
	}
	*s.sy.at(col, col) = dr
}

// formt forms and factors T = θSᵀS + L D⁻¹ Lᵀ into wt; false when it is not
// positive definite.
func (s *lbfgsbState) formt() bool {
	col, theta := s.col, s.theta
	for j := 1; j <= col; j++ {
		*s.wt.at(1, j) = theta * *s.ss.at(1, j)
	}
	for i := 2; i <= col; i++ {
		for j := i; j <= col; j++ {
			var ddum float64
			for k := 1; k < i; k++ {
				ddum += *s.sy.at(i, k) * *s.sy.at(j, k) / *s.sy.at(k, k)
			}
			*s.wt.at(i, j) = ddum + theta**s.ss.at(i, j)
		}
	}
	return dpofa(s.wt, col) == 0
}

// formk forms and factors the middle matrix of the subspace step (lbfgsb's
// formk) with every variable free and none entering or leaving: wn1 gets
// the new row of YᵀY and column of SᵀY, the part over active variables is
// zero. False when a factorization fails.
func (s *lbfgsbState) formk() bool {
	m, col, theta := s.m, s.col, s.theta
	wn1 := s.wn1
	if s.updatd {
		if s.iupdat > m {
			for jy := 1; jy < m; jy++ {
				js := m + jy
				copy(wn1.sub(jy, jy).col(1, m-jy), wn1.sub(jy+1, jy+1).col(1, m-jy))
				copy(wn1.sub(js, js).col(1, m-jy), wn1.sub(js+1, js+1).col(1, m-jy))
				copy(wn1.sub(m+1, jy).col(1, m-1), wn1.sub(m+2, jy+1).col(1, m-1))
			}
		}
		ip := s.newest()
		jp := s.head
		for jy := 1; jy <= col; jy++ {
			*wn1.at(col, jy) = dot(s.wy[ip-1], s.wy[jp-1])
			*wn1.at(m+col, m+jy) = 0
			*wn1.at(m+col, jy) = 0
			jp = s.next(jp)
		}
		jp = s.newest()
		ip = s.head
		for i := 1; i <= col; i++ {
			*wn1.at(m+i, col) = dot(s.ws[ip-1], s.wy[jp-1])
			ip = s.next(ip)
		}
	}
	wn := s.wn
	for iy := 1; iy <= col; iy++ {
		is, is1 := col+iy, m+iy
		for jy := 1; jy <= iy; jy++ {
			js, js1 := col+jy, m+jy
			*wn.at(jy, iy) = *wn1.at(iy, jy) / theta
			*wn.at(js, is) = *wn1.at(is1, js1) * theta
		}
		for jy := 1; jy < iy; jy++ {
			*wn.at(jy, is) = -*wn1.at(is1, jy)
		}
		for jy := iy; jy <= col; jy++ {
			*wn.at(jy, is) = *wn1.at(is1, jy)
		}
		*wn.at(iy, iy) += *s.sy.at(iy, iy)
	}
	if dpofa(wn, col) != 0 {
		return false
	}
	col2 := 2 * col
	for js := col + 1; js <= col2; js++ {
		dtrslUpperT(wn, col, wn.col(js, col))
	}
	for is := col + 1; is <= col2; is++ {
		for js := is; js <= col2; js++ {
			*wn.at(is, js) += dot(wn.col(is, col), wn.col(js, col))
		}
	}
	return dpofa(wn.sub(col+1, col+1), col) == 0
}

// subsm moves z (= x) by the subspace Newton step for the direction d
// (= −g on entry; lbfgsb's subsm over all variables, no bound to clip);
// false when wn is singular.
func (s *lbfgsbState) subsm(z, d []float64) bool {
	col, theta := s.col, s.theta
	wv := s.wv[:2*col]
	p := s.head
	for i := 1; i <= col; i++ {
		wv[i-1] = dot(s.wy[p-1], d)
		wv[col+i-1] = theta * dot(s.ws[p-1], d)
		p = s.next(p)
	}
	if dtrslUpperT(s.wn, 2*col, wv) != 0 {
		return false
	}
	for i := range col {
		wv[i] = -wv[i]
	}
	if dtrslUpper(s.wn, 2*col, wv) != 0 {
		return false
	}
	p = s.head
	for jy := 1; jy <= col; jy++ {
		wy, ws := s.wy[p-1], s.ws[p-1]
		a, b := wv[jy-1], wv[col+jy-1]
		for i := range d {
			d[i] = d[i] + wy[i]*a/theta + ws[i]*b
		}
		p = s.next(p)
	}
	inv := 1 / theta
	for i := range d {
		d[i] *= inv
		z[i] += d[i]
	}
	return true
}
