package ml

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// TestLRKernelsMatchGonum: the AVX products give gonum Dgemm's bits (the
// serial path that LR's chunks of at most 192 rows take), on data with
// zeros, negative zeros and values of very different sizes.
func TestLRKernelsMatchGonum(t *testing.T) {
	if !lrKernelAVX {
		t.Skip("no AVX on this machine: LR runs gonum's Dgemm, which this test compares against")
	}
	r := rand.New(rand.NewPCG(1, 2))
	value := func() float64 {
		switch r.IntN(5) {
		case 0:
			return 0
		case 1:
			return math.Copysign(0, -1)
		default:
			return r.NormFloat64() * math.Pow(10, float64(r.IntN(7)-3))
		}
	}
	for _, K := range []int{2, 3, 7, 10, 16} {
		for _, d := range []int{1, 17, 64, 65, 100} {
			for _, rows := range []int{1, 5, 192} {
				x, w, res := make([]float64, rows*d), make([]float64, d*K), make([]float64, rows*K)
				for _, s := range [][]float64{x, w, res} {
					for i := range s {
						s[i] = value()
					}
				}
				wantZ := make([]float64, rows*K)
				blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, blas64.General{Rows: rows, Cols: d, Stride: d, Data: x},
					blas64.General{Rows: d, Cols: K, Stride: K, Data: w}, 0, blas64.General{Rows: rows, Cols: K, Stride: K, Data: wantZ})
				wantG := make([]float64, d*K)
				blas64.Gemm(blas.Trans, blas.NoTrans, 1, blas64.General{Rows: rows, Cols: d, Stride: d, Data: x},
					blas64.General{Rows: rows, Cols: K, Stride: K, Data: res}, 0, blas64.General{Rows: d, Cols: K, Stride: K, Data: wantG})

				wp, zp, rp, gp := make([]float64, d*16), make([]float64, rows*16), make([]float64, rows*16), make([]float64, d*16)
				padTo16(wp, w, d, K)
				padTo16(rp, res, rows, K)
				lrScores16(x, d, wp, zp, rows)
				lrGrad16(x, d, rp, gp, rows)
				for i := range rows {
					for k := range K {
						if got, want := zp[i*16+k], wantZ[i*K+k]; math.Float64bits(got) != math.Float64bits(want) {
							t.Fatalf("K=%d d=%d rows=%d: score [%d,%d] = %v, gonum %v", K, d, rows, i, k, got, want)
						}
					}
				}
				for j := range d {
					for k := range K {
						if got, want := gp[j*16+k], wantG[j*K+k]; math.Float64bits(got) != math.Float64bits(want) {
							t.Fatalf("K=%d d=%d rows=%d: gradient [%d,%d] = %v, gonum %v", K, d, rows, j, k, got, want)
						}
					}
				}
			}
		}
	}
}

// TestLREvalKernelSameBits: on the digits golden set (64 features, 10
// classes) the loss and gradient with the AVX products are gonum's to the
// bit, at the start and at a point of large weights.
func TestLREvalKernelSameBits(t *testing.T) {
	if !lrKernelAVX {
		t.Skip("no AVX on this machine: LR runs gonum's Dgemm, which this test compares against")
	}
	f, err := os.Open("testdata/golden/digits.csv")
	require.NoError(t, err)
	digits, err := LoadCSV(f, "digits.csv")
	f.Close()
	require.NoError(t, err)
	n, d := len(digits.X), len(digits.X[0])
	flat := make([]float64, 0, n*d)
	for _, x := range digits.X {
		flat = append(flat, x...)
	}
	var classes []int
	for _, v := range digits.Y {
		if !slices.Contains(classes, v) {
			classes = append(classes, v)
		}
	}
	slices.Sort(classes)
	require.Len(t, classes, 10)
	for _, scale := range []float64{0, 0.01, 3} {
		K := len(classes)
		w := make([]float64, K*(d+1))
		for i := range w {
			w[i] = scale * float64(i%7-3)
		}
		var losses [2]float64
		var grads [2][]float64
		for i, kernel := range []bool{false, true} {
			p := &lrProblem{X: flat, n: n, d: d, K: K, y: labelIndex(digits.Y, classes), l2: 1}
			p.setup()
			require.True(t, p.kernel, "the digits problem takes the AVX path")
			p.kernel = kernel
			grads[i] = make([]float64, len(w))
			losses[i] = p.eval(w, grads[i])
		}
		assert.Equal(t, math.Float64bits(losses[0]), math.Float64bits(losses[1]), "loss at scale %g: %v and %v", scale, losses[0], losses[1])
		for i := range grads[0] {
			if math.Float64bits(grads[0][i]) != math.Float64bits(grads[1][i]) {
				t.Fatalf("scale %g: gradient %d: gonum %v, AVX %v", scale, i, grads[0][i], grads[1][i])
			}
		}
	}
}
