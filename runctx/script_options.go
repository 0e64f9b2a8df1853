package runctx

import (
	"time"
)

// Defaults of the script steps' limits.
const (
	// defaultScriptMaxInputBytes bounds what a script step downloads.
	defaultScriptMaxInputBytes = 1 << 30
	// defaultScriptMaxOutputBytes bounds what a script step uploads from
	// each of its folders (its named outputs, ./outputs, ./logs).
	defaultScriptMaxOutputBytes = 1 << 30
)

// scriptOptions are a worker's settings for script steps, from the
// PluginOptions.Script… fields.
type scriptOptions struct {
	Roots                         []string
	Snapshots                     bool
	Client, Dir                   string
	MaxInputBytes, MaxOutputBytes int64
	KillGrace                     time.Duration
	LogLimit                      int
}

// script returns the script settings of o.
func (o PluginOptions) script() scriptOptions {
	return scriptOptions{Roots: o.ScriptRoots, Snapshots: o.ScriptSnapshots, Client: o.ScriptClient, Dir: o.ScriptDir,
		MaxInputBytes: o.ScriptMaxInputBytes, MaxOutputBytes: o.ScriptMaxOutputBytes, KillGrace: o.ScriptKillGrace, LogLimit: o.ScriptLogLimit}
}

// enabled reports whether the worker runs any script.
func (o scriptOptions) enabled() bool { return len(o.Roots) > 0 || o.Snapshots }

func (o scriptOptions) maxInput() int64 {
	if o.MaxInputBytes > 0 {
		return o.MaxInputBytes
	}
	return defaultScriptMaxInputBytes
}

func (o scriptOptions) maxOutput() int64 {
	if o.MaxOutputBytes > 0 {
		return o.MaxOutputBytes
	}
	return defaultScriptMaxOutputBytes
}
