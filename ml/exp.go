package ml

import (
	"math"
	"math/big"
)

// expTable is the table of glibc's exp (sysdeps/ieee754/dbl-64/e_exp.c,
// from Arm's optimized-routines): for k in [0, 128), 2^(k/128) ≈
// H·(1 + T) with H its double nearest and T the relative rest; entry 2k is
// T's bits, entry 2k+1 H's bits less k·2⁵²/128. It is computed here, not
// copied: 2^(k/128) as the k-th power of 2^(1/128), seven square roots of
// 2, to 256 bits (the 128 products lose less than 2⁻²⁴⁰ of it).
var expTable = func() (t [256]uint64) {
	const prec = 256
	step := new(big.Float).SetPrec(prec).SetInt64(2)
	for range 7 {
		step.Sqrt(step)
	}
	y := new(big.Float).SetPrec(prec).SetInt64(1)
	h, rest := new(big.Float).SetPrec(prec), new(big.Float).SetPrec(prec)
	for k := range 128 {
		hv, _ := y.Float64()
		h.SetFloat64(hv)
		rest.Sub(y, h)
		rest.Quo(rest, h)
		tail, _ := rest.Float64()
		t[2*k] = math.Float64bits(tail)
		t[2*k+1] = math.Float64bits(hv) - uint64(k)<<45
		y.Mul(y, step)
	}
	return t
}()

// glibc exp's constants for its 128-entry table and degree-5 polynomial.
const (
	expInvLn2N   = 0x1.71547652b82fep0 * 128
	expNegLn2hiN = -0x1.62e42fefa0000p-8
	expNegLn2loN = -0x1.cf79abc9e3b3ap-47
	expShift     = 0x1.8p52
	expC2        = 0x1.ffffffffffdbdp-2
	expC3        = 0x1.555555555543cp-3
	expC4        = 0x1.55555cf172b91p-5
	expC5        = 0x1.1111167a4d017p-7
)

func top12(x float64) uint32 { return uint32(math.Float64bits(x) >> 52) }

// expGlibc is exp(x) bit for bit as glibc 2.36 computes it on x86-64 with
// FMA (the __exp_fma variant its ifunc picks there, which scikit-learn's
// compiled loss calls): the same reduction, table and polynomial, with a
// fused multiply-add wherever GCC contracts one.
func expGlibc(x float64) float64 {
	abstop := top12(x) & 0x7ff
	if abstop-top12(0x1p-54) >= top12(512)-top12(0x1p-54) {
		if abstop-top12(0x1p-54) >= 0x80000000 {
			return 1.0 + x // tiny x
		}
		if abstop >= top12(1024) {
			switch {
			case math.IsInf(x, -1):
				return 0
			case abstop >= top12(math.Inf(1)):
				return 1.0 + x
			case x < 0:
				return 0 // underflow
			}
			return math.Inf(1) // overflow
		}
		abstop = 0 // large |x|: specialExp below
	}
	z := expInvLn2N * x
	kd := z + expShift
	ki := math.Float64bits(kd)
	kd -= expShift
	r := math.FMA(kd, expNegLn2loN, math.FMA(kd, expNegLn2hiN, x))
	idx := 2 * (ki % 128)
	top := ki << 45
	tail := math.Float64frombits(expTable[idx])
	sbits := expTable[idx+1] + top
	r2 := r * r
	tmp := math.FMA(r2*r2, math.FMA(r, expC5, expC4), math.FMA(r2, math.FMA(r, expC3, expC2), tail+r))
	if abstop == 0 {
		return specialExp(tmp, sbits, ki)
	}
	scale := math.Float64frombits(sbits)
	return math.FMA(scale, tmp, scale)
}

// specialExp is glibc exp's specialcase: scale·(1+tmp) where scale's
// exponent may have overflowed or fall in the subnormal range. Where k < 0
// GCC forms scale·tmp once for its two uses, so neither add is fused there
// (as glibc's results show: ml/testdata/glibc/exp.json).
func specialExp(tmp float64, sbits, ki uint64) float64 {
	if ki&0x80000000 == 0 {
		sbits -= 1009 << 52
		scale := math.Float64frombits(sbits)
		return 0x1p1009 * math.FMA(scale, tmp, scale)
	}
	sbits += 1022 << 52
	scale := math.Float64frombits(sbits)
	y := scale + float64(scale*tmp)
	if y < 1.0 {
		lo := scale - y + float64(scale*tmp)
		hi := 1.0 + y
		lo = 1.0 - hi + y + lo
		y = (hi + lo) - 1.0
		if y == 0 {
			y = 0
		}
	}
	return 0x1p-1022 * y
}
