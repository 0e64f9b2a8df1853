package testsuite

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStarterRunContract checks `starter run` as CI and scripts use it:
// one JSON object on stdout, progress on stderr, and exit codes 0
// (completed), 1 (failed), 2 (usage).
func TestStarterRunContract(t *testing.T) {
	stdout, stderr, code := starter(t, "run", "-o", "json", "--threshold", "1.01", "--model-name", "it-starter", "--data", irisRef)
	require.Equal(t, 0, code, stderr)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	for _, k := range []string{"workflow_id", "run_id", "status", "best_model", "accuracy", "registered", "model_version", "ui_url"} {
		assert.Contains(t, out, k)
	}
	assert.Equal(t, "Completed", out["status"])
	assert.Regexp(t, `(?m)^  train +(Completed|Reused) in [0-9.]+m?s`, stderr, "each step ends with its duration, on stderr")
	assert.Regexp(t, `(?m)^Completed in `, stderr)
	assert.Equal(t, false, out["registered"])
	assert.EqualValues(t, 0, out["model_version"])
	assert.True(t, strings.HasPrefix(out["workflow_id"].(string), "iris-"), "workflow IDs start with the experiment")
	assert.Contains(t, out["ui_url"], out["run_id"])

	require.NoError(t, put("azblob://datasets/bad/nan.csv", "5.1,3.5,1.4,0.2,Iris-setosa\n4.9,NaN,1.4,0.2,Iris-setosa\n"))
	stdout, _, code = starter(t, "run", "--data", "azblob://datasets/bad/nan.csv", "--json")
	assert.Equal(t, 1, code)
	require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
	assert.Equal(t, "Failed", out["status"])
	assert.Contains(t, out["error"], "nan.csv:2")

	for _, args := range [][]string{
		{"run", "--threshold", "2"},
		{"run", "--data", "azblob://datasets/../x.csv"},
		{"run", "--experiment", "a/b"},
		{"run", "--no-such-flag"},
		{"no-such-command"},
	} {
		stdout, stderr, code := starter(t, args...)
		assert.Equal(t, 2, code, "%v: %s", args, stderr)
		assert.Empty(t, stdout, "%v", args)
		assert.NotEmpty(t, stderr, "%v says what to do", args)
	}
}

// TestStarterData uploads a file and lists it, as datastore.upload_files.
func TestStarterData(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rows.csv")
	require.NoError(t, os.WriteFile(file, []byte("1,2,3,4,Iris-setosa\n"), 0o644))
	_, stderr, code := starter(t, "data", "upload", file, "azblob://datasets/it-data/rows.csv")
	require.Equal(t, 0, code, stderr)

	for _, ref := range []string{"azblob://datasets/it-data/rows.csv", "azblob://datasets/it-data", "azblob://datasets"} {
		stdout, stderr, code := starter(t, "data", "ls", ref, "-o", "json")
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "rows.csv", ref)
	}
	_, _, code = starter(t, "data", "ls", "azblob://datasets/it-data/missing")
	assert.Equal(t, 1, code)
}
