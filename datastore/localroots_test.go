package datastore_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// rootsFixture makes <tmp>/data (a root) holding iris.csv, and
// <tmp>/secret (outside every root) holding key.txt.
func rootsFixture(t *testing.T) (data, secret string) {
	t.Helper()
	tmp := t.TempDir()
	data, secret = filepath.Join(tmp, "data"), filepath.Join(tmp, "secret")
	require.NoError(t, os.MkdirAll(data, 0o755))
	require.NoError(t, os.MkdirAll(secret, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(data, "iris.csv"), []byte("1,2,3,4,a\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(secret, "key.txt"), []byte("SECRET"), 0o600))
	return data, secret
}

func fileRef(t *testing.T, p string) datastore.Ref {
	t.Helper()
	r, err := datastore.ParseRef("file://" + filepath.ToSlash(p))
	require.NoError(t, err)
	return r
}

// readWithin fails the test if the read blocks (a FIFO opened for reading
// blocks until a writer comes).
func readWithin(t *testing.T, res datastore.Resolver, ref datastore.Ref) (string, error) {
	t.Helper()
	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		rc, _, err := res.Read(context.Background(), ref)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		done <- result{string(b), err}
	}()
	select {
	case r := <-done:
		return r.body, r.err
	case <-time.After(5 * time.Second):
		t.Fatalf("read of %s blocked", ref)
		return "", nil
	}
}

// TestLocalRootsConfine: file references are served only under the roots;
// /etc/passwd and a sibling folder are refused with ErrOutsideRoots (an
// ErrBadRef), before any file is opened.
func TestLocalRootsConfine(t *testing.T) {
	ctx := context.Background()
	data, secret := rootsFixture(t)
	res := datastore.Resolver{Local: datastore.NewLocalRoots(data)}

	body, err := readWithin(t, res, fileRef(t, filepath.Join(data, "iris.csv")))
	require.NoError(t, err)
	assert.Equal(t, "1,2,3,4,a\n", body)

	for _, p := range []string{"/etc/passwd", "/etc/shadow", filepath.Join(secret, "key.txt"), data + "-other/x.csv", filepath.Dir(data)} {
		_, err := readWithin(t, res, fileRef(t, p))
		assert.ErrorIs(t, err, datastore.ErrOutsideRoots, p)
		assert.ErrorIs(t, err, datastore.ErrBadRef, p)
		_, err = res.Stat(ctx, fileRef(t, p))
		assert.ErrorIs(t, err, datastore.ErrOutsideRoots, p)
		_, err = res.Write(ctx, fileRef(t, filepath.Join(p, "w.txt")), strings.NewReader("x"), datastore.WriteOptions{})
		assert.ErrorIs(t, err, datastore.ErrOutsideRoots, p)
		_, err = res.List(ctx, fileRef(t, p))
		assert.ErrorIs(t, err, datastore.ErrOutsideRoots, p)
	}
	_, err = os.Stat(filepath.Join(secret, "key.txt", "w.txt"))
	assert.Error(t, err)

	// No roots, or no Local at all, serve nothing: the package has no default.
	_, err = readWithin(t, datastore.Resolver{}, fileRef(t, filepath.Join(data, "iris.csv")))
	assert.ErrorIs(t, err, datastore.ErrOutsideRoots)
	_, err = readWithin(t, datastore.Resolver{Local: datastore.NewLocalRoots()}, fileRef(t, filepath.Join(data, "iris.csv")))
	assert.ErrorIs(t, err, datastore.ErrOutsideRoots)

	// Several roots; a root inside another adds nothing; a missing root is
	// created by the first write under it.
	runs := filepath.Join(filepath.Dir(data), "runs", "deep")
	l := datastore.NewLocalRoots(data, filepath.Join(data, "sub"), "", runs)
	assert.Equal(t, []string{data, runs}, l.Roots())
	res = datastore.Resolver{Local: l}
	_, err = res.Write(ctx, fileRef(t, filepath.Join(runs, "exp", "record.json")), strings.NewReader("{}"), datastore.WriteOptions{})
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(runs, "exp", "record.json"))
	require.NoError(t, err)
	assert.Equal(t, "{}", string(b))
	infos, err := res.List(ctx, fileRef(t, runs))
	require.NoError(t, err)
	require.Len(t, infos, 1)
	assert.Equal(t, "exp/record.json", infos[0].Name)
}

// TestLocalSymlinksStayInRoot: a symbolic link may point elsewhere in its
// root, never out of it: not to a file, not through a folder, not for a
// write, and List does not follow it. NewLocal's single root holds too.
func TestLocalSymlinksStayInRoot(t *testing.T) {
	ctx := context.Background()
	data, secret := rootsFixture(t)
	require.NoError(t, os.Symlink(filepath.Join(secret, "key.txt"), filepath.Join(data, "abs-out.csv")))
	require.NoError(t, os.Symlink("../secret/key.txt", filepath.Join(data, "rel-out.csv")))
	require.NoError(t, os.Symlink("../secret", filepath.Join(data, "dir-out")))
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(data, "passwd")))
	require.NoError(t, os.Symlink("iris.csv", filepath.Join(data, "alias.csv")))

	res := datastore.Resolver{Local: datastore.NewLocalRoots(data)}
	for _, name := range []string{"NewLocalRoots", "NewLocal"} {
		t.Run(name, func(t *testing.T) {
			if name == "NewLocal" {
				// NewLocal(data), addressed as a blob store.
				s := datastore.NewLocal(data)
				for _, n := range []string{"abs-out.csv", "rel-out.csv", "dir-out/key.txt", "passwd"} {
					_, _, err := s.Read(ctx, "", n)
					assert.ErrorIs(t, err, datastore.ErrOutsideRoots, n)
					_, err = s.Stat(ctx, "", n)
					assert.ErrorIs(t, err, datastore.ErrOutsideRoots, n)
				}
				_, err := s.Write(ctx, "", "dir-out/planted.txt", strings.NewReader("x"), datastore.WriteOptions{})
				assert.ErrorIs(t, err, datastore.ErrOutsideRoots)
				_, err = os.Stat(filepath.Join(secret, "planted.txt"))
				assert.ErrorIs(t, err, os.ErrNotExist, "nothing was written outside the root")
				rc, _, err := s.Read(ctx, "", "alias.csv")
				require.NoError(t, err, "a link inside the root is followed")
				rc.Close()
				return
			}
			for _, n := range []string{"abs-out.csv", "rel-out.csv", "dir-out/key.txt", "passwd"} {
				body, err := readWithin(t, res, fileRef(t, filepath.Join(data, n)))
				assert.ErrorIs(t, err, datastore.ErrOutsideRoots, n)
				assert.NotContains(t, body, "SECRET")
				_, err = res.Stat(ctx, fileRef(t, filepath.Join(data, n)))
				assert.ErrorIs(t, err, datastore.ErrOutsideRoots, n)
			}
			_, err := res.Write(ctx, fileRef(t, filepath.Join(data, "dir-out", "planted.txt")), strings.NewReader("x"), datastore.WriteOptions{})
			assert.ErrorIs(t, err, datastore.ErrOutsideRoots)
			_, err = os.Stat(filepath.Join(secret, "planted.txt"))
			assert.ErrorIs(t, err, os.ErrNotExist, "nothing was written outside the root")
			_, err = res.List(ctx, fileRef(t, filepath.Join(data, "dir-out")))
			assert.ErrorIs(t, err, datastore.ErrOutsideRoots)

			body, err := readWithin(t, res, fileRef(t, filepath.Join(data, "alias.csv")))
			require.NoError(t, err, "a relative link inside the root is followed")
			assert.Equal(t, "1,2,3,4,a\n", body)

			infos, err := res.List(ctx, fileRef(t, data))
			require.NoError(t, err)
			var names []string
			for _, i := range infos {
				names = append(names, i.Name)
			}
			assert.Equal(t, []string{"iris.csv"}, names, "List shows regular files and follows no link")
		})
	}
}

