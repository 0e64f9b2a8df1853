package main

import (
	"os"
	"testing"
	"time"
)

func TestStatCPU(t *testing.T) {
	tests := []struct {
		name string
		stat string
		want time.Duration
		err  bool
	}{
		// Fields 14 and 15 (utime, stime) are 250 and 50 ticks.
		{"plain", "42 (node) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 12345 0 0", 3 * time.Second, false},
		{"name with spaces and parentheses", "42 (a (b) c) R 1 42 42 0 -1 0 0 0 0 0 7 3 0 0 20 0 1 0 1 0 0", 100 * time.Millisecond, false},
		{"short", "42 (node) S 1 42", 0, true},
		{"no name", "42 node S", 0, true},
		{"not a number", "42 (node) S 1 42 42 0 -1 0 0 0 0 0 x 3 0 0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := statCPU(tt.stat)
			if (err != nil) != tt.err {
				t.Fatalf("statCPU error = %v, want error %v", err, tt.err)
			}
			if got != tt.want {
				t.Errorf("statCPU = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestProcessCPU reads this process's CPU time both ways, from /proc and
// from getrusage, after spinning until getrusage counts 100 ms.
func TestProcessCPU(t *testing.T) {
	var self time.Duration
	for deadline := time.Now().Add(10 * time.Second); self < 100*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatalf("getrusage counts %v after 10 s of spinning", self)
		}
		var err error
		if self, err = processCPU(0); err != nil {
			t.Fatal(err)
		}
	}
	proc, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if d := self - proc; d < -50*time.Millisecond || d > 50*time.Millisecond {
		t.Errorf("/proc says %v, getrusage %v: more than 50 ms apart", proc, self)
	}
}
