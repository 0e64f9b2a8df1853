package datastore_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

func TestParsePrefix(t *testing.T) {
	for _, in := range []string{"azblob://runs", "azblob://runs/"} {
		r, err := datastore.ParsePrefix(in)
		require.NoError(t, err, in)
		assert.Equal(t, datastore.Ref{Scheme: "azblob", Container: "runs"}, r)
		assert.Equal(t, "azblob://runs", r.String())
		assert.ErrorIs(t, r.Validate(), datastore.ErrBadRef, "a whole container is no blob")
	}
	r, err := datastore.ParsePrefix("azblob://runs/iris")
	require.NoError(t, err)
	assert.Equal(t, "iris", r.Path)
	for _, in := range []string{"azblob://", "azblob://Runs", "azblob://runs/../x"} {
		_, err := datastore.ParsePrefix(in)
		assert.ErrorIs(t, err, datastore.ErrBadRef, in)
	}
}

func TestParseRef(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	ok := []struct {
		in   string
		want datastore.Ref
		str  string
	}{
		{"azblob://runs/exp-1/run-2/metrics.json", datastore.Ref{Scheme: "azblob", Container: "runs", Path: "exp-1/run-2/metrics.json"}, ""},
		{"azblob://my-data/iris/", datastore.Ref{Scheme: "azblob", Container: "my-data", Path: "iris"}, "azblob://my-data/iris"},
		{"file:///tmp/iris.csv", datastore.Ref{Scheme: "file", Path: "/tmp/iris.csv"}, ""},
		{"/tmp/iris.csv", datastore.Ref{Scheme: "file", Path: "/tmp/iris.csv"}, "file:///tmp/iris.csv"},
		{"data/iris.csv", datastore.Ref{Scheme: "file", Path: filepath.ToSlash(filepath.Join(wd, "data/iris.csv"))}, "file://" + filepath.ToSlash(filepath.Join(wd, "data/iris.csv"))},
	}
	for _, tc := range ok {
		r, err := datastore.ParseRef(tc.in)
		if assert.NoError(t, err, tc.in) {
			assert.Equal(t, tc.want, r, tc.in)
			want := tc.str
			if want == "" {
				want = tc.in
			}
			assert.Equal(t, want, r.String())
		}
	}
	bad := []string{
		"", "azblob://", "azblob://runs", "azblob://runs/", "azblob://Runs/x", "azblob://ab/x", "azblob://a--b/x",
		"azblob://-ab/x", "azblob://ab-/x", "azblob://" + string(make([]byte, 64)) + "/x",
		"azblob://runs/a//b", "azblob://runs/../x", "azblob://runs/a/./b", "file://host/x", "file:///a/../b",
		"s3://bucket/x", "../outside.csv", "a//b",
	}
	for _, in := range bad {
		_, err := datastore.ParseRef(in)
		assert.ErrorIs(t, err, datastore.ErrBadRef, "%q", in)
	}
}

func TestRefJoin(t *testing.T) {
	r, err := datastore.ParseRef("azblob://runs/exp")
	require.NoError(t, err)
	j := r.Join("run-1", "outputs/model.json")
	assert.Equal(t, "azblob://runs/exp/run-1/outputs/model.json", j.String())
	assert.NoError(t, j.Validate())
	assert.ErrorIs(t, r.Join("..", "x").Validate(), datastore.ErrBadRef)
	f, err := datastore.ParseRef("file:///tmp")
	require.NoError(t, err)
	assert.Equal(t, "file:///tmp/a/b", f.Join("a", "b").String())
	root, err := datastore.ParseRef("file:///")
	require.NoError(t, err)
	assert.Equal(t, "file:///x", root.Join("x").String())
}

func TestValidateName(t *testing.T) {
	for _, s := range []string{"iris", "Iris_Model-2", "a", "v1.2"} {
		assert.NoError(t, datastore.ValidateName("model", s), s)
	}
	long := "a"
	for len(long) < 64 {
		long += "a"
	}
	for _, s := range []string{"", ".hidden", "..", "a/b", "a b", "ü", long} {
		err := datastore.ValidateName("model", s)
		assert.ErrorIs(t, err, datastore.ErrBadRef, "%q", s)
		assert.ErrorContains(t, err, "model name")
	}
}
