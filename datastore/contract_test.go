package datastore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

var containerSeq atomic.Int64

// newContainer returns a container name no other test uses.
func newContainer() string { return fmt.Sprintf("ct-%d-%d", containerSeq.Add(1), rand.Int63()) }

func put(t *testing.T, s datastore.Store, c, name, body string, opts datastore.WriteOptions) datastore.ETag {
	t.Helper()
	e, err := s.Write(context.Background(), c, name, strings.NewReader(body), opts)
	require.NoError(t, err)
	require.NotEmpty(t, e)
	return e
}

func get(t *testing.T, s datastore.Store, c, name string) (string, datastore.Info) {
	t.Helper()
	rc, info, err := s.Read(context.Background(), c, name)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b), info
}

// contractCases is the behaviour every Store must have.
var contractCases = []struct {
	name string
	run  func(t *testing.T, s datastore.Store, c string)
}{
	{"RoundTrip", func(t *testing.T, s datastore.Store, c string) {
		md := map[string]string{"run_id": "run-1", "accuracy": "0.97"}
		e := put(t, s, c, "models/iris/v1/model.json", `{"k":1}`,
			datastore.WriteOptions{ContentType: "application/json", Metadata: md})
		body, info := get(t, s, c, "models/iris/v1/model.json")
		assert.Equal(t, `{"k":1}`, body)
		assert.Equal(t, e, info.ETag)
		assert.Equal(t, "application/json", info.ContentType)
		assert.Equal(t, md, info.Metadata)
		assert.EqualValues(t, 7, info.Size)
		assert.Equal(t, "models/iris/v1/model.json", info.Name)
		st, err := s.Stat(context.Background(), c, "models/iris/v1/model.json")
		require.NoError(t, err)
		assert.Equal(t, info.ETag, st.ETag)
		assert.Equal(t, md, st.Metadata)
		assert.Equal(t, "application/json", st.ContentType)
		assert.False(t, st.LastModified.IsZero())
	}},
	{"Overwrite", func(t *testing.T, s datastore.Store, c string) {
		e1 := put(t, s, c, "x", "one", datastore.WriteOptions{Metadata: map[string]string{"a": "1"}})
		e2 := put(t, s, c, "x", "two", datastore.WriteOptions{})
		assert.NotEqual(t, e1, e2)
		body, info := get(t, s, c, "x")
		assert.Equal(t, "two", body)
		assert.Empty(t, info.Metadata)
		// Same content again still gets a new ETag (no ABA for if-match).
		e3 := put(t, s, c, "x", "two", datastore.WriteOptions{})
		assert.NotEqual(t, e2, e3)
	}},
	{"NotFound", func(t *testing.T, s datastore.Store, c string) {
		ctx := context.Background()
		missing := "no-such-" + c
		_, _, err := s.Read(ctx, missing, "a/b")
		assert.ErrorIs(t, err, datastore.ErrNotFound)
		assert.ErrorContains(t, err, missing)
		put(t, s, c, "exists", "x", datastore.WriteOptions{})
		_, _, err = s.Read(ctx, c, "a/b")
		assert.ErrorIs(t, err, datastore.ErrNotFound)
		assert.ErrorContains(t, err, c+"/a/b")
		_, err = s.Stat(ctx, c, "a/b")
		assert.ErrorIs(t, err, datastore.ErrNotFound)
		assert.ErrorIs(t, s.Delete(ctx, c, "a/b"), datastore.ErrNotFound)
		infos, err := s.List(ctx, missing, "")
		assert.NoError(t, err)
		assert.Empty(t, infos)
	}},
	{"CreateOnlyConflict", func(t *testing.T, s datastore.Store, c string) {
		put(t, s, c, "claim", "first", datastore.WriteOptions{IfNoneMatch: true})
		_, err := s.Write(context.Background(), c, "claim", strings.NewReader("second"), datastore.WriteOptions{IfNoneMatch: true})
		assert.ErrorIs(t, err, datastore.ErrPreconditionFailed)
		assert.ErrorContains(t, err, c+"/claim")
		body, _ := get(t, s, c, "claim")
		assert.Equal(t, "first", body)
	}},
	{"IfMatch", func(t *testing.T, s datastore.Store, c string) {
		ctx := context.Background()
		e1 := put(t, s, c, "ptr", "v1", datastore.WriteOptions{})
		e2 := put(t, s, c, "ptr", "v2", datastore.WriteOptions{IfMatch: e1})
		assert.NotEqual(t, e1, e2)
		_, err := s.Write(ctx, c, "ptr", strings.NewReader("v3"), datastore.WriteOptions{IfMatch: e1})
		assert.ErrorIs(t, err, datastore.ErrPreconditionFailed, "stale etag")
		body, info := get(t, s, c, "ptr")
		assert.Equal(t, "v2", body)
		assert.Equal(t, e2, info.ETag)
		_, err = s.Write(ctx, c, "missing", strings.NewReader("v"), datastore.WriteOptions{IfMatch: e2})
		assert.ErrorIs(t, err, datastore.ErrPreconditionFailed, "if-match on a missing blob")
	}},
	{"ListByPrefix", func(t *testing.T, s datastore.Store, c string) {
		for _, n := range []string{"b/1", "a/2", "ab", "a/1", "a/sub/3"} {
			put(t, s, c, n, "x"+n, datastore.WriteOptions{Metadata: map[string]string{"n": n}})
		}
		names := func(prefix string) []string {
			infos, err := s.List(context.Background(), c, prefix)
			require.NoError(t, err)
			out := []string{}
			for _, i := range infos {
				assert.Equal(t, i.Name, i.Metadata["n"], "metadata of %s", i.Name)
				assert.EqualValues(t, len(i.Name)+1, i.Size)
				assert.NotEmpty(t, i.ETag)
				out = append(out, i.Name)
			}
			return out
		}
		assert.Equal(t, []string{"a/1", "a/2", "a/sub/3"}, names("a/"))
		assert.Equal(t, []string{"a/1", "a/2", "a/sub/3", "ab"}, names("a"))
		assert.Equal(t, []string{"a/1", "a/2", "a/sub/3", "ab", "b/1"}, names(""))
		assert.Equal(t, []string{"a/sub/3"}, names("a/s"))
		assert.Equal(t, []string{}, names("zz/"))
	}},
	{"Delete", func(t *testing.T, s datastore.Store, c string) {
		ctx := context.Background()
		put(t, s, c, "d/x", "x", datastore.WriteOptions{Metadata: map[string]string{"k": "v"}})
		require.NoError(t, s.Delete(ctx, c, "d/x"))
		_, err := s.Stat(ctx, c, "d/x")
		assert.ErrorIs(t, err, datastore.ErrNotFound)
		assert.ErrorIs(t, s.Delete(ctx, c, "d/x"), datastore.ErrNotFound)
		infos, err := s.List(ctx, c, "")
		require.NoError(t, err)
		assert.Empty(t, infos)
		// Re-creating after delete starts fresh.
		put(t, s, c, "d/x", "y", datastore.WriteOptions{IfNoneMatch: true})
		_, info := get(t, s, c, "d/x")
		assert.Empty(t, info.Metadata)
	}},
	{"BadMetadata", func(t *testing.T, s datastore.Store, c string) {
		_, err := s.Write(context.Background(), c, "m", strings.NewReader("x"),
			datastore.WriteOptions{Metadata: map[string]string{"Run-ID": "x"}})
		assert.ErrorContains(t, err, "metadata key")
	}},
	{"ConcurrentCreateOnly", func(t *testing.T, s datastore.Store, c string) {
		put(t, s, c, "warm", "x", datastore.WriteOptions{}) // container exists for all
		const n = 20
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Write(context.Background(), c, "race/claim", strings.NewReader(fmt.Sprint("writer-", i)),
					datastore.WriteOptions{IfNoneMatch: true, Metadata: map[string]string{"writer": fmt.Sprint(i)}})
			}()
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			if err == nil {
				assert.Equal(t, -1, winner, "two winners")
				winner = i
				continue
			}
			assert.ErrorIs(t, err, datastore.ErrPreconditionFailed)
		}
		require.NotEqual(t, -1, winner, "no winner")
		body, info := get(t, s, c, "race/claim")
		assert.Equal(t, fmt.Sprint("writer-", winner), body)
		assert.Equal(t, fmt.Sprint(winner), info.Metadata["writer"])
	}},
	{"LargeStream", func(t *testing.T, s datastore.Store, c string) {
		const size = 20 << 20
		src := &hashingReader{r: io.LimitReader(rand.New(rand.NewSource(7)), size), h: sha256.New()}
		_, err := s.Write(context.Background(), c, "big/blob.bin", src, datastore.WriteOptions{ContentType: "application/octet-stream"})
		require.NoError(t, err)
		rc, info, err := s.Read(context.Background(), c, "big/blob.bin")
		require.NoError(t, err)
		defer rc.Close()
		assert.EqualValues(t, size, info.Size)
		h := sha256.New()
		n, err := io.Copy(h, rc)
		require.NoError(t, err)
		assert.EqualValues(t, size, n)
		assert.True(t, bytes.Equal(src.h.Sum(nil), h.Sum(nil)), "sha256 differs")
	}},
}

// hashingReader hashes what it streams, so the test never holds the data.
type hashingReader struct {
	r io.Reader
	h interface {
		Write([]byte) (int, error)
		Sum([]byte) []byte
	}
}

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	return n, err
}

// runContract runs every contract case on a fresh store and container.
func runContract(t *testing.T, newStore func(t *testing.T) datastore.Store) {
	for _, tc := range contractCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t), newContainer())
		})
	}
}

func TestContractLocal(t *testing.T) {
	runContract(t, func(t *testing.T) datastore.Store { return datastore.NewLocal(t.TempDir()) })
}

func TestContractAzureBlob(t *testing.T) {
	runContract(t, func(t *testing.T) datastore.Store {
		s, err := datastore.NewAzureBlob(azureOptions())
		require.NoError(t, err)
		return s
	})
}
