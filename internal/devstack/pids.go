package devstack

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ProcessGone reports whether process pid has ended: it is gone, or a
// zombie no one has reaped yet.
func ProcessGone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the command name, which is in parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}

// ReadPid waits up to within for a process ID in the file path (a script
// under test writes it) and returns it.
func ReadPid(t testing.TB, path string, within time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		b, err := os.ReadFile(path)
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil && pid > 0 {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no process ID in %s after %v", path, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitGone fails t unless process pid ends within the given time.
func WaitGone(t testing.TB, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ProcessGone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs %v on", pid, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
