package runctx

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/settings"
)

func mustRef(t *testing.T, p string) datastore.Ref {
	t.Helper()
	r, err := datastore.ParseRef("file://" + filepath.ToSlash(p))
	require.NoError(t, err)
	return r
}

// TestPluginLocalRoots: the plugin's store reads file:// references only
// under LocalRoots, and records under a file:// Runs folder, nowhere else.
func TestPluginLocalRoots(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	data, runs, other := filepath.Join(tmp, "data"), filepath.Join(tmp, "runs"), filepath.Join(tmp, "other")
	require.NoError(t, os.MkdirAll(data, 0o755))
	require.NoError(t, os.MkdirAll(other, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(data, "iris.csv"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(other, "secret"), []byte("s"), 0o644))

	p, err := NewPlugin(PluginOptions{Runs: "file://" + filepath.ToSlash(runs), LocalRoots: []string{data}})
	require.NoError(t, err)
	s := p.Store()
	rc, _, err := s.Read(ctx, mustRef(t, filepath.Join(data, "iris.csv")))
	require.NoError(t, err)
	b, _ := io.ReadAll(rc)
	rc.Close()
	assert.Equal(t, "x", string(b))
	for _, bad := range []string{"/etc/passwd", filepath.Join(other, "secret")} {
		_, _, err := s.Read(ctx, mustRef(t, bad))
		assert.ErrorIs(t, err, datastore.ErrOutsideRoots, bad)
	}
	_, err = s.Write(ctx, mustRef(t, filepath.Join(runs, "iris", "wf", "step", "record.json")), strings.NewReader("{}"), datastore.WriteOptions{})
	require.NoError(t, err, "the file:// Runs folder is a root")
	_, err = s.Write(ctx, mustRef(t, filepath.Join(other, "planted")), strings.NewReader("{}"), datastore.WriteOptions{})
	assert.ErrorIs(t, err, datastore.ErrOutsideRoots)
}

// TestPluginDefaultLocalRoots: with no LocalRoots the working directory's
// data folder is the only root.
func TestPluginDefaultLocalRoots(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, os.MkdirAll("data", 0o755))
	require.NoError(t, os.WriteFile(filepath.Join("data", "iris.csv"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile("outside.csv", []byte("x"), 0o644))
	wd, _ := os.Getwd()
	assert.Equal(t, []string{filepath.Join(wd, "data")}, settings.DefaultLocalRoots())

	p, err := NewPlugin(PluginOptions{})
	require.NoError(t, err)
	ref, err := datastore.ParseRef("data/iris.csv") // a bare path, as a starter passes it
	require.NoError(t, err)
	_, err = p.Store().Stat(ctx, ref)
	require.NoError(t, err)
	ref, err = datastore.ParseRef("outside.csv")
	require.NoError(t, err)
	_, err = p.Store().Stat(ctx, ref)
	assert.ErrorIs(t, err, datastore.ErrOutsideRoots)
	_, err = p.Store().Stat(ctx, mustRef(t, "/etc/shadow"))
	assert.ErrorIs(t, err, datastore.ErrOutsideRoots)
}
