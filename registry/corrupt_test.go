package registry_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/registry"
)

// TestCorruptChampion: a champion.json that does not decode, or names no
// version, is ErrCorrupt (not retryable), from the lookup and from
// Register; a store that fails is not.
func TestCorruptChampion(t *testing.T) {
	for _, b := range backends {
		for body, what := range map[string]string{
			`{"version": 3, "accu`:             "truncated",
			`not json`:                         "not JSON",
			`{"version": "three"}`:             "wrong type",
			`{}`:                               "no version",
			`{"version": -1, "accuracy": 0.9}`: "negative version",
		} {
			t.Run(b.name+"/"+what, func(t *testing.T) {
				store := b.newStore(t)
				r := registry.New(store)
				name := newName()
				_, err := store.Write(context.Background(), registry.Container, name+"/champion.json", strings.NewReader(body), datastore.WriteOptions{})
				require.NoError(t, err)

				_, _, err = r.ChampionPointer(context.Background(), name)
				require.ErrorIs(t, err, registry.ErrCorrupt)
				assert.Contains(t, err.Error(), name+"/champion.json", "the error names the blob")
				_, err = r.Register(context.Background(), req(name, "run-a", 0.9))
				require.ErrorIs(t, err, registry.ErrCorrupt)
			})
		}
	}
}

// failingStore fails every read, as a store that is down.
type failingStore struct{ datastore.Store }

func (failingStore) Read(context.Context, string, string) (io.ReadCloser, datastore.Info, error) {
	return nil, datastore.Info{}, errors.New("connection refused")
}

// TestStoreDownIsNotCorrupt: an unreachable store stays retryable.
func TestStoreDownIsNotCorrupt(t *testing.T) {
	r := registry.New(failingStore{datastore.NewLocal(t.TempDir())})
	_, _, err := r.ChampionPointer(context.Background(), newName())
	require.Error(t, err)
	assert.False(t, errors.Is(err, registry.ErrCorrupt), "%v", err)
}
