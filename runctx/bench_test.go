package runctx

import (
	"fmt"
	"testing"
)

// BenchmarkLog measures Log in steady state: a series that already has room.
func BenchmarkLog(b *testing.B) {
	r := NewOffline(b.TempDir())
	names := make([]string, 8)
	for i := range names {
		names[i] = fmt.Sprintf("metric_%d", i)
		r.Log(names[i], 0)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r.Log(names[i&7], float64(i))
	}
}
