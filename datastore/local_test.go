package datastore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// TestLocalCreateOnlyAcrossProcesses runs create-only writes of one name
// from several processes (this test binary re-executed): exactly one wins.
func TestLocalCreateOnlyAcrossProcesses(t *testing.T) {
	if root := os.Getenv("DATASTORE_LOCAL_HELPER"); root != "" {
		_, err := datastore.NewLocal(root).Write(context.Background(), "c", "claim", strings.NewReader(os.Getenv("WRITER")),
			datastore.WriteOptions{IfNoneMatch: true})
		switch {
		case err == nil:
			fmt.Print("WON")
		case errors.Is(err, datastore.ErrPreconditionFailed):
			fmt.Print("LOST")
		default:
			t.Fatal(err)
		}
		return
	}
	root := t.TempDir()
	const n = 8
	cmds := make([]*exec.Cmd, n)
	outs := make([]strings.Builder, n)
	for i := range cmds {
		cmds[i] = exec.Command(os.Args[0], "-test.run=^TestLocalCreateOnlyAcrossProcesses$")
		cmds[i].Env = append(os.Environ(), "DATASTORE_LOCAL_HELPER="+root, fmt.Sprint("WRITER=", i))
		cmds[i].Stdout = &outs[i]
		require.NoError(t, cmds[i].Start())
	}
	won := -1
	for i, c := range cmds {
		require.NoError(t, c.Wait())
		if strings.Contains(outs[i].String(), "WON") {
			assert.Equal(t, -1, won, "two winners")
			won = i
		} else {
			assert.Contains(t, outs[i].String(), "LOST")
		}
	}
	b, err := os.ReadFile(filepath.Join(root, "c", "claim"))
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprint(won), string(b))
}

func TestLocalHidesItsFiles(t *testing.T) {
	ctx := context.Background()
	s := datastore.NewLocal(t.TempDir())
	_, err := s.Write(ctx, "c", "a/x.json", strings.NewReader("{}"), datastore.WriteOptions{Metadata: map[string]string{"k": "v"}})
	require.NoError(t, err)
	infos, err := s.List(ctx, "c", "")
	require.NoError(t, err)
	require.Len(t, infos, 1)
	assert.Equal(t, "a/x.json", infos[0].Name)
	for _, bad := range []string{"a/.x.json.dsmeta", "a/.dslock", "../escape", "a//b", ""} {
		_, err := s.Write(ctx, "c", bad, strings.NewReader("x"), datastore.WriteOptions{})
		assert.ErrorIs(t, err, datastore.ErrBadRef, "%q", bad)
	}
}

// TestLocalForeignEdit: a file rewritten by another program gets a new
// ETag and loses the stale sidecar's metadata.
func TestLocalForeignEdit(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s := datastore.NewLocal(root)
	e, err := s.Write(ctx, "", "f.txt", strings.NewReader("one"), datastore.WriteOptions{Metadata: map[string]string{"k": "v"}})
	require.NoError(t, err)
	require.NoError(t, os.Remove(filepath.Join(root, "f.txt")))
	require.NoError(t, os.WriteFile(filepath.Join(root, "f.txt"), []byte("other"), 0o644))
	info, err := s.Stat(ctx, "", "f.txt")
	require.NoError(t, err)
	assert.NotEqual(t, e, info.ETag)
	assert.Empty(t, info.Metadata)
	_, err = s.Write(ctx, "", "f.txt", strings.NewReader("x"), datastore.WriteOptions{IfMatch: e})
	assert.ErrorIs(t, err, datastore.ErrPreconditionFailed)
	_, err = s.Write(ctx, "", "f.txt", strings.NewReader("x"), datastore.WriteOptions{IfMatch: info.ETag})
	assert.NoError(t, err)
}
