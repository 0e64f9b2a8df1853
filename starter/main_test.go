package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/internal/app"
)

// errNoServer stands in for the configuration in these tests: a command
// that fails with it parsed its command line and went on to connect.
var errNoServer = errors.New("no server in unit tests")

type result struct {
	code           int
	stdout, stderr string
	cmd            *cobra.Command
	cli            *cli
}

// run runs a command line on a fresh command tree whose configuration
// always fails with errNoServer.
func run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	c := newCLI(&out, &errOut)
	c.loadConfig = func() (app.Config, error) { return app.Config{}, errNoServer }
	root := newRootCmd(c)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	code := c.exitCode(cmd, err)
	return result{code: code, stdout: out.String(), stderr: errOut.String(), cmd: cmd, cli: c}
}

// commands returns every command of the tree but cobra's help, by path
// without the leading "starter".
func commands(t *testing.T) map[string]*cobra.Command {
	t.Helper()
	root := newRootCmd(newCLI(&bytes.Buffer{}, &bytes.Buffer{}))
	all := map[string]*cobra.Command{}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		all[strings.TrimPrefix(strings.TrimPrefix(c.CommandPath(), "starter"), " ")] = c
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return all
}

func TestEveryCommandHasHelpWithExamples(t *testing.T) {
	for path, cmd := range commands(t) {
		if strings.HasPrefix(path, "completion ") {
			continue // cobra's, with their own instructions
		}
		args := append(strings.Fields(path), "-h")
		r := run(t, args...)
		require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
		assert.True(t, strings.HasPrefix(r.stdout, cmd.Short+"\n"), "%s: help starts with the summary", path)
		assert.Contains(t, r.stdout, "Usage:", path)
		assert.Contains(t, r.stdout, "--output", path, "the global flags show")
		assert.NotEmpty(t, cmd.Short, path)
		assert.False(t, strings.Contains(cmd.Short, "\n"), "%s: a one-line summary", path)
		examples := strings.Count(cmd.Example, "starter ")
		assert.True(t, examples >= 2 && examples <= 3, "%q has %d examples, want 2 or 3", path, examples)
	}
	// cobra's own commands render too.
	for _, args := range [][]string{{"help"}, {"help", "show"}, {"completion", "bash", "-h"}} {
		r := run(t, args...)
		assert.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
		assert.Contains(t, r.stdout, "Usage:", "%v", args)
	}
}