// TestLocalRefusesNonRegular: a FIFO, a device and a directory are refused
// with ErrNotRegular, and reading a FIFO does not block.
func TestLocalRefusesNonRegular(t *testing.T) {
	ctx := context.Background()
	data, _ := rootsFixture(t)
	fifo := filepath.Join(data, "pipe.csv")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(data, "folder.csv"), 0o755))
	require.NoError(t, os.Symlink("pipe.csv", filepath.Join(data, "to-pipe.csv")))
	res := datastore.Resolver{Local: datastore.NewLocalRoots(data, "/dev")}

	for _, p := range []string{fifo, filepath.Join(data, "to-pipe.csv"), "/dev/null", "/dev/zero", filepath.Join(data, "folder.csv")} {
		_, err := readWithin(t, res, fileRef(t, p))
		require.ErrorIs(t, err, datastore.ErrNotRegular, p)
		assert.Contains(t, err.Error(), "not a regular file")
		_, err = res.Stat(ctx, fileRef(t, p))
		assert.ErrorIs(t, err, datastore.ErrNotRegular, p)
	}
	_, err := res.Stat(ctx, fileRef(t, filepath.Join(data, "folder.csv")))
	assert.ErrorIs(t, err, datastore.ErrNotFound, "a folder is not a blob, as in Azure")
	infos, err := res.List(ctx, fileRef(t, data))
	require.NoError(t, err)
	require.Len(t, infos, 1, "List skips the FIFO")

	// A FIFO planted as a blob's sidecar does not hang a read either.
	s := datastore.NewLocal(data)
	require.NoError(t, syscall.Mkfifo(filepath.Join(data, ".iris.csv.dsmeta"), 0o644))
	done := make(chan error, 1)
	go func() { _, err := s.Stat(ctx, "", "iris.csv"); done <- err }()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("a FIFO sidecar blocked Stat")
	}
}
