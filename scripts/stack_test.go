// Package scripts holds the tests of the project's shell scripts.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stackCopy copies stack.sh into a fresh tree, so the test runs it on its
// own .tools/run and never touches a stack the developer has up.
func stackCopy(t *testing.T) (script, run string) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "scripts"), 0o755))
	b, err := os.ReadFile("stack.sh")
	require.NoError(t, err)
	script = filepath.Join(dir, "scripts", "stack.sh")
	require.NoError(t, os.WriteFile(script, b, 0o755))
	run = filepath.Join(dir, ".tools", "run")
	require.NoError(t, os.MkdirAll(run, 0o755))
	return script, run
}

func stack(t *testing.T, script string, args ...string) string {
	t.Helper()
	out, err := exec.Command("bash", append([]string{script}, args...)...).CombinedOutput()
	require.NoError(t, err, "%s", out)
	return string(out)
}

// unrelated starts a process the stack did not start and returns it.
func unrelated(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// TestStackDownSparesStalePIDs: PID files naming a process the stack did
// not start (a PID reused after a reboot or a crash) leave it alive, in
// the old form (PID only) and with another process's start time.
func TestStackDownSparesStalePIDs(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script, run := stackCopy(t)
	legacy, other := unrelated(t), unrelated(t)
	require.NoError(t, os.WriteFile(filepath.Join(run, "temporal.pid"), []byte(strconv.Itoa(legacy.Process.Pid)+"\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(run, "azurite.pid"), []byte(strconv.Itoa(other.Process.Pid)+" 12345\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(run, "worker.pid"), []byte("not-a-pid\n"), 0o644))

	out := stack(t, script, "down")
	assert.Contains(t, out, "stale PID file")
	time.Sleep(200 * time.Millisecond)
	assert.True(t, alive(legacy.Process.Pid), "a PID file without a start time is not trusted")
	assert.True(t, alive(other.Process.Pid), "a PID whose start time differs is another process")
	for _, n := range []string{"temporal", "azurite", "worker"} {
		assert.NoFileExists(t, filepath.Join(run, n+".pid"), "the stale file is removed")
	}
}

// TestStackDownStopsWhatItStarted: a worker the script started is stopped.
func TestStackDownStopsWhatItStarted(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script, run := stackCopy(t)
	worker := filepath.Join(filepath.Dir(run), "fake-worker")
	require.NoError(t, os.WriteFile(worker, []byte("#!/bin/sh\necho worker started\nexec sleep 60\n"), 0o755))
	stack(t, script, "worker", worker)
	b, err := os.ReadFile(filepath.Join(run, "worker.pid"))
	require.NoError(t, err)
	fields := strings.Fields(string(b))
	require.Len(t, fields, 2, "the PID file records the PID and its start time: %q", b)
	pid, err := strconv.Atoi(fields[0])
	require.NoError(t, err)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	require.True(t, alive(pid))
	assert.Contains(t, stack(t, script, "worker", worker), "already running")

	assert.Contains(t, stack(t, script, "down"), "stopped worker")
	for range 50 {
		if !alive(pid) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var ws syscall.WaitStatus
	_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	assert.False(t, alive(pid) && !isZombie(pid), "the worker it started is stopped")
}

func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	return strings.Contains(s[strings.LastIndex(s, ")"):], ") Z")
}
