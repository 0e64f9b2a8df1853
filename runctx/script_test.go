package runctx

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ml/runctx-pipeline/internal/script"
)

func TestScriptSource(t *testing.T) {
	roots := ScriptOptions{Roots: []string{"/srv/scripts"}}
	tests := []struct {
		name    string
		opts    ScriptOptions
		source  string
		want    string
		wantErr string // in the refusal's message; "" for none
	}{
		{"off", ScriptOptions{}, "/srv/scripts/a", "", "script steps are off on this worker: its operator turns them on with PIPELINE_SCRIPT_ROOTS"},
		{"snapshot on a worker without snapshots", roots, "snapshot:abc", "", "does not run snapshots (source snapshot:abc): its operator allows them with PIPELINE_SCRIPT_SNAPSHOTS=on"},
		{"snapshot on a worker with snapshots", ScriptOptions{Snapshots: true}, "snapshot:abc", "", "snapshot \"abc\": want 64 hex digits"},
		{"folder on a worker with only snapshots", ScriptOptions{Snapshots: true}, "/srv/scripts/a", "", "allows folders with PIPELINE_SCRIPT_ROOTS"},
		{"folder", roots, "/srv/scripts/a", "/srv/scripts/a", ""},
		{"file reference", roots, "file:///srv/scripts/a", "/srv/scripts/a", ""},
		{"bad file reference", roots, "file://host/a", "", "file reference must be file:///"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &scriptActivity{opts: tt.opts, runs: DefaultRuns}
			got, err := a.sourceDir(context.Background(), ScriptStep{Name: "s", Source: tt.source})
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Errorf("source %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || app.Type() != ErrTypeScriptRefused || !app.NonRetryable() || !strings.Contains(app.Message(), tt.wantErr) {
				t.Errorf("error %v, want a non-retryable %s naming %q", err, ErrTypeScriptRefused, tt.wantErr)
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
		{"killed", script.Result{ExitCode: -1}, "script train.py exited with status -1"},
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
			if !errors.As(err, &app) || app.Type() != ErrTypeScriptFailed || app.NonRetryable() {
				t.Fatalf("error %v, want a retryable %s (the retry policy decides)", err, ErrTypeScriptFailed)
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