// TestFlagsParseInBothPositions: every command takes its flags, and the
// global ones, before, between or after its arguments. Each command line
// parses and goes on to the configuration (which fails here, exit 1).
func TestFlagsParseInBothPositions(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rows.csv")
	require.NoError(t, os.WriteFile(file, []byte("1,2,3,4,Iris-setosa\n"), 0o644))
	for _, tc := range []struct {
		name  string
		lines [][]string
		args  []string
	}{
		{"show", [][]string{
			{"show", "wf-1", "-o", "json"},
			{"show", "-o", "json", "wf-1"},
			{"show", "wf-1", "--json"},
			{"-o", "json", "show", "wf-1"},
			{"--output=json", "show", "--address", "h:1", "wf-1", "-n", "ns"},
			{"show", "wf-1", "--save-images", "plots", "-o", "json"},
			{"show", "--save-images=plots", "--json", "wf-1"},
		}, []string{"wf-1"}},
		{"run", [][]string{
			{"run", "--threshold", "1.01", "-o", "json"},
			{"-o", "json", "run", "--threshold=1.01"},
		}, []string{}},
		{"list", [][]string{
			{"list", "--experiment", "iris", "--json"},
			{"--json", "list", "--limit", "3", "--query", "Accuracy > 0.9"},
		}, []string{}},
		{"models", [][]string{
			{"models", "it-show", "-o", "json"},
			{"models", "-o", "json", "it-show"},
		}, []string{"it-show"}},
		{"upload", [][]string{
			{"data", "upload", file, "azblob://datasets/x/rows.csv", "-o", "json"},
			{"data", "upload", "-o", "json", file, "azblob://datasets/x/rows.csv"},
			{"data", "-o", "json", "upload", file, "azblob://datasets/x/rows.csv"},
		}, []string{file, "azblob://datasets/x/rows.csv"}},
		{"ls", [][]string{
			{"data", "ls", "azblob://datasets", "--json"},
			{"data", "ls", "--json", "azblob://datasets"},
		}, []string{"azblob://datasets"}},
		{"create", [][]string{
			{"schedule", "create", "--id", "nightly", "--cron", "@daily", "-o", "json"},
			{"schedule", "-o", "json", "create", "--every", "1h", "--id", "nightly"},
		}, []string{}},
		{"list", [][]string{{"schedule", "list", "-o", "json"}, {"-o", "json", "schedule", "list"}}, []string{}},
		{"delete", [][]string{{"schedule", "delete", "nightly", "-o", "json"}, {"schedule", "delete", "-o", "json", "nightly"}}, []string{"nightly"}},
		{"export", [][]string{
			{"history", "export", "wf-1", "h.json", "--run-id", "r", "-o", "json"},
			{"history", "export", "--run-id", "r", "wf-1", "-o", "json", "h.json"},
			{"history", "export", "-o", "json", "--run-id=r", "wf-1", "h.json"},
		}, []string{"wf-1", "h.json"}},
		{"codec-server", [][]string{{"codec-server", "--port", "8082", "-o", "json"}, {"-o", "json", "codec-server", "--port=8082"}}, []string{}},
	} {
		for _, args := range tc.lines {
			r := run(t, args...)
			assert.Equal(t, 1, r.code, "%v: %s", args, r.stderr)
			assert.Contains(t, r.stderr, errNoServer.Error(), "%v", args)
			assert.Empty(t, r.stdout, "%v", args)
			assert.Equal(t, tc.name, r.cmd.Name(), "%v", args)
			assert.Equal(t, tc.args, append([]string{}, r.cmd.Flags().Args()...), "%v", args)
			assert.True(t, r.cli.json(), "%v: -o json / --json", args)
		}
	}
}

// TestUsageErrorsExitTwo: every mistake in a command line exits 2, says
// what was wrong and where to look on stderr, and prints nothing on stdout.
func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"no-such-command"},
		{"--no-such-flag"},
		{"-o", "yaml", "list"},
		{"--json", "--output", "text", "list"},
		{"run", "--threshold", "2"},
		{"run", "--threshold", "x"},
		{"run", "--data", "azblob://datasets/../x.csv"},
		{"run", "--experiment", "a/b"},
		{"run", "--no-such-flag"},
		{"run", "extra"},
		{"show"},
		{"show", "a", "b"},
		{"show", "a", "-o"},
		{"show", "a", "--save-images"},
		{"list", "--experiment", "bad name"},
		{"list", "--limit", "-1"},
		{"list", "extra"},
		{"models", "a", "b"},
		{"models", "../x"},
		{"data"},
		{"data", "uplaod"},
		{"data", "upload", "only-a-file"},
		{"data", "upload", "/no/such/file.csv", "azblob://datasets/x.csv"},
		{"data", "upload", "main.go", "http://x/y"},
		{"data", "ls"},
		{"data", "ls", "ftp://x"},
		{"schedule"},
		{"schedule", "craete"},
		{"schedule", "create", "--id", "x", "--cron", "@daily", "--every", "1h"},
		{"schedule", "create", "--id", "x"},
		{"schedule", "create", "--every", "1h"},
		{"schedule", "create", "--id", "x", "--every", "-1h"},
		{"schedule", "create", "--id", "x", "--every", "soon"},
		{"schedule", "delete"},
		{"history"},
		{"history", "export", "only-an-id"},
		{"codec-server", "--port", "0"},
		{"codec-server", "extra"},
		{"completion", "tcsh"},
	} {
		r := run(t, args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
		assert.Empty(t, r.stdout, "%v", args)
		assert.Regexp(t, `Run 'starter[a-z -]* -h' for usage`, r.stderr, "%v", args)
	}
}

