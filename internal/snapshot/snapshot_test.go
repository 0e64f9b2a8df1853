package snapshot_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/snapshot"
)

// tree writes files (name → content) under a fresh folder.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return dir
}

func TestScanIgnores(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"everything", map[string]string{"train.py": "x", "lib/util.py": "y"}, []string{"lib/util.py", "train.py"}},
		{".gitignore", map[string]string{"train.py": "x", "a.pyc": "", ".gitignore": "*.pyc\n"}, []string{".gitignore", "train.py"}},
		{".amlignore wins over .gitignore", map[string]string{"train.py": "x", "data.csv": "", "a.pyc": "", ".gitignore": "*.pyc\n", ".amlignore": "*.csv\n"},
			[]string{".amlignore", ".gitignore", "a.pyc", "train.py"}},
		{"folders and negation", map[string]string{"train.py": "x", "venv/bin/python": "", "logs/a.txt": "", "logs/keep.txt": "", ".amlignore": "venv/\nlogs/*\n!logs/keep.txt\n# comment\n"},
			[]string{".amlignore", "logs/keep.txt", "train.py"}},
		{"a nested ignore file applies below it", map[string]string{"train.py": "x", "sub/big.bin": "", "big.bin": "", "sub/.gitignore": "*.bin\n"},
			[]string{"big.bin", "sub/.gitignore", "train.py"}},
		{".git is never kept", map[string]string{"train.py": "x", ".git/HEAD": "ref"}, []string{"train.py"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := snapshot.Scan(tree(t, tt.files))
			require.NoError(t, err)
			assert.Equal(t, tt.want, m.Names())
		})
	}
}

func TestScanHash(t *testing.T) {
	a, err := snapshot.Scan(tree(t, map[string]string{"train.py": "print(1)", "lib/u.py": "u"}))
	require.NoError(t, err)
	b, err := snapshot.Scan(tree(t, map[string]string{"lib/u.py": "u", "train.py": "print(1)"}))
	require.NoError(t, err)
	assert.Equal(t, a.Hash, b.Hash, "the same files make the same snapshot, wherever they are")
	assert.Len(t, a.Hash, 64)
	for _, other := range []map[string]string{
		{"train.py": "print(2)", "lib/u.py": "u"},
		{"train2.py": "print(1)", "lib/u.py": "u"},
		{"train.py": "print(1)"},
	} {
		c, err := snapshot.Scan(tree(t, other))
		require.NoError(t, err)
		assert.NotEqual(t, a.Hash, c.Hash, "%v", other)
	}
	dir := tree(t, map[string]string{"train.py": "print(1)", "lib/u.py": "u"})
	require.NoError(t, os.Chmod(filepath.Join(dir, "train.py"), 0o755))
	c, err := snapshot.Scan(dir)
	require.NoError(t, err)
	assert.NotEqual(t, a.Hash, c.Hash, "the execute bit is part of the snapshot")
}

func TestScanRefuses(t *testing.T) {
	many := map[string]string{}
	for i := 0; i <= snapshot.MaxFiles; i++ {
		many[fmt.Sprintf("f/%04d.txt", i)] = ""
	}
	big := tree(t, map[string]string{"train.py": "x"})
	require.NoError(t, os.Truncate(filepath.Join(big, "train.py"), snapshot.MaxBytes+1))
	link := tree(t, map[string]string{"train.py": "x"})
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(link, "passwd")))
	file := filepath.Join(tree(t, map[string]string{"train.py": "x"}), "train.py")

	tests := []struct {
		name, dir string
		err       error
		want      string
	}{
		{"too many files", tree(t, many), snapshot.ErrTooLarge, "more than 2000 files"},
		{"too many bytes", big, snapshot.ErrTooLarge, "300 MB"},
		{"a symbolic link", link, snapshot.ErrInvalid, "passwd is a symbolic link"},
		{"missing", filepath.Join(t.TempDir(), "none"), snapshot.ErrInvalid, "no such file"},
		{"not a directory", file, snapshot.ErrInvalid, "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := snapshot.Scan(tt.dir)
			require.ErrorIs(t, err, tt.err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestUploadFetch(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	store := datastore.Resolver{Local: datastore.NewLocalRoots(root)}
	runs, err := datastore.ParsePrefix("file://" + root + "/runs")
	require.NoError(t, err)
	src := tree(t, map[string]string{"train.py": "print('hi')", "lib/u.py": "u = 1", ".amlignore": "*.log\n", "x.log": "noise"})
	m, err := snapshot.Scan(src)
	require.NoError(t, err)

	ref, err := snapshot.Upload(ctx, store, runs, src, m)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(ref.String(), "/runs/.snapshots/"+m.Hash+".tar.gz"), ref.String())
	info, err := store.Stat(ctx, ref)
	require.NoError(t, err)
	_, err = snapshot.Upload(ctx, store, runs, src, m)
	require.NoError(t, err)
	again, err := store.Stat(ctx, ref)
	require.NoError(t, err)
	assert.Equal(t, info.ETag, again.ETag, "a snapshot is uploaded once")

	cache := t.TempDir()
	dir, got, err := snapshot.Fetch(ctx, store, runs, m.Hash, cache)
	require.NoError(t, err)
	assert.Equal(t, m.Names(), got.Names())
	b, err := os.ReadFile(filepath.Join(dir, "lib", "u.py"))
	require.NoError(t, err)
	assert.Equal(t, "u = 1", string(b))
	assert.NoFileExists(t, filepath.Join(dir, "x.log"))
	dir2, _, err := snapshot.Fetch(ctx, store, runs, m.Hash, cache)
	require.NoError(t, err)
	assert.Equal(t, dir, dir2, "a fetched snapshot is cached")

	// An archive whose content does not match its name is refused.
	other, err := snapshot.Scan(tree(t, map[string]string{"train.py": "print('other')"}))
	require.NoError(t, err)
	otherRef, err := snapshot.Upload(ctx, store, runs, tree(t, map[string]string{"train.py": "print('other')"}), other)
	require.NoError(t, err)
	b, err = os.ReadFile(filepath.Join(root, "runs", ".snapshots", filepath.Base(otherRef.String())))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, "runs", ".snapshots", m.Hash+".tar.gz"), b, 0o644))
	_, _, err = snapshot.Fetch(ctx, store, runs, m.Hash, t.TempDir())
	assert.ErrorIs(t, err, snapshot.ErrCorrupt)

	_, _, err = snapshot.Fetch(ctx, store, runs, "../../etc", t.TempDir())
	assert.ErrorIs(t, err, datastore.ErrBadRef)
	_, _, err = snapshot.Fetch(ctx, store, runs, strings.Repeat("0", 64), t.TempDir())
	assert.ErrorIs(t, err, datastore.ErrNotFound)
}
