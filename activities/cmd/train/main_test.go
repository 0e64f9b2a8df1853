package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOfflineRunOnTheUsersFile runs the tool as a user does, on their own
// file in a fresh temporary folder (far from ./data and from the roots),
// from another working directory: by absolute path, relative path,
// symbolic link and file:// reference, with the outputs folder absolute,
// relative or behind a symbolic link. Each run trains and prints where its
// record and model are, and they are there.
func TestOfflineRunOnTheUsersFile(t *testing.T) {
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "train")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	iris, err := os.ReadFile(filepath.Join("..", "..", "..", "data", "iris.csv"))
	require.NoError(t, err)
	mine := filepath.Join(tmp, "my data")
	require.NoError(t, os.Mkdir(mine, 0o755))
	file := filepath.Join(mine, "my.csv")
	require.NoError(t, os.WriteFile(file, iris, 0o644))
	links := filepath.Join(tmp, "links")
	require.NoError(t, os.Mkdir(links, 0o755))
	require.NoError(t, os.Symlink(file, filepath.Join(links, "iris.csv")))
	outs := filepath.Join(tmp, "outs")
	require.NoError(t, os.Mkdir(outs, 0o755))
	require.NoError(t, os.Symlink(outs, filepath.Join(links, "outs")))
	wd := filepath.Join(tmp, "elsewhere")
	require.NoError(t, os.Mkdir(wd, 0o755))

	for _, tc := range []struct {
		name, data, outputs string
		recordIn            string // the folder the record lands in
	}{
		{"absolute", file, filepath.Join(outs, "a"), filepath.Join(outs, "a")},
		{"relative", filepath.Join("..", "my data", "my.csv"), "rel", filepath.Join(wd, "rel")},
		{"symbolic link", filepath.Join(links, "iris.csv"), filepath.Join(links, "outs", "l"), filepath.Join(outs, "l")},
		{"file reference", "file://" + filepath.ToSlash(file), filepath.Join(outs, "f"), filepath.Join(outs, "f")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, "--data", tc.data, "--outputs", tc.outputs, "--folds", "3")
			cmd.Dir, cmd.Stdout, cmd.Stderr = wd, &stdout, &stderr
			cmd.Env = append(os.Environ(), "PIPELINE_LOCAL_ROOTS=") // the default roots: ./data of wd
			require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())
			m := regexp.MustCompile(`^(OfflineRun_[0-9a-f-]+): best model (LR|LDA|KNN|CART|NB|SVM), accuracy 0\.\d+\nrecord (.+)\nmodel  (.+)\n$`).FindStringSubmatch(stdout.String())
			require.NotNil(t, m, "stdout: %q", stdout.String())
			record, model := m[3], m[4]
			printed := tc.outputs
			if !filepath.IsAbs(printed) {
				printed = filepath.Join(wd, printed)
			}
			assert.Equal(t, filepath.Join(printed, m[1]+".json"), record, "the record is named in full")
			assert.FileExists(t, filepath.Join(tc.recordIn, m[1]+".json"))
			assert.FileExists(t, filepath.Join(tc.recordIn, "model.json"))
			assert.FileExists(t, model)
		})
	}

	t.Run("missing file", func(t *testing.T) {
		var stderr bytes.Buffer
		cmd := exec.Command(bin, "--data", filepath.Join(mine, "nope.csv"), "--outputs", outs)
		cmd.Dir, cmd.Stderr = wd, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit)
		assert.Equal(t, 1, exit.ExitCode())
		assert.Contains(t, stderr.String(), filepath.Join(mine, "nope.csv"))
		assert.Contains(t, stderr.String(), "no such file")
	})
}

// TestConvergenceWarning: where scikit-learn 1.2.1's lbfgs stops at
// max_iter (the golden ranges data set, on which its fits warn), the tool
// says so on stderr with scikit-learn's words, both offline and with
// --json, and writes it to the step's outputs/output.txt; on iris, where
// lbfgs converges, it says nothing.
func TestConvergenceWarning(t *testing.T) {
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "train")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	const warning = "train: LR: ConvergenceWarning: lbfgs failed to converge (status=1): STOP: TOTAL NO. of ITERATIONS REACHED LIMIT\n"
	ranges, err := filepath.Abs(filepath.Join("..", "..", "..", "ml", "testdata", "golden", "ranges.csv"))
	require.NoError(t, err)
	iris, err := filepath.Abs(filepath.Join("..", "..", "..", "data", "iris.csv"))
	require.NoError(t, err)
	for _, tc := range []struct {
		name, data  string
		json, warns bool
	}{
		{"ranges json", ranges, true, true},
		{"ranges offline", ranges, false, true},
		{"iris json", iris, true, false},
		{"iris offline", iris, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			outs := filepath.Join(t.TempDir(), "outputs")
			args := []string{"--data", tc.data, "--outputs", outs}
			if tc.json {
				args = append(args, "--json")
			}
			cmd := exec.Command(bin, args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Run(), stderr.String())
			if !tc.warns {
				assert.NotContains(t, stderr.String(), "ConvergenceWarning")
				return
			}
			assert.Contains(t, stderr.String(), warning)
			if tc.json {
				return
			}
			b, err := os.ReadFile(filepath.Join(outs, "outputs", "output.txt"))
			require.NoError(t, err)
			assert.Contains(t, string(b), warning[len("train: "):])
		})
	}
}
