package ml

// lrKernelClasses is the most classes the AVX products take: a row of
// scores or of the gradient is four 4-wide registers.
const lrKernelClasses = 16

// padTo16 copies the rows × K matrix src into dst, rows × 16, leaving the
// columns from K on as they are.
func padTo16(dst, src []float64, rows, K int) {
	for i := range rows {
		copy(dst[i*16:i*16+K], src[i*K:(i+1)*K])
	}
}

// unpad16 copies the rows × 16 matrix src into dst, rows × K: its first
// K columns. dst may be src itself (row by row, each row moves down).
func unpad16(dst, src []float64, rows, K int) {
	for i := range rows {
		copy(dst[i*K:(i+1)*K], src[i*16:i*16+K])
	}
}
