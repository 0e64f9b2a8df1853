package datastore_test

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
)

func TestResolver(t *testing.T) {
	ctx := context.Background()
	blob, err := datastore.NewAzureBlob(azureOptions())
	require.NoError(t, err)
	dir := t.TempDir()
	res := datastore.Resolver{Blob: blob, Local: datastore.NewLocalRoots(dir)}
	for _, base := range []string{"azblob://" + newContainer() + "/exp", "file://" + filepath.ToSlash(dir) + "/exp"} {
		t.Run(base[:strings.Index(base, ":")], func(t *testing.T) {
			ref, err := datastore.ParseRef(base)
			require.NoError(t, err)
			for _, n := range []string{"a.csv", "sub/b.csv"} {
				_, err := res.Write(ctx, ref.Join(n), strings.NewReader("x,"+n), datastore.WriteOptions{ContentType: "text/csv"})
				require.NoError(t, err)
			}
			rc, info, err := res.Read(ctx, ref.Join("sub/b.csv"))
			require.NoError(t, err)
			b, _ := io.ReadAll(rc)
			rc.Close()
			assert.Equal(t, "x,sub/b.csv", string(b))
			assert.Equal(t, "text/csv", info.ContentType)
			infos, err := res.List(ctx, ref)
			require.NoError(t, err)
			var names []string
			for _, i := range infos {
				names = append(names, i.Name)
			}
			assert.Equal(t, []string{"a.csv", "sub/b.csv"}, names, "names relative to the listed ref")
			_, _, err = res.Read(ctx, ref.Join("missing"))
			assert.ErrorIs(t, err, datastore.ErrNotFound)
			_, _, err = res.Read(ctx, ref.Join("..", "x"))
			assert.ErrorIs(t, err, datastore.ErrBadRef)
		})
	}
	// file refs are real files: another program can read what was written.
	b, err := os.ReadFile(filepath.Join(dir, "exp", "a.csv"))
	require.NoError(t, err)
	assert.Equal(t, "x,a.csv", string(b))
	_, _, err = datastore.Resolver{}.Read(ctx, datastore.Ref{Scheme: "azblob", Container: "abc", Path: "x"})
	assert.ErrorContains(t, err, "no blob store")
}