func TestMistypedCommandSuggests(t *testing.T) {
	for args, want := range map[string]string{"shwo x": "show", "lsit": "list", "schedule craete": "create", "data updload": "upload"} {
		r := run(t, strings.Fields(args)...)
		assert.Equal(t, 2, r.code, args)
		assert.Contains(t, r.stderr, "Did you mean this?\n\t"+want, args)
	}
}

// TestGlobalFlagsOverrideEnvironment: --address and --namespace win over
// TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, which win over the profile of
// the config file that --profile (or --env) and --config-file name.
func TestGlobalFlagsOverrideEnvironment(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "temporal.toml")
	require.NoError(t, os.WriteFile(conf, []byte(`
[profile.default]
address = "default-profile:7233"
[profile.ci]
address = "ci-profile:7233"
namespace = "ci-ns"
`), 0o644))
	// envconfig takes a variable set to "" as set: unset them (t.Setenv
	// restores them after the test).
	for _, k := range []string{"TEMPORAL_CONFIG_FILE", "TEMPORAL_PROFILE", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true")

	config := func(env map[string]string, args ...string) app.Config {
		t.Helper()
		for k, v := range env {
			t.Setenv(k, v)
		}
		r := run(t, append(args, "show", "wf-1")...)
		require.Equal(t, 1, r.code, r.stderr)
		r.cli.loadConfig = app.LoadConfig
		cfg, err := r.cli.config()
		require.NoError(t, err)
		return cfg
	}
	cfg := config(nil, "--config-file", conf)
	assert.Equal(t, "default-profile:7233", cfg.Client.HostPort)
	cfg = config(nil, "--config-file", conf, "--profile", "ci")
	assert.Equal(t, "ci-profile:7233", cfg.Client.HostPort)
	assert.Equal(t, "ci-ns", cfg.Client.Namespace)
	cfg = config(nil, "--config-file", conf, "--env", "ci")
	assert.Equal(t, "ci-profile:7233", cfg.Client.HostPort, "--env is --profile")
	cfg = config(map[string]string{"TEMPORAL_ADDRESS": "env:7233", "TEMPORAL_NAMESPACE": "env-ns"}, "--config-file", conf, "--profile", "ci")
	assert.Equal(t, "env:7233", cfg.Client.HostPort)
	assert.Equal(t, "env-ns", cfg.Client.Namespace)
	cfg = config(nil, "--address", "flag:7233", "-n", "flag-ns", "--config-file", conf, "--profile", "ci")
	assert.Equal(t, "flag:7233", cfg.Client.HostPort)
	assert.Equal(t, "flag-ns", cfg.Client.Namespace)
	assert.Contains(t, cfg.RunURL("w", "r"), "/namespaces/flag-ns/", "links to runs name the namespace of the flag")

	r := run(t, "--profile", "nope", "show", "wf-1")
	r.cli.loadConfig = app.LoadConfig
	_, err := r.cli.config()
	assert.ErrorContains(t, err, "nope")
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		r := run(t, "completion", shell)
		require.Equal(t, 0, r.code, "%s: %s", shell, r.stderr)
		assert.Contains(t, r.stdout, "starter", shell)
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	script := filepath.Join(t.TempDir(), "starter.bash")
	require.NoError(t, os.WriteFile(script, []byte(run(t, "completion", "bash").stdout), 0o644))
	out, err := exec.Command(bash, "-n", script).CombinedOutput()
	require.NoError(t, err, "bash -n: %s", out)
}

// TestCompletionCompletes asks the program what cobra's scripts ask it.
func TestCompletionCompletes(t *testing.T) {
	complete := func(args ...string) []string {
		r := run(t, append([]string{cobra.ShellCompRequestCmd}, args...)...)
		require.Equal(t, 0, r.code, r.stderr)
		var words []string
		for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			if !strings.HasPrefix(l, ":") {
				words = append(words, strings.SplitN(l, "\t", 2)[0])
			}
		}
		return words
	}
	assert.Subset(t, complete("s"), []string{"show", "schedule"})
	assert.Subset(t, complete("schedule", ""), []string{"create", "list", "delete"})
	assert.Contains(t, complete("show", "--o"), "--output")
	assert.Subset(t, complete("run", "--"), []string{"--data", "--threshold", "--experiment", "--address", "--namespace", "--json"})
	assert.Equal(t, []string{"text", "json"}, complete("list", "-o", ""))
}

