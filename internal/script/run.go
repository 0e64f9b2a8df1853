package script

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Result is how a script ended.
type Result struct {
	// ExitCode is the process's exit status; -1 when a signal ended it.
	ExitCode int
	// Signal names the signal that ended the process ("" for an exit).
	Signal string
	// Stderr is the end of what the script wrote to stderr (at most 8 KiB).
	Stderr string
	// Status and StatusError are what the script said of itself (POST
	// /v1/status, Azure ML's complete() and fail()): "" when nothing.
	Status, StatusError string
	// LogDropped counts the bytes of output the log did not keep.
	LogDropped int64
	// Requests counts the bridge requests the script made.
	Requests int
	// Duration is how long the process ran.
	Duration time.Duration
}

// ErrorLine returns the line of Stderr that says best why the script
// failed: its last non-empty line (a Python traceback's exception).
func (r Result) ErrorLine() string {
	lines := strings.Split(strings.TrimSpace(r.Stderr), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// readersGrace is how long Run waits for the output pipes to close once
// the process group is gone (a process that left the group may hold them).
const readersGrace = 2 * time.Second

// Run runs the script in the step's working directory with the bridge
// serving its run context, and waits for it. When ctx ends first, the
// process group gets SIGTERM, then SIGKILL after the grace period, and
// Run returns ctx's error; when the main process exits, whatever is left
// of its group is killed. It writes logs/std_log.txt either way. The
// error is nil for any exit status: the caller decides what one means.
func (s *Step) Run(ctx context.Context) (Result, error) {
	b, err := StartBridge(ctx, s.opts.Recorder)
	if err != nil {
		return Result{}, err
	}
	defer b.Close()

	runEnv := maps.Clone(s.opts.RunEnv)
	if runEnv == nil {
		runEnv = map[string]string{}
	}
	maps.Copy(runEnv, b.Env())
	for _, n := range s.opts.Inputs {
		p := s.InputDir(n)
		if q, ok := s.inputs[n]; ok {
			p = q
		}
		runEnv[EnvDataReference+n] = p
	}
	for _, n := range s.opts.Outputs {
		runEnv[EnvDataReference+n] = s.OutputDir(n)
	}
	args := expandArgs(s.opts.Arguments, runEnv)
	cmd := exec.Command(s.opts.Command, append([]string{s.opts.Script}, args...)...)
	cmd.Dir = s.WorkDir()
	cmd.Env = buildEnv(os.Environ(), s.opts.Env, runEnv, s.opts.ClientPath)
	// Its own process group, which the step kills as a whole; and a
	// script whose worker is killed outright (SIGKILL) is killed with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}

	// The pipes are the process's own files, so Wait does not wait for a
	// child that keeps them open; the readers end when the group is gone.
	outR, outW, err := os.Pipe()
	if err != nil {
		return Result{}, fmt.Errorf("script: pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return Result{}, fmt.Errorf("script: pipe: %w", err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	start := time.Now()
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return Result{}, fmt.Errorf("script: start %s %s: %w", s.opts.Command, s.opts.Script, err)
	}
	tail := &tailBuffer{max: stderrTail}
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); _, _ = io.Copy(s.logs, outR) }()
	go func() { defer readers.Done(); _, _ = io.Copy(io.MultiWriter(s.logs, tail), errR) }()

	pgid := cmd.Process.Pid
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var runErr error
	select {
	case <-waited:
	case <-ctx.Done():
		runErr = fmt.Errorf("script: %s %s stopped: %w", s.opts.Command, s.opts.Script, context.Cause(ctx))
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-waited:
		case <-time.After(s.opts.KillGrace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-waited
		}
	}
	// Nothing of the step outlives it: a child the script forked dies
	// with it.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	done := make(chan struct{})
	go func() { readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(readersGrace):
	}
	outR.Close()
	errR.Close()

	res := Result{
		ExitCode:   cmd.ProcessState.ExitCode(),
		Stderr:     tail.String(),
		LogDropped: s.logs.Dropped(),
		Requests:   b.Requests(),
		Duration:   time.Since(start),
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		res.Signal = ws.Signal().String()
	}
	res.Status, res.StatusError = b.Status()
	if err := os.WriteFile(filepath.Join(s.WorkDir(), LogsDir, LogFile), s.logs.Bytes(), 0o644); err != nil && runErr == nil {
		runErr = fmt.Errorf("script: write %s: %w", LogFile, err)
	}
	return res, runErr
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 2*t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.b
	if len(b) > t.max {
		b = b[len(b)-t.max:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

// File is one file of a folder a step uploads.
type File struct {
	// Name is the file's slash path relative to the folder.
	Name string
	// Path is where it is on the worker.
	Path string
	Size int64
}

// Files lists the regular files under dir, refusing anything else (a
// symbolic link could point anywhere on the worker) and more than
// maxBytes in all (ErrTooLarge; 0 means no limit).
func Files(dir string, maxBytes int64) ([]File, error) {
	var files []File
	var total int64
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if !d.Type().IsRegular() {
			return fmt.Errorf("%w: %s is not a regular file (a symbolic link or device is not uploaded)", ErrInvalid, rel)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		total += fi.Size()
		if maxBytes > 0 && total > maxBytes {
			return fmt.Errorf("%w: %s holds more than the limit of %d bytes", ErrTooLarge, filepath.Base(dir), maxBytes)
		}
		files = append(files, File{Name: filepath.ToSlash(rel), Path: p, Size: fi.Size()})
		return nil
	})
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return files, err
}
