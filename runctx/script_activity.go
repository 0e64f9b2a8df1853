package runctx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
	"github.com/temporal-ml/runctx-pipeline/internal/script"
	"github.com/temporal-ml/runctx-pipeline/internal/settings"
	"github.com/temporal-ml/runctx-pipeline/internal/snapshot"
	"github.com/temporal-ml/runctx-pipeline/registry"
)

// scriptActivity runs script steps on one worker.
type scriptActivity struct {
	opts scriptOptions
	// runs and store are where starters upload snapshots
	// (<runs>/.snapshots/<hash>.tar.gz).
	runs   string
	store  datastore.Resolver
	models *registry.Registry // the registry on the worker's blob store; nil without one
}

func (p *Plugin) scriptActivity() *scriptActivity {
	a := &scriptActivity{opts: p.opts.script(), runs: p.opts.Runs, store: p.store}
	if p.store.Blob != nil {
		a.models = registry.New(p.store.Blob)
	}
	return a
}

// refuse returns err as the non-retryable error of a step the worker
// will not run (errTypeScriptRefused); its message is the whole error.
func refuse(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), errTypeScriptRefused, nil)
}

// snapshotPrefix starts the Source of a snapshot.
const snapshotPrefix = "snapshot:"

// source returns the local source directory of s and the roots it must
// lie under, or refuses it. A snapshot is fetched (verified, cached) into
// the worker's snapshot cache, which is then its only root.
func (a *scriptActivity) source(ctx context.Context, s ScriptStep) (string, []string, error) {
	src, err := a.sourceDir(ctx, s)
	if err != nil || !strings.HasPrefix(s.Source, snapshotPrefix) {
		return src, a.opts.Roots, err
	}
	return src, []string{a.snapshotCache()}, nil
}

// snapshotCache is the folder of the worker's fetched snapshots.
func (a *scriptActivity) snapshotCache() string {
	dir := a.opts.Dir
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "runctx-snapshots")
}

