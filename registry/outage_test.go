package registry_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
	"github.com/temporal-ml/runctx-pipeline/registry"
)

// stopAfterClaim stops Azurite right after the registrar's claim
// (the create-only write of a meta.json) succeeds.
type stopAfterClaim struct {
	datastore.Store
	once sync.Once
	stop func()
}

func (s *stopAfterClaim) Write(ctx context.Context, c, n string, r io.Reader, opts datastore.WriteOptions) (datastore.ETag, error) {
	e, err := s.Store.Write(ctx, c, n, r, opts)
	if err == nil && opts.IfNoneMatch && strings.HasSuffix(n, "/meta.json") {
		s.once.Do(s.stop)
	}
	return e, err
}

// TestAzuriteStoppedMidRegistration stops a real Azurite between the claim
// and its completion: Register must fail with a retryable error, and the
// retry after a restart on the same port and folder completes the one
// version.
func TestAzuriteStoppedMidRegistration(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	az, err := devstack.StartAzurite(dir)
	require.NoError(t, err, "this test needs Azurite")
	t.Cleanup(az.Discard)
	store, err := datastore.NewAzureBlob(datastore.AzureOptions{
		ConnectionString: az.ConnectionString(),
		ClientOptions: &azblob.ClientOptions{ClientOptions: azcore.ClientOptions{
			Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: 50 * time.Millisecond, MaxRetryDelay: 100 * time.Millisecond}}},
	})
	require.NoError(t, err)
	name := newName()
	ctx := context.Background()

	_, err = registry.New(&stopAfterClaim{Store: store, stop: az.Stop}).Register(ctx, req(name, "run-a", 0.9))
	require.Error(t, err)
	assert.False(t, errors.Is(err, datastore.ErrPreconditionFailed) || errors.Is(err, datastore.ErrNotFound), "must be retryable: %v", err)

	require.NoError(t, az.Restart(), "restart Azurite on port %d", az.Port)
	r := registry.New(store)
	res := register(t, r, req(name, "run-a", 0.9))
	assert.True(t, res.Registered)
	assert.Equal(t, 1, res.Version)
	checkVersions(t, r, name, "run-a")
	assert.Equal(t, `{"model":"run-a"}`, modelFile(t, r, name, 1))
}
