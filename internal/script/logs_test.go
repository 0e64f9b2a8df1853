package script

import (
	"strings"
	"testing"
)

func TestLogBuffer(t *testing.T) {
	tests := []struct {
		name     string
		limit    int
		writes   []string
		want     string
		dropped  int64
		lastLine string
	}{
		{"under the limit", 10, []string{"ab\n", "cd\n"}, "ab\ncd\n", 0, "cd"},
		{"head and tail", 4, []string{"abcdefgh"}, "ab\n[runctx: 4 bytes of output dropped here; the log keeps the first and last 2 bytes]\ngh", 4, ""},
		{"ring wraps", 4, []string{"ab", "cd", "e", "f", "g"}, "ab\n[runctx: 3 bytes of output dropped here; the log keeps the first and last 2 bytes]\nfg", 3, ""},
		{"partial line", 100, []string{"x\n", "y"}, "x\ny", 0, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newLogBuffer(tt.limit)
			for _, w := range tt.writes {
				b.Write([]byte(w))
			}
			if got := string(b.Bytes()); got != tt.want {
				t.Errorf("log %q, want %q", got, tt.want)
			}
			if b.Dropped() != tt.dropped || b.LastLine() != tt.lastLine {
				t.Errorf("dropped %d, last line %q", b.Dropped(), b.LastLine())
			}
		})
	}
}

func TestTailBuffer(t *testing.T) {
	tb := &tailBuffer{max: 10}
	tb.Write([]byte(strings.Repeat("x", 30) + "\nTraceback\nError: x\n"))
	if got := tb.String(); strings.TrimSpace(got) != "Error: x" {
		t.Errorf("tail %q", got)
	}
}

func TestLogBufferHandsLinesOn(t *testing.T) {
	b := newLogBuffer(100)
	var lines []string
	b.onLine = func(l string) { lines = append(lines, l) }
	for i := 0; i < MaxLoggedLines+10; i++ {
		b.Write([]byte("line\n\n"))
	}
	if len(lines) != MaxLoggedLines+1 || !strings.Contains(lines[MaxLoggedLines], "the rest are only in std_log.txt") {
		t.Errorf("%d lines handed on, the last %q", len(lines), lines[len(lines)-1])
	}
}