// TestBashCompletesCommandsAndFlags sources the bash script and completes
// as bash would, with the built program.
func TestBashCompletesCommandsAndFlags(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil || testing.Short() {
		t.Skip("no bash, or -short")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "starter")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	script, err := exec.Command(bin, "completion", "bash").Output()
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "starter.bash"), script, 0o644))
	complete := func(line string) []string {
		// Without the bash-completion package, a minimal
		// _get_comp_words_by_ref stands in for it; compopt works only
		// inside a completion that bash itself started.
		prog := `_get_comp_words_by_ref() { cur="${COMP_WORDS[COMP_CWORD]}"; prev="${COMP_WORDS[COMP_CWORD-1]}"; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
compopt() { :; }
source "$1/starter.bash"
COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}
read -r -a COMP_WORDS <<< "$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_WORDS[0]="$1/starter"
__start_starter
printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command(bash, "-c", prog, "bash", dir, line)
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		out, err := cmd.Output()
		require.NoError(t, err, "%s", errOut.String())
		require.Empty(t, errOut.String(), line)
		return strings.Fields(string(out))
	}
	assert.Equal(t, []string{"show"}, complete("starter sho"))
	assert.Subset(t, complete("starter s"), []string{"show", "schedule"})
	assert.Subset(t, complete("starter schedule "), []string{"create", "delete", "list"})
	assert.Contains(t, complete("starter show --ou"), "--output")
	assert.Subset(t, complete("starter list -o "), []string{"text", "json"})
}

// TestREADMEAgreesWithHelp: every command is in the README, and every
// `go run ./starter …` line of the README parses.
func TestREADMEAgreesWithHelp(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	for path := range commands(t) {
		if path != "" && !strings.HasPrefix(path, "completion") {
			assert.Contains(t, string(readme), "starter "+path, "the README mentions every command")
		}
	}
	lines := regexp.MustCompile("(?m)^go run \\./starter (.*)$").FindAllStringSubmatch(string(readme), -1)
	require.NotEmpty(t, lines)
	for _, m := range lines {
		line := strings.TrimSpace(strings.SplitN(m[1], "  #", 2)[0])
		args := shellWords(line)
		root := newRootCmd(newCLI(&bytes.Buffer{}, &bytes.Buffer{}))
		cmd, rest, err := root.Find(args)
		require.NoError(t, err, line)
		require.NotSame(t, root, cmd, line)
		assert.NoError(t, cmd.ParseFlags(rest), line)
		if cmd.Args != nil {
			assert.NoError(t, cmd.Args(cmd, cmd.Flags().Args()), line)
		}
	}
}

// shellWords splits a line as sh does for the README's lines: words,
// single-quoted strings, and [OPTIONAL] or <placeholder> words.
func shellWords(line string) []string {
	var words []string
	for _, m := range regexp.MustCompile(`'[^']*'|\S+`).FindAllString(line, -1) {
		if strings.HasPrefix(m, "[") {
			continue // optional, e.g. [NAME]
		}
		words = append(words, strings.Trim(m, "'"))
	}
	return slices.Clip(words)
}

// TestFileSafe: --save-images names files with letters, digits, '.', '-'
// and '_' only, never a path of its own.
func TestFileSafe(t *testing.T) {
	for in, want := range map[string]string{
		"Confusion matrix LR":  "Confusion_matrix_LR",
		"Algorithm comparison": "Algorithm_comparison",
		"iris-2025_01.x":       "iris-2025_01.x",
		"../a/b\\c:d":          ".._a_b_c_d",
		"é":                    "_",
		"":                     "_",
		".":                    "__",
		"..":                   "___",
	} {
		assert.Equal(t, want, fileSafe(in), "%q", in)
	}
}
