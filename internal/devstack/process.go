package devstack

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// process is a child program started by the harness, stopped with its
// whole process group so nothing it forked is left behind.
type process struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
}

func startProcess(name string, path string, args ...string) (*process, error) {
	return startProcessEnv(name, path, nil, args...)
}

// startProcessEnv is startProcess with env as the environment (nil: this
// process's).
func startProcessEnv(name string, path string, env []string, args ...string) (*process, error) {
	p := &process{name: name, done: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	p.cmd.Env = env
	p.cmd.Stdout = (*lockedWriter)(p)
	p.cmd.Stderr = (*lockedWriter)(p)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("harness: start %s: %w", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	return p, nil
}

type lockedWriter process

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.log.Len() < 1<<20 {
		w.log.Write(b)
	}
	return len(b), nil
}

// Output returns what the process printed so far (at most 1 MiB).
func (p *process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// exited reports whether the process has ended.
func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after a grace period.
func (p *process) stop() {
	if p == nil || p.exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// waitUntil polls ready until it succeeds, the process exits or the timeout passes.
func (p *process) waitUntil(timeout time.Duration, ready func(context.Context) error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if p.exited() {
			return fmt.Errorf("harness: %s exited early:\n%s", p.name, p.Output())
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		last = ready(ctx)
		cancel()
		if last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("harness: %s not ready after %s: %v\n%s", p.name, timeout, last, p.Output())
}

// kill ends the process group at once; for a process whose state is thrown
// away, such as a test's Azurite at the end of the package.
func (p *process) kill() {
	if p == nil || p.exited() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// Pid returns the process ID.
func (p *process) Pid() int { return p.cmd.Process.Pid }

// Process is a program a test starts, such as a worker: its output is kept
// (the first MiB), it runs in its own process group, and it dies with the
// test binary.
type Process struct{ *process }

// StartProcess starts path with args and env (nil: this process's
// environment); name names it in errors.
func StartProcess(name, path string, env []string, args ...string) (Process, error) {
	p, err := startProcessEnv(name, path, env, args...)
	return Process{p}, err
}

// Exited reports whether the process has ended.
func (p Process) Exited() bool { return p.exited() }

// Stop sends SIGTERM to the process group, then SIGKILL after a grace period.
func (p Process) Stop() { p.stop() }
