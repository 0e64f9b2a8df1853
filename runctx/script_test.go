package runctx

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ml/runctx-pipeline/internal/script"
)

func TestScriptSource(t *testing.T) {
	roots := scriptOptions{Roots: []string{"/srv/scripts"}}
	tests := []struct {
		name    string
		opts    scriptOptions
		source  string
		want    string
		wantErr string // in the refusal's message; "" for none
	}{
		{"off", scriptOptions{}, "/srv/scripts/a", "", "script steps are off on this worker: its operator turns them on with PIPELINE_SCRIPT_ROOTS"},
		{"snapshot on a worker without snapshots", roots, "snapshot:abc", "", "does not run snapshots (source snapshot:abc): its operator allows them with PIPELINE_SCRIPT_SNAPSHOTS=on"},
		{"snapshot on a worker with snapshots", scriptOptions{Snapshots: true}, "snapshot:abc", "", "snapshot \"abc\": want 64 hex digits"},
		{"folder on a worker with only snapshots", scriptOptions{Snapshots: true}, "/srv/scripts/a", "", "allows folders with PIPELINE_SCRIPT_ROOTS"},
		{"folder", roots, "/srv/scripts/a", "/srv/scripts/a", ""},
		{"file reference", roots, "file:///srv/scripts/a", "/srv/scripts/a", ""},
		{"bad file reference", roots, "file://host/a", "", "file reference must be file:///"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &scriptActivity{opts: tt.opts, runs: "azblob://runs"}
			got, err := a.sourceDir(context.Background(), ScriptStep{Name: "s", Source: tt.source})
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Errorf("source %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || app.Type() != errTypeScriptRefused || !app.NonRetryable() || !strings.Contains(app.Message(), tt.wantErr) {
				t.Errorf("error %v, want a non-retryable %s naming %q", err, errTypeScriptRefused, tt.wantErr)
			}
		})
	}
}

func TestScriptFailedMessage(t *testing.T) {
	tests := []struct {
		name string
		res  script.Result
		want string // the message's first line; "" for no error
	}{
		{"exit 0", script.Result{}, ""},
		{"exit 1", script.Result{ExitCode: 1, Stderr: "Traceback (most recent call last):\n  File \"train.py\", line 1\nValueError: bad\n"}, "script train.py exited with status 1: ValueError: bad"},
		{"killed", script.Result{ExitCode: -1, Signal: "killed", Stderr: "MemoryError\n"}, "script train.py was killed by signal killed: MemoryError"},
		{"fail() with exit 0", script.Result{Status: StatusFailed, StatusError: "diverged"}, "script train.py failed: diverged"},
		{"complete()", script.Result{Status: StatusCompleted}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := scriptFailed(ScriptStep{Script: "train.py"}, tt.res, "azblob://runs/x/logs/std_log.txt")
			if tt.want == "" {
				if err != nil {
					t.Errorf("error %v, want none", err)
				}
				return
			}
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || app.Type() != errTypeScriptFailed || app.NonRetryable() {
				t.Fatalf("error %v, want a retryable %s (the retry policy decides)", err, errTypeScriptFailed)
			}
			if first, _, _ := strings.Cut(app.Message(), "\n"); first != tt.want {
				t.Errorf("message %q, want %q", first, tt.want)
			}
			if !strings.HasSuffix(app.Message(), "the whole log: azblob://runs/x/logs/std_log.txt") {
				t.Errorf("message %q does not say where the log is", app.Message())
			}
		})
	}
}

// nopUpdater is a pipeline that is never reached: the test's changes
// stay queued.
type nopUpdater struct{ updater }

func TestScriptRecorderGathersParentOps(t *testing.T) {
	run := newRun("wf_s", "s")
	run.parent = &Parent{client: nopUpdater{}, workflowID: "wf", stepRunID: "wf_s", linger: time.Hour}
	rec := &scriptRecorder{run: run}
	ctx := context.Background()
	ops := []script.Op{
		{Op: "log", Target: script.TargetParent, Name: "a", Number: 1},
		{Op: "tag", Target: script.TargetParent, Key: "k", Text: "v"},
		{Op: "log", Target: script.TargetRun, Name: "own", Number: 5},
		{Op: "log", Target: script.TargetParent, Name: "a", Number: 2}, // a second value of a: a new change
		{Op: "remove_tags", Target: script.TargetParent, Keys: []string{"old"}},
		{Op: "add_properties", Target: script.TargetParent, Properties: map[string]string{"p": "1"}},
	}
	for _, op := range ops {
		if err := rec.Record(ctx, op); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := rec.EndBatch(ctx); n != 0 || err != nil {
		t.Fatalf("EndBatch: %d, %v", n, err)
	}
	got := run.parent.pending
	if len(got) != 2 {
		t.Fatalf("%d parent changes, want 2: %+v", len(got), got)
	}
	if got[0].Metrics["a"] != 1 || got[0].Tags["k"] != "v" || got[1].Metrics["a"] != 2 || got[1].RemoveTags[0] != "old" || got[1].Properties["p"] != "1" {
		t.Errorf("changes %+v", got)
	}
	if run.GetMetrics()["own"][0] != 5 {
		t.Errorf("the run's own metric %v", run.GetMetrics())
	}
	if err := rec.Record(ctx, script.Op{Op: "tag", Target: script.TargetParent, Key: "", Text: "x"}); !errors.Is(err, script.ErrInvalid) {
		t.Errorf("empty tag key: %v, want script.ErrInvalid", err)
	}
}

func TestScriptName(t *testing.T) {
	for in, want := range map[string]string{"train.py": "train", "src/register_model.py": "register_model", "run": "run", `a\b.sh`: "b", ".hidden": ".hidden"} {
		if got := scriptName(in); got != want {
			t.Errorf("scriptName(%q) = %q, want %q", in, got, want)
		}
	}
	p := defaultScriptRetryPolicy()
	if p.MaximumAttempts != 3 || len(p.NonRetryableErrorTypes) != 1 || p.NonRetryableErrorTypes[0] != "ScriptFailed" {
		t.Errorf("default retry policy %+v: a failing script is not run again, a step whose worker died is", p)
	}
}
