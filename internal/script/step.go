package script

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// DefaultCommand runs a script when Options.Command is empty.
const DefaultCommand = "python3"

// DefaultKillGrace is how long a process group has between SIGTERM and
// SIGKILL when Options.KillGrace is zero.
const DefaultKillGrace = 5 * time.Second

// Folders of a step's working directory that exist when the script starts
// and are uploaded as the run's files when it ends.
const (
	OutputsDir = "outputs"
	LogsDir    = "logs"
	// LogFile is where stdout and stderr go, in LogsDir.
	LogFile = "std_log.txt"
)

// Options describe one script process.
type Options struct {
	// Roots are the folders Source may lie under. Required for a Source.
	Roots Roots
	// Source is the source directory, copied into the working directory
	// (a script never writes into its source). Required.
	Source string
	// Script is the script's path inside Source, the first argument of
	// Command. Required; no ".." and not absolute.
	Script string
	// Arguments follow Script, verbatim.
	Arguments []string
	// Command runs Script: a program name looked up on the worker's PATH,
	// or a path. Default DefaultCommand.
	Command string
	// Env is the step's own environment, on top of the worker's allowed
	// variables (AllowedEnv); CheckEnv must accept it.
	Env map[string]string
	// RunEnv is the run context's variables (AZUREML_RUN_ID, …); the
	// bridge's and each data reference's are added by the step.
	RunEnv map[string]string
	// Inputs and Outputs are the names of the step's data references.
	Inputs, Outputs []string
	// ClientPath is the folder of the Python client, put first on the
	// script's PYTHONPATH; empty adds nothing.
	ClientPath string
	// Dir is the folder the step's folder is made in. Default: the
	// system's temporary folder.
	Dir string
	// LogLimit bounds logs/std_log.txt. Default DefaultLogLimit.
	LogLimit int
	// KillGrace is the time between SIGTERM and SIGKILL. Default
	// DefaultKillGrace.
	KillGrace time.Duration
	// LogLine, when set, is given each line of the script's output, up
	// to MaxLoggedLines (for the worker's log).
	LogLine func(line string)
	// Recorder receives what the script records through the bridge.
	// Required.
	Recorder Recorder
}

// Step is a script step's folder and, once Run is called, its process.
type Step struct {
	opts   Options
	dir    string
	logs   *logBuffer
	inputs map[string]string // input name → its path in the environment
}

// NewStep checks opts and makes the step's folder: a copy of the source
// as the working directory, with outputs/ and logs/, and an empty folder
// for each named output. Close removes it.
func NewStep(opts Options) (*Step, error) {
	if opts.Recorder == nil {
		return nil, fmt.Errorf("%w: no recorder", ErrInvalid)
	}
	if err := checkScript(opts.Script); err != nil {
		return nil, err
	}
	if err := CheckEnv(opts.Env); err != nil {
		return nil, err
	}
	for _, names := range []struct {
		kind  string
		names []string
	}{{"input", opts.Inputs}, {"output", opts.Outputs}} {
		seen := map[string]bool{}
		for _, n := range names.names {
			if err := CheckDataName(names.kind, n); err != nil {
				return nil, err
			}
			if seen[n] {
				return nil, fmt.Errorf("%w: %s %q named twice", ErrBadName, names.kind, n)
			}
			seen[n] = true
		}
	}
	if opts.Command == "" {
		opts.Command = DefaultCommand
	}
	if opts.KillGrace <= 0 {
		opts.KillGrace = DefaultKillGrace
	}
	if err := opts.Roots.CheckSource(opts.Source); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(opts.Dir, "runctx-script-")
	if err != nil {
		return nil, fmt.Errorf("script: step folder: %w", err)
	}
	s := &Step{opts: opts, dir: dir, logs: newLogBuffer(opts.LogLimit)}
	s.logs.onLine = opts.LogLine
	if err := s.prepare(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// checkScript refuses an empty, absolute or ".." script path.
func checkScript(script string) error {
	if script == "" {
		return fmt.Errorf("%w: no script", ErrInvalid)
	}
	if filepath.IsAbs(script) || !filepath.IsLocal(script) {
		return fmt.Errorf("%w: script %q must be a path inside the source directory", ErrInvalid, script)
	}
	return nil
}

func (s *Step) prepare() error {
	work := s.WorkDir()
	if err := os.Mkdir(work, 0o755); err != nil {
		return fmt.Errorf("script: step folder: %w", err)
	}
	if err := copySource(s.opts.Roots, s.opts.Source, work); err != nil {
		return err
	}
	if fi, err := os.Stat(filepath.Join(work, s.opts.Script)); err != nil || !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: script %s is not a file of source directory %s", ErrBadSource, s.opts.Script, s.opts.Source)
	}
	for _, d := range []string{OutputsDir, LogsDir} {
		if err := os.MkdirAll(filepath.Join(work, d), 0o755); err != nil {
			return fmt.Errorf("script: step folder: %w", err)
		}
	}
	for _, n := range s.opts.Outputs {
		if err := os.MkdirAll(s.OutputDir(n), 0o755); err != nil {
			return fmt.Errorf("script: output %s: %w", n, err)
		}
	}
	for _, n := range s.opts.Inputs {
		if err := os.MkdirAll(s.InputDir(n), 0o755); err != nil {
			return fmt.Errorf("script: input %s: %w", n, err)
		}
	}
	return nil
}

// Dir is the step's folder.
func (s *Step) Dir() string { return s.dir }

// WorkDir is the script's working directory: the copy of its source.
func (s *Step) WorkDir() string { return filepath.Join(s.dir, "work") }

// InputDir is the folder under which input name is put; its path in the
// script's environment is InputPath.
func (s *Step) InputDir(name string) string { return filepath.Join(s.dir, "inputs", name) }

// OutputDir is the folder of output name, empty when the script starts.
func (s *Step) OutputDir(name string) string { return filepath.Join(s.dir, "data", name) }

// LastLine returns the last line the script wrote to stdout or stderr:
// its progress, for heartbeats.
func (s *Step) LastLine() string { return s.logs.LastLine() }

// Log returns the step's log as logs/std_log.txt holds it.
func (s *Step) Log() []byte { return s.logs.Bytes() }

// Close removes the step's folder.
func (s *Step) Close() error {
	// Inputs are made read-only; give them back their owner's write bit
	// so they can be removed.
	_ = filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(s.dir)
}

// MakeReadOnly makes everything under dir read-only (inputs, once
// downloaded).
func MakeReadOnly(dir string) error {
	var dirs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
			return nil
		}
		return os.Chmod(p, 0o444)
	})
	// Folders last, deepest first, so the walk could still list them.
	for i := len(dirs) - 1; i >= 0 && err == nil; i-- {
		err = os.Chmod(dirs[i], 0o555)
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("script: make %s read-only: %w", dir, err)
	}
	return nil
}

// SetInputPath sets the path of input name in the script's environment
// (AZUREML_DATAREFERENCE_<name>); by default it is InputDir(name).
func (s *Step) SetInputPath(name, path string) {
	if s.inputs == nil {
		s.inputs = map[string]string{}
	}
	s.inputs[name] = path
}

// InputPath is the path of input name in the script's environment: the
// input's folder, then path (Azure ML's mounts end with
// /<container>/<path>).
func (s *Step) InputPath(name, path string) string {
	return filepath.Join(s.InputDir(name), filepath.FromSlash(path))
}
