package runctx

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Environment variables of script steps, read by OptionsFromEnv.
const (
	// EnvScriptRoots is ScriptOptions.Roots: the folders a script step's
	// local source directory may lie under, separated by colons. Unset,
	// a worker runs no script from a local folder.
	EnvScriptRoots = "PIPELINE_SCRIPT_ROOTS"
	// EnvScriptSnapshots is ScriptOptions.Snapshots: "on" lets the worker
	// run snapshots of source directories sent by starters; "off" or
	// unset refuses them.
	EnvScriptSnapshots = "PIPELINE_SCRIPT_SNAPSHOTS"
	// EnvScriptClient is ScriptOptions.Client: the folder of the Python
	// client put on a script's PYTHONPATH. Default: the "python" folder
	// next to the worker's executable, or else of the working directory
	// (the repository's), when there is one.
	EnvScriptClient = "PIPELINE_SCRIPT_CLIENT"
)

// Defaults of ScriptOptions' limits.
const (
	// DefaultScriptMaxInputBytes bounds what a script step downloads.
	DefaultScriptMaxInputBytes = 1 << 30
	// DefaultScriptMaxOutputBytes bounds what a script step uploads from
	// each of its folders (its named outputs, ./outputs, ./logs).
	DefaultScriptMaxOutputBytes = 1 << 30
)

// ScriptOptions are a worker's settings for script steps
// (ExecuteScriptStep). Script steps are off unless the worker's operator
// turns them on: with Roots, for sources on the worker, and with
// Snapshots, for sources sent by a starter.
type ScriptOptions struct {
	// Roots are the folders a local source directory may lie under: one
	// with a ".." segment, outside them, or with a symbolic link out of
	// them is refused. Empty: no local source runs. EnvScriptRoots.
	Roots []string
	// Snapshots lets the worker run snapshots sent by a starter.
	// Default: off. EnvScriptSnapshots.
	Snapshots bool
	// Client is the folder put first on a script's PYTHONPATH (the
	// repository's python/ client). Default: none. EnvScriptClient.
	Client string
	// Dir is where each step's working folder is made. Default: the
	// system's temporary folder.
	Dir string
	// MaxInputBytes bounds the inputs a step downloads, all together.
	// Default DefaultScriptMaxInputBytes.
	MaxInputBytes int64
	// MaxOutputBytes bounds each folder a step uploads. Default
	// DefaultScriptMaxOutputBytes.
	MaxOutputBytes int64
	// KillGrace is how long a stopped script's process group has
	// between SIGTERM and SIGKILL. Default script.DefaultKillGrace (5 s).
	KillGrace time.Duration
	// LogLimit bounds the step's logs/std_log.txt. Default
	// script.DefaultLogLimit.
	LogLimit int
}

// enabled reports whether the worker runs any script.
func (o ScriptOptions) enabled() bool { return len(o.Roots) > 0 || o.Snapshots }

func (o ScriptOptions) maxInput() int64 {
	if o.MaxInputBytes > 0 {
		return o.MaxInputBytes
	}
	return DefaultScriptMaxInputBytes
}

func (o ScriptOptions) maxOutput() int64 {
	if o.MaxOutputBytes > 0 {
		return o.MaxOutputBytes
	}
	return DefaultScriptMaxOutputBytes
}

// ScriptOptionsFromEnv returns the script settings of the environment:
// PIPELINE_SCRIPT_ROOTS, PIPELINE_SCRIPT_SNAPSHOTS (on or off) and
// PIPELINE_SCRIPT_CLIENT.
func ScriptOptionsFromEnv() (ScriptOptions, error) {
	var o ScriptOptions
	for _, r := range filepath.SplitList(os.Getenv(EnvScriptRoots)) {
		if r = strings.TrimSpace(r); r != "" {
			abs, err := filepath.Abs(r)
			if err != nil {
				return o, fmt.Errorf("%s: %q: %w", EnvScriptRoots, r, err)
			}
			o.Roots = append(o.Roots, abs)
		}
	}
	switch v := os.Getenv(EnvScriptSnapshots); v {
	case "", "off":
	case "on":
		o.Snapshots = true
	default:
		return o, fmt.Errorf("%s=%q: want on or off", EnvScriptSnapshots, v)
	}
	o.Client = os.Getenv(EnvScriptClient)
	if o.Client == "" {
		o.Client = defaultScriptClient()
	}
	return o, nil
}

// defaultScriptClient is the "python" folder next to the executable, or
// else in the working directory, when it exists; "" otherwise.
func defaultScriptClient() string {
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	if wd, err := os.Getwd(); err == nil {
		dirs = append(dirs, wd)
	}
	for _, d := range dirs {
		p := filepath.Join(d, "python")
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p
		}
	}
	return ""
}
