package script

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
)

// newShellStep writes script as run.sh in a new source folder and makes a
// step that runs it with sh.
func newShellStep(t *testing.T, script string, opts Options) *Step {
	t.Helper()
	src := filepath.Join(t.TempDir(), "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "run.sh"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	opts.Roots, opts.Source, opts.Script = Roots{filepath.Dir(src)}, src, "run.sh"
	if opts.Command == "" {
		opts.Command = "sh"
	}
	if opts.Recorder == nil {
		opts.Recorder = newFake()
	}
	opts.Dir = t.TempDir()
	s, err := NewStep(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStepRuns(t *testing.T) {
	s := newShellStep(t, `
echo "args: $*"
test -d outputs && test -d logs && test -d "$AZUREML_DATAREFERENCE_model" || exit 3
echo hello > outputs/a.txt
echo done > "$AZUREML_DATAREFERENCE_model/m.txt"
echo oops >&2
echo "ValueError: bad input" >&2
exit 2
`, Options{Arguments: []string{"--alpha", "a b"}, Outputs: []string{"model"}})
	res, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 2 || res.ErrorLine() != "ValueError: bad input" {
		t.Errorf("exit %d, error line %q", res.ExitCode, res.ErrorLine())
	}
	log, err := os.ReadFile(filepath.Join(s.WorkDir(), LogsDir, LogFile))
	if err != nil || !strings.Contains(string(log), "args: --alpha a b") || !strings.Contains(string(log), "oops") {
		t.Errorf("log %q, %v", log, err)
	}
	if s.LastLine() != "ValueError: bad input" {
		t.Errorf("last line %q", s.LastLine())
	}
	files, err := Files(s.OutputDir("model"), 0)
	if err != nil || len(files) != 1 || files[0].Name != "m.txt" {
		t.Errorf("output files %+v, %v", files, err)
	}
	if _, err := Files(s.OutputDir("model"), 2); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v, want ErrTooLarge", err)
	}
}

func TestStepEnvHoldsNoWorkerCredential(t *testing.T) {
	secrets := map[string]string{
		"AZURE_STORAGE_CONNECTION_STRING": "DefaultEndpointsProtocol=http;AccountName=x;AccountKey=c2VjcmV0",
		"AZURE_STORAGE_KEY":               "c2VjcmV0",
		"AZURE_STORAGE_SAS_TOKEN":         "sv=2020&sig=secret",
		"TEMPORAL_API_KEY":                "secret-api-key",
		"AWS_SECRET_ACCESS_KEY":           "secret",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	t.Setenv("PYTHONUNBUFFERED", "1")
	s := newShellStep(t, "env > outputs/env.txt\n", Options{
		Env: map[string]string{"MY_SETTING": "on"}, RunEnv: map[string]string{EnvRunID: "wf_step"},
		ClientPath: "/opt/client", Inputs: []string{"data"},
	})
	if _, err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(s.WorkDir(), OutputsDir, "env.txt"))
	if err != nil {
		t.Fatal(err)
	}
	env := string(b)
	for k, v := range secrets {
		if strings.Contains(env, k) || strings.Contains(env, v) {
			t.Errorf("the script sees %s", k)
		}
	}
	for _, want := range []string{"MY_SETTING=on", "AZUREML_RUN_ID=wf_step", "PYTHONUNBUFFERED=1", "PYTHONPATH=/opt/client", "RUNCTX_BRIDGE_URL=http://127.0.0.1:", "RUNCTX_BRIDGE_TOKEN=", "AZUREML_DATAREFERENCE_data=", "PATH="} {
		if !strings.Contains(env, want) {
			t.Errorf("the script's env lacks %s:\n%s", want, env)
		}
	}
}

func TestStepKillsForkedChild(t *testing.T) {
	// The child ignores SIGTERM and holds stdout open: neither keeps the
	// step waiting, and it does not outlive it.
	s := newShellStep(t, "(trap '' TERM; exec sleep 300) &\necho $! > outputs/child.pid\nexit 0\n", Options{})
	start := time.Now()
	res, err := s.Run(context.Background())
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("exit %d, %v", res.ExitCode, err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("the step took %v: it waited for its child", d)
	}
	devstack.WaitGone(t, devstack.ReadPid(t, filepath.Join(s.WorkDir(), OutputsDir, "child.pid"), 5*time.Second), 2*time.Second)
}

func TestStepCancelled(t *testing.T) {
	s := newShellStep(t, "trap '' TERM\nsleep 300 &\necho $! > outputs/child.pid\necho $$ > outputs/main.pid\nwait\n", Options{KillGrace: 300 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	type out struct {
		res Result
		err error
	}
	done := make(chan out, 1)
	go func() { r, err := s.Run(ctx); done <- out{r, err} }()
	main := devstack.ReadPid(t, filepath.Join(s.WorkDir(), OutputsDir, "main.pid"), 5*time.Second)
	child := devstack.ReadPid(t, filepath.Join(s.WorkDir(), OutputsDir, "child.pid"), 5*time.Second)
	cancel()
	select {
	case o := <-done:
		if !errors.Is(o.err, context.Canceled) {
			t.Errorf("Run: %v, want context.Canceled", o.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5 s of cancellation")
	}
	devstack.WaitGone(t, main, 2*time.Second)
	devstack.WaitGone(t, child, 2*time.Second)
}

func TestStepBoundsItsLog(t *testing.T) {
	const limit = 1 << 20
	s := newShellStep(t, "head -c 1073741824 /dev/zero\necho last line\n", Options{LogLimit: limit})
	start := time.Now()
	res, err := s.Run(context.Background())
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("exit %d, %v", res.ExitCode, err)
	}
	t.Logf("1 GiB of stdout in %v", time.Since(start))
	fi, err := os.Stat(filepath.Join(s.WorkDir(), LogsDir, LogFile))
	if err != nil || fi.Size() > limit+200 {
		t.Fatalf("log %v bytes, %v", fi.Size(), err)
	}
	if want := int64(1<<30) + int64(len("last line\n")) - limit; res.LogDropped != want {
		t.Errorf("dropped %d, want %d", res.LogDropped, want)
	}
	if !strings.HasSuffix(string(s.Log()), "last line\n") || !strings.Contains(string(s.Log()), "bytes of output dropped here") {
		t.Error("the log lacks its tail or its marker")
	}
}

func TestNewStepRefuses(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "src")
	outside := t.TempDir()
	for _, d := range []string{src, filepath.Join(src, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(src, "run.sh"), []byte("exit 0\n"), 0o644)
	os.WriteFile(filepath.Join(outside, "secret"), []byte("x"), 0o644)
	linked := filepath.Join(root, "linked")
	os.MkdirAll(linked, 0o755)
	os.WriteFile(filepath.Join(linked, "run.sh"), []byte("exit 0\n"), 0o644)
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(linked, "secret")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts Options
		want error
	}{
		{"outside the roots", Options{Source: outside}, ErrOutsideRoots},
		{"dot dot", Options{Source: src + "/../../" + filepath.Base(outside)}, ErrBadSource},
		{"relative", Options{Source: "src"}, ErrBadSource},
		{"no roots", Options{Roots: Roots{}, Source: src}, ErrOutsideRoots},
		{"symlink out of the root", Options{Source: linked}, ErrOutsideRoots},
		{"missing", Options{Source: filepath.Join(root, "none")}, ErrBadSource},
		{"no such script", Options{Source: src, Script: "none.sh"}, ErrBadSource},
		{"script out of the source", Options{Source: src, Script: "../run.sh"}, ErrInvalid},
		{"reserved env", Options{Source: src, Env: map[string]string{"RUNCTX_BRIDGE_TOKEN": "x"}}, ErrInvalid},
		{"bad output name", Options{Source: src, Outputs: []string{"a-b"}}, ErrBadName},
		{"output twice", Options{Source: src, Outputs: []string{"a", "a"}}, ErrBadName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			if o.Roots == nil {
				o.Roots = Roots{root}
			}
			if o.Script == "" {
				o.Script = "run.sh"
			}
			o.Recorder, o.Dir = newFake(), t.TempDir()
			s, err := NewStep(o)
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("NewStep: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestStepCopiesSource(t *testing.T) {
	s := newShellStep(t, "echo changed > run.sh\n", Options{})
	if _, err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(s.opts.Source, "run.sh"))
	if err != nil || strings.Contains(string(b), "changed\n") && !strings.Contains(string(b), "echo") {
		t.Errorf("the script wrote into its source: %q %v", b, err)
	}
}

func TestStepSignalAndReadOnlyInputs(t *testing.T) {
	s := newShellStep(t, "kill -KILL $$\n", Options{Inputs: []string{"data"}})
	in := s.InputPath("data", "datasets/iris/iris.csv")
	if err := os.MkdirAll(filepath.Dir(in), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := MakeReadOnly(s.InputDir("data")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(in); err != nil || fi.Mode().Perm() != 0o444 {
		t.Errorf("input mode %v, %v", fi.Mode(), err)
	}
	res, err := s.Run(context.Background())
	if err != nil || res.ExitCode != -1 || res.Signal != "killed" {
		t.Errorf("exit %d, signal %q, %v", res.ExitCode, res.Signal, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Dir()); !os.IsNotExist(err) {
		t.Errorf("the step's folder is left after Close: %v", err)
	}
}