// fetchSnapshot fetches the snapshot of hash into the cache and records
// it in the step's run (property snapshot, and its file names).
func (a *scriptActivity) fetchSnapshot(ctx context.Context, s ScriptStep, hash string) (string, error) {
	runs, err := datastore.ParsePrefix(a.runs)
	if err != nil {
		return "", err
	}
	dir, m, err := snapshot.Fetch(ctx, a.store, runs, hash, a.snapshotCache())
	if err != nil {
		// A snapshot that is missing, malformed or does not match its
		// hash will not be mended by another attempt (internal/failure).
		if errors.Is(err, datastore.ErrNotFound) || errors.Is(err, datastore.ErrBadRef) || errors.Is(err, snapshot.ErrCorrupt) || errors.Is(err, snapshot.ErrTooLarge) {
			return "", refuse(fmt.Errorf("runctx: step %s: %w", s.Name, err))
		}
		return "", fmt.Errorf("runctx: step %s: %w", s.Name, err)
	}
	if run, err := FromContext(ctx); err == nil {
		if err := run.AddProperties(map[string]string{"snapshot": hash, "snapshot_files": strconv.Itoa(len(m.Files))}); err != nil {
			return "", err
		}
		if err := run.LogList("snapshot_bytes", []float64{float64(m.Bytes)}); err != nil {
			return "", err
		}
		cols := map[string][]any{"name": {}, "size": {}, "sha256": {}}
		for _, f := range m.Files {
			cols["name"] = append(cols["name"], f.Name)
			cols["size"] = append(cols["size"], f.Size)
			cols["sha256"] = append(cols["sha256"], f.SHA256)
		}
		if err := run.LogTable("snapshot", cols); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// sourceDir returns the local source directory of s, or refuses it.
func (a *scriptActivity) sourceDir(ctx context.Context, s ScriptStep) (string, error) {
	if !a.opts.enabled() {
		return "", refuse(fmt.Errorf("runctx: script steps are off on this worker: its operator turns them on with %s (folders scripts may run from) or %s=on (snapshots sent by starters)", settings.EnvScriptRoots, settings.EnvScriptSnapshots))
	}
	src := s.Source
	if strings.HasPrefix(src, snapshotPrefix) {
		if !a.opts.Snapshots {
			return "", refuse(fmt.Errorf("runctx: step %s: this worker does not run snapshots (source %s): its operator allows them with %s=on", s.Name, src, settings.EnvScriptSnapshots))
		}
		return a.fetchSnapshot(ctx, s, strings.TrimPrefix(src, snapshotPrefix))
	}
	if len(a.opts.Roots) == 0 {
		return "", refuse(fmt.Errorf("runctx: step %s: this worker runs no script from a local folder (source %s): its operator allows folders with %s", s.Name, src, settings.EnvScriptRoots))
	}
	if strings.HasPrefix(src, "file://") {
		ref, err := datastore.ParseRef(src)
		if err != nil {
			return "", refuse(fmt.Errorf("runctx: step %s: source: %w", s.Name, err))
		}
		src = filepath.FromSlash(ref.Path)
	}
	return src, nil
}

// run is the activity of script steps (scriptActivityName).
func (a *scriptActivity) run(ctx context.Context, s ScriptStep) (ScriptResult, error) {
	src, roots, err := a.source(ctx, s)
	if err != nil {
		return ScriptResult{}, err
	}
	run, err := FromContext(ctx)
	if err != nil {
		return ScriptResult{}, err
	}
	// A script step's run is named for the step, not for the activity
	// type all script steps share.
	run.mu.Lock()
	run.name = run.step
	run.mu.Unlock()
	inputs := sortedKeys(s.Inputs)
	rec := &scriptRecorder{run: run, client: clientOf(ctx), models: a.models}
	logger := activity.GetLogger(ctx)
	step, err := script.NewStep(script.Options{
		Roots: script.Roots(roots), Source: src, Script: s.Script, Arguments: s.Arguments,
		Command: s.Command, Env: s.Env, Inputs: inputs, Outputs: s.Outputs,
		ClientPath: a.opts.Client, Dir: a.opts.Dir, LogLimit: a.opts.LogLimit, KillGrace: a.opts.KillGrace, Recorder: rec,
		LogLine: func(line string) { logger.Info("script: "+line, "run_id", run.ID()) },
		RunEnv: map[string]string{
			script.EnvRunID:       run.ID(),
			script.EnvRunName:     run.step,
			script.EnvExperiment:  run.Experiment(),
			script.EnvParentRunID: run.workflowID,
		},
	})
	if err != nil {
		return ScriptResult{}, refuse(fmt.Errorf("runctx: step %s: %w", run.step, err))
	}
	defer step.Close()
	if err := a.download(ctx, run, step, s.Inputs); err != nil {
		return ScriptResult{}, err
	}
	stop := heartbeatProgress(ctx, step)
	res, runErr := step.Run(ctx)
	stop()
	if errors.Is(runErr, exec.ErrNotFound) || errors.Is(runErr, fs.ErrNotExist) {
		// The worker has no such command: another attempt finds none either.
		return ScriptResult{}, refuse(fmt.Errorf("runctx: step %s: %w", run.step, runErr))
	}
	logger.Info("runctx: script ended", "run_id", run.ID(), "exit_code", res.ExitCode,
		"duration", res.Duration, "bridge_requests", res.Requests, "log_dropped_bytes", res.LogDropped)

	// The logs and ./outputs are the run's files whatever the ending, as
	// Azure ML keeps them; when the step was stopped, they are uploaded
	// on a context of their own.
	upCtx := ctx
	if runErr != nil {
		var cancel context.CancelFunc
		upCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
	}
	out := ScriptResult{ExitCode: res.ExitCode, Log: run.OutputRef(script.LogsDir + "/" + script.LogFile)}
	upErr := a.uploadFolders(upCtx, run, step)
	if runErr != nil {
		return ScriptResult{}, runErr
	}
	if upErr != nil {
		return ScriptResult{}, upErr
	}
	if err := scriptFailed(s, res, out.Log); err != nil {
		return ScriptResult{}, err
	}
	if out.Outputs, err = a.uploadOutputs(ctx, run, step, s.Outputs); err != nil {
		return ScriptResult{}, err
	}
	if out.Step, err = run.Complete(ctx, nil); err != nil {
		return ScriptResult{}, err
	}
	return out, nil
}

// scriptFailed is the error of a script that exited non-zero or said it
// failed, or nil; its message ends with where the step's log is.
func scriptFailed(s ScriptStep, res script.Result, log string) error {
	var msg string
	switch {
	case res.Signal != "":
		msg = fmt.Sprintf("script %s was killed by signal %s", s.Script, res.Signal)
		if line := res.ErrorLine(); line != "" {
			msg += ": " + line
		}
	case res.ExitCode != 0:
		msg = fmt.Sprintf("script %s exited with status %d", s.Script, res.ExitCode)
		if line := res.ErrorLine(); line != "" {
			msg += ": " + line
		}
	case res.Status == StatusFailed:
		msg = fmt.Sprintf("script %s failed: %s", s.Script, res.StatusError)
	default:
		return nil
	}
	if tail := lastLines(res.Stderr, 20); tail != "" {
		msg += "\n--- end of stderr ---\n" + tail
	}
	if log != "" {
		msg += "\n--- the whole log: " + log
	}
	return temporal.NewApplicationError(msg, errTypeScriptFailed, res.ExitCode)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// heartbeatProgress records the script's last line as the step's
// heartbeat details, when it changes, until stop is called.
func heartbeatProgress(ctx context.Context, step *script.Step) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		last := ""
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if line := step.LastLine(); line != last {
					last = line
					activity.RecordHeartbeat(ctx, scriptProgress{Line: line})
				}
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// download puts each input under the step's folder, read-only, at a
// path that ends with /<container>/<path>: a file, or every file of a
// folder. Each is read through the run (ReadData), so its ETag is an
// input of the run. A bad reference, one outside the local roots, a
// missing one or inputs over the limit are refused.
func (a *scriptActivity) download(ctx context.Context, run *Run, step *script.Step, inputs map[string]string) error {
	budget := a.opts.maxInput()
	for _, name := range sortedKeys(inputs) {
		refStr := inputs[name]
		ref, err := datastore.ParseRef(refStr)
		if err != nil {
			return refuse(fmt.Errorf("runctx: input %s: %w", name, err))
		}
		local := step.InputPath(name, strings.TrimPrefix(ref.Container+"/"+ref.Path, "/"))
		n, err := a.fetch(ctx, run, refStr, local, budget)
		if errors.Is(err, datastore.ErrNotFound) || errors.Is(err, datastore.ErrNotRegular) {
			n, err = a.fetchFolder(ctx, run, ref, local, budget)
		}
		if err != nil {
			return inputErr(name, refStr, err)
		}
		budget -= n
		step.SetInputPath(name, local)
		if err := script.MakeReadOnly(step.InputDir(name)); err != nil {
			return err
		}
	}
	return nil
}

// errTooLarge marks inputs and outputs over their limits.
var errTooLarge = errors.New("over the limit")

// inputErr classifies an input's error: what another attempt cannot fix
// is refused.
func inputErr(name, ref string, err error) error {
	err = fmt.Errorf("runctx: input %s (%s): %w", name, ref, err)
	if errors.Is(err, datastore.ErrBadRef) || errors.Is(err, datastore.ErrNotFound) || errors.Is(err, errTooLarge) || errors.Is(err, datastore.ErrNotRegular) {
		return refuse(err)
	}
	return err
}

// fetch copies the file ref names to local, at most budget bytes.
func (a *scriptActivity) fetch(ctx context.Context, run *Run, ref, local string, budget int64) (int64, error) {
	rc, _, err := run.ReadData(ctx, ref)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		return 0, err
	}
	f, err := os.Create(local)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, io.LimitReader(rc, budget+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > budget {
		err = fmt.Errorf("%w: the inputs hold more than %d bytes", errTooLarge, a.opts.maxInput())
	}
	return n, err
}

// fetchFolder copies every file below ref, taken as a folder, to local.
func (a *scriptActivity) fetchFolder(ctx context.Context, run *Run, ref datastore.Ref, local string, budget int64) (int64, error) {
	infos, err := run.data.List(ctx, ref)
	if err != nil {
		return 0, err
	}
	if len(infos) == 0 {
		return 0, fmt.Errorf("no file or folder: %w", datastore.ErrNotFound)
	}
	var total int64
	for _, info := range infos {
		if err := layout.CheckRelPath("input file", info.Name); err != nil {
			return total, err
		}
		n, err := a.fetch(ctx, run, ref.Join(info.Name).String(), filepath.Join(local, filepath.FromSlash(info.Name)), budget-total)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// uploadFolders uploads the working directory's ./outputs and ./logs as
// the run's files.
func (a *scriptActivity) uploadFolders(ctx context.Context, run *Run, step *script.Step) error {
	for _, d := range []string{script.OutputsDir, script.LogsDir} {
		if _, err := a.uploadDir(ctx, run, filepath.Join(step.WorkDir(), d), d); err != nil {
			return err
		}
	}
	return nil
}

// uploadOutputs uploads each named output under the run's data/<name>
// and returns their references.
func (a *scriptActivity) uploadOutputs(ctx context.Context, run *Run, step *script.Step, names []string) (map[string]string, error) {
	if len(names) == 0 {
		return nil, nil
	}
	refs := make(map[string]string, len(names))
	for _, n := range names {
		ref, err := a.uploadDir(ctx, run, step.OutputDir(n), "data/"+n)
		if err != nil {
			return nil, err
		}
		refs[n] = ref
	}
	return refs, nil
}

// uploadDir uploads the files of dir under the run's outputs folder as
// name/… and returns the reference of that folder. A folder over the
// limit, or holding what is not a regular file, is refused before
// anything of it is uploaded.
func (a *scriptActivity) uploadDir(ctx context.Context, run *Run, dir, name string) (string, error) {
	files, err := script.Files(dir, a.opts.maxOutput())
	if err != nil {
		err = fmt.Errorf("runctx: step %s: %s: %w", run.step, name, err)
		if errors.Is(err, script.ErrTooLarge) || errors.Is(err, script.ErrInvalid) {
			return "", refuse(err)
		}
		return "", err
	}
	for _, f := range files {
		if err := uploadFile(ctx, run, f.Path, name+"/"+f.Name); err != nil {
			return "", err
		}
	}
	return run.OutputRef(name), nil
}

func uploadFile(ctx context.Context, run *Run, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = run.Upload(ctx, name, contentType(name), f)
	return err
}

// contentType guesses a file's content type from its name.
func contentType(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".txt", ".log":
		return "text/plain"
	case ".json":
		return "application/json"
	case ".csv":
		return "text/csv"
	case ".png":
		return "image/png"
	}
	return "application/octet-stream"
}
