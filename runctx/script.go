package runctx

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/internal/layout"
)

// scriptActivityName is the activity type of script steps, registered by the
// plugin on every worker.
const scriptActivityName = "runctx.Script"

// Application error types of script steps.
const (
	// errTypeScriptFailed is the error type of a script that exited with
	// a non-zero status, or said it failed: its message has the exit
	// status and the end of its stderr (the last line first). The default
	// retry policy (defaultScriptRetryPolicy) does not retry it.
	errTypeScriptFailed = "ScriptFailed"
	// errTypeScriptRefused is the error type of a script step the worker
	// will not run: script steps off, a source outside the script roots,
	// a bad source, script, name or input, an output over its limit. It
	// is non-retryable.
	errTypeScriptRefused = "ScriptRefused"
)

// Defaults of a script step's activity options, where the workflow
// context sets none.
const (
	// defaultScriptTimeout is a script step's start-to-close timeout.
	defaultScriptTimeout = time.Hour
	// defaultScriptHeartbeatTimeout is a script step's heartbeat timeout:
	// the worker heartbeats while the script runs, so a killed worker's
	// step runs again elsewhere this soon, and cancellation reaches it.
	defaultScriptHeartbeatTimeout = 30 * time.Second
)

// defaultScriptRetryPolicy is a script step's retry policy when
// ScriptStep.RetryPolicy is nil: a script that fails (errTypeScriptFailed)
// is not run again, as Azure ML does not retry a failing script, but a
// step whose worker died or whose storage failed runs again, up to three
// attempts in all.
func defaultScriptRetryPolicy() *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		MaximumAttempts:        3,
		NonRetryableErrorTypes: []string{errTypeScriptFailed},
	}
}

// ScriptStep is a step that runs a script, Azure ML's PythonScriptStep:
// the worker runs Command Script Arguments… in a fresh copy of Source,
// with the run context served to it over a local bridge
// (internal/script/PROTOCOL.md).
type ScriptStep struct {
	// Name is the step's name (StepOptions.Name). Default: the script's
	// file name without its extension ("train" for "src/train.py").
	Name string `json:"name"`
	// Source is the source directory: an absolute path (or file:///
	// reference) on the worker, under its script roots
	// (PluginOptions.ScriptRoots), or a snapshot ("snapshot:<hash>"), which only
	// a worker with PluginOptions.ScriptSnapshots runs. Required.
	Source string `json:"source"`
	// Script is the script's path inside Source. Required.
	Script string `json:"script"`
	// Arguments reach the script's argv verbatim.
	Arguments []string `json:"arguments,omitempty"`
	// Inputs are named data references (azblob:// or file://, a file or
	// a folder), each downloaded read-only to a path that ends with
	// /<container>/<path>, in AZUREML_DATAREFERENCE_<name>.
	Inputs map[string]string `json:"inputs,omitempty"`
	// Outputs name empty folders, in AZUREML_DATAREFERENCE_<name>, whose
	// content is uploaded when the script exits 0; ScriptResult.Outputs
	// has each one's reference, for a later step's Inputs.
	Outputs []string `json:"outputs,omitempty"`
	// Command runs Script. Default: python3.
	Command string `json:"command,omitempty"`
	// Env is added to the script's environment, on top of PATH, HOME,
	// LANG, TZ and PYTHON* of the worker's. AZUREML_* and RUNCTX_* are
	// the run context's and refused.
	Env map[string]string `json:"env,omitempty"`
	// Summary is the step's line in the Web UI. Default: "script
	// <Script>".
	Summary string `json:"summary,omitempty"`
	// Reuse is StepOptions.Reuse: its key covers this whole step (script,
	// arguments, command, environment, the source's name, the input
	// references) and the ETags of the inputs it downloaded. It does not
	// cover the content of a local source directory: change Source or
	// Arguments when the code changes.
	Reuse bool `json:"reuse,omitempty"`
	// RetryPolicy is the step's. Default defaultScriptRetryPolicy.
	RetryPolicy *temporal.RetryPolicy `json:"-"`
}

// ScriptResult is the result of a script step. It carries the step's
// Summary, so the step's tags and its parent changes reach the workflow
// as a Go step's do.
type ScriptResult struct {
	Step Summary `json:"step"`
	// Outputs is the data reference of each named output.
	Outputs map[string]string `json:"outputs,omitempty"`
	// Log is the reference of the step's logs/std_log.txt.
	Log string `json:"log,omitempty"`
	// ExitCode is the script's exit status.
	ExitCode int `json:"exit_code"`
}

// RunSummary returns the step's summary (summarizer).
func (r ScriptResult) RunSummary() Summary { return r.Step }

// scriptProgress is the heartbeat detail of a running script step: the
// last line the script wrote.
type scriptProgress struct {
	Line string `json:"line"`
}

// scriptName is a script step's default name (layout.ScriptStepName).
func scriptName(script string) string { return layout.ScriptStepName(script) }

// maxScriptSummary bounds a script step's Web UI summary (Temporal's limit is
// 400 bytes).
const maxScriptSummary = 200

// ExecuteScriptStep runs s as a step of the pipeline in ctx, beside
// ExecuteStep, with the activity options of ctx and these defaults where
// they are unset: start-to-close defaultScriptTimeout, heartbeat
// timeout defaultScriptHeartbeatTimeout; its retry policy is
// s.RetryPolicy or defaultScriptRetryPolicy. Get into a *ScriptResult
// records the step's end.
func ExecuteScriptStep(ctx workflow.Context, s ScriptStep) *StepFuture {
	if s.Name == "" {
		s.Name = scriptName(s.Script)
	}
	ao := workflow.GetActivityOptions(ctx)
	if ao.StartToCloseTimeout == 0 && ao.ScheduleToCloseTimeout == 0 {
		ao.StartToCloseTimeout = defaultScriptTimeout
	}
	if ao.HeartbeatTimeout == 0 {
		ao.HeartbeatTimeout = defaultScriptHeartbeatTimeout
	}
	ao.RetryPolicy = s.RetryPolicy
	if ao.RetryPolicy == nil {
		ao.RetryPolicy = defaultScriptRetryPolicy()
	}
	ctx = workflow.WithActivityOptions(ctx, ao)
	summary := s.Summary
	if summary == "" {
		summary = "script " + s.Script
	}
	if len(summary) > maxScriptSummary {
		summary = summary[:maxScriptSummary]
	}
	return ExecuteStep(ctx, StepOptions{Name: s.Name, Summary: summary, Reuse: s.Reuse}, scriptActivityName, s)
}
