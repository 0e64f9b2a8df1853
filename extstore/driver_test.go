package extstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

func TestBlobName(t *testing.T) {
	const hex = "ab12"
	for _, tc := range []struct{ prefix, want string }{
		{"", "sha256/ab12"},
		{"payloads", "payloads/sha256/ab12"},
		{"/a/b/", "a/b/sha256/ab12"},
	} {
		assert.Equal(t, tc.want, BlobName(tc.prefix, hex), "prefix %q", tc.prefix)
	}
}

func TestParseClaim(t *testing.T) {
	digest := Digest([]byte("x"))
	good := Claim{Container: "c1c", Blob: "sha256/" + digest, Digest: digest, Size: 12}
	got, err := ParseClaim(good.ClaimData())
	require.NoError(t, err)
	assert.Equal(t, good, got)
	assert.Equal(t, map[string]string{"container": "c1c", "blob": "sha256/" + digest, "hash_algorithm": "sha256", "hash_value": digest, "size": "12"}, good.ClaimData(),
		"the claim layout is persisted in histories")
	// Claims written before the size was recorded still parse.
	old := map[string]string{"container": "c1c", "blob": "p/sha256/" + digest, "hash_algorithm": "sha256", "hash_value": digest}
	got, err = ParseClaim(old)
	require.NoError(t, err)
	assert.Equal(t, Claim{Container: "c1c", Blob: "p/sha256/" + digest, Digest: digest}, got)

	for name, mutate := range map[string]func(map[string]string){
		"no container": func(m map[string]string) { delete(m, ClaimContainer) },
		"no blob":      func(m map[string]string) { delete(m, ClaimBlob) },
		"no digest":    func(m map[string]string) { delete(m, ClaimHashValue) },
		"md5":          func(m map[string]string) { m[ClaimHashAlgorithm] = "md5" },
		"short digest": func(m map[string]string) { m[ClaimHashValue] = "abcd" },
		"not hex":      func(m map[string]string) { m[ClaimHashValue] = strings.Repeat("z", 64) },
		"other blob":   func(m map[string]string) { m[ClaimBlob] = "secrets/model.bin" },
		"other digest": func(m map[string]string) { m[ClaimBlob] = "sha256/" + Digest([]byte("y")) },
		"suffix only":  func(m map[string]string) { m[ClaimBlob] = "xsha256/" + digest },
		"bad size":     func(m map[string]string) { m[ClaimSize] = "-1" },
	} {
		t.Run(name, func(t *testing.T) {
			m := good.ClaimData()
			mutate(m)
			_, err := ParseClaim(m)
			assert.Error(t, err)
		})
	}
}

func TestDecodeBlobChecksDigest(t *testing.T) {
	p := &commonpb.Payload{Metadata: map[string][]byte{"encoding": []byte("json/plain")}, Data: []byte(`{"a":1}`)}
	data, err := proto.Marshal(p)
	require.NoError(t, err)
	c := Claim{Container: "c1c", Blob: "sha256/x", Digest: Digest(data)}

	got, err := decodeBlob(c, data)
	require.NoError(t, err)
	assert.True(t, proto.Equal(p, got))

	tampered := bytes.Clone(data)
	tampered[len(tampered)-2] = '2'
	_, err = decodeBlob(c, tampered)
	require.ErrorIs(t, err, ErrDigestMismatch)
	assert.Contains(t, err.Error(), "azblob://c1c/sha256/x")
	assert.NotContains(t, err.Error(), Digest(tampered), "the error never tells the digest of what is stored")
}

func TestNewAzureBlobDriverDefaultsAndValidation(t *testing.T) {
	d, err := NewAzureBlobDriver(Options{})
	require.NoError(t, err)
	assert.Equal(t, DefaultContainer, d.Container())
	assert.Equal(t, DefaultDriverName, d.Name())
	assert.Equal(t, DriverType, d.Type())
	assert.Equal(t, DefaultMaxConcurrency, d.concurrency)

	_, err = NewAzureBlobDriver(Options{Container: "Bad_Name"})
	assert.Error(t, err)
	_, err = NewAzureBlobDriver(Options{MaxConcurrency: -1})
	assert.Error(t, err)
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(EnvDriver, "")
	t.Setenv(EnvThreshold, "")
	t.Setenv(EnvContainer, "")
	t.Setenv(EnvPrefix, "")
	cfg, err := ConfigFromEnv()
	require.NoError(t, err)
	assert.Equal(t, Config{Enabled: true, Threshold: 256 << 10, Container: "temporal-payloads"}, cfg)

	t.Setenv(EnvDriver, "off")
	t.Setenv(EnvThreshold, "1024")
	t.Setenv(EnvContainer, "payloads-x")
	t.Setenv(EnvPrefix, "prod")
	cfg, err = ConfigFromEnv()
	require.NoError(t, err)
	assert.Equal(t, Config{Enabled: false, Threshold: 1024, Container: "payloads-x", Prefix: "prod"}, cfg)
	es, err := ExternalStorage(cfg, azureOptions())
	require.NoError(t, err)
	assert.Empty(t, es.Drivers, "off means no driver")

	for k, v := range map[string]string{EnvDriver: "s3", EnvThreshold: "-1", EnvContainer: "UPPER"} {
		t.Run(k, func(t *testing.T) {
			t.Setenv(k, v)
			_, err := ConfigFromEnv()
			assert.ErrorContains(t, err, k)
		})
	}
}

// payload returns a JSON payload of about n bytes whose content depends on seed.
func payload(seed, n int) *commonpb.Payload {
	return &commonpb.Payload{
		Metadata: map[string][]byte{"encoding": []byte("json/plain"), "extra": []byte("m")},
		Data:     []byte(fmt.Sprintf("%q", strings.Repeat(fmt.Sprint(seed%10), n))),
	}
}

var containerSeq atomic.Int64

// newDriver returns a driver on a container of its own, not yet created.
func newDriver(t *testing.T, opts Options) *Driver {
	t.Helper()
	opts.Azure = azureOptions()
	if opts.Container == "" {
		opts.Container = fmt.Sprintf("extstore-test-%d", containerSeq.Add(1))
	}
	d, err := NewAzureBlobDriver(opts)
	require.NoError(t, err)
	return d
}

func storeCtx() converter.StorageDriverStoreContext {
	return converter.StorageDriverStoreContext{Context: context.Background()}
}

func retrieveCtx() converter.StorageDriverRetrieveContext {
	return converter.StorageDriverRetrieveContext{Context: context.Background()}
}

func TestStoreRetrieveRoundTrip(t *testing.T) {
	d := newDriver(t, Options{Prefix: "p/q"})
	in := []*commonpb.Payload{payload(1, 10), payload(2, 3<<20), payload(3, 0), payload(1, 10)}
	claims, err := d.Store(storeCtx(), in)
	require.NoError(t, err)
	require.Len(t, claims, len(in))
	for i, c := range claims {
		parsed, err := ParseClaim(c.ClaimData)
		require.NoError(t, err)
		data, _ := proto.MarshalOptions{Deterministic: true}.Marshal(in[i])
		assert.Equal(t, Digest(data), parsed.Digest)
		assert.Equal(t, "p/q/sha256/"+parsed.Digest, parsed.Blob)
		assert.Equal(t, d.Container(), parsed.Container)
	}
	assert.Equal(t, claims[0], claims[3], "equal payloads share one blob")

	out, err := d.Retrieve(retrieveCtx(), claims)
	require.NoError(t, err)
	require.Len(t, out, len(in))
	for i := range in {
		assert.True(t, proto.Equal(in[i], out[i]), "payload %d", i)
	}
}

// TestStoreIsIdempotent: storing the same payload again (a retried
// activity) finds the blob and does not rewrite it.
func TestStoreIsIdempotent(t *testing.T) {
	d := newDriver(t, Options{})
	p := payload(7, 1<<20)
	first, err := d.Store(storeCtx(), []*commonpb.Payload{p})
	require.NoError(t, err)
	c, _ := ParseClaim(first[0].ClaimData)
	props, err := d.blob(c.Container, c.Blob).GetProperties(context.Background(), nil)
	require.NoError(t, err)

	// A second driver (another worker process) stores it again.
	d2 := newDriver(t, Options{Container: d.Container()})
	again, err := d2.Store(storeCtx(), []*commonpb.Payload{p})
	require.NoError(t, err)
	assert.Equal(t, first, again)
	props2, err := d.blob(c.Container, c.Blob).GetProperties(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, *props.ETag, *props2.ETag, "the blob was not rewritten")

	// Racing stores of one new payload all succeed with the same claim.
	q := payload(8, 1<<20)
	var wg sync.WaitGroup
	claims := make([][]converter.StorageDriverClaim, 6)
	errs := make([]error, 6)
	for i := range claims {
		wg.Go(func() {
			claims[i], errs[i] = newDriver(t, Options{Container: d.Container()}).Store(storeCtx(), []*commonpb.Payload{q})
		})
	}
	wg.Wait()
	for i := range claims {
		require.NoError(t, errs[i])
		assert.Equal(t, claims[0], claims[i])
	}
}

func TestRetrieveMissingBlob(t *testing.T) {
	d := newDriver(t, Options{})
	claims, err := d.Store(storeCtx(), []*commonpb.Payload{payload(1, 100)})
	require.NoError(t, err)
	c, _ := ParseClaim(claims[0].ClaimData)
	_, err = d.client.DeleteBlob(context.Background(), c.Container, c.Blob, nil)
	require.NoError(t, err)

	_, err = d.Retrieve(retrieveCtx(), claims)
	require.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), c.String())

	// A container that does not exist is not found either.
	missing := Claim{Container: "no-such-container", Blob: c.Blob, Digest: c.Digest}
	_, err = d.Retrieve(retrieveCtx(), []converter.StorageDriverClaim{{ClaimData: missing.ClaimData()}})
	require.ErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), "azblob://no-such-container/")
}

func TestRetrieveTamperedBlob(t *testing.T) {
	d := newDriver(t, Options{})
	claims, err := d.Store(storeCtx(), []*commonpb.Payload{payload(1, 100)})
	require.NoError(t, err)
	c, _ := ParseClaim(claims[0].ClaimData)
	other, _ := proto.Marshal(payload(2, 100))
	_, err = d.client.UploadBuffer(context.Background(), c.Container, c.Blob, other, nil)
	require.NoError(t, err)

	_, err = d.Retrieve(retrieveCtx(), claims)
	require.ErrorIs(t, err, ErrDigestMismatch)
	assert.Contains(t, err.Error(), c.String())
}

// countingLimiter records the most fn calls that ran at once.
type countingLimiter[T any] struct {
	mu        sync.Mutex
	now, max  int
	permitted int
}

func (l *countingLimiter[T]) Permit(ctx context.Context, _ T, fn func() error) error {
	l.mu.Lock()
	l.now++
	l.permitted++
	l.max = max(l.max, l.now)
	l.mu.Unlock()
	defer func() { l.mu.Lock(); l.now--; l.mu.Unlock() }()
	return fn()
}

// TestConcurrencyLimit: a batch runs through the SDK's limiter, at most
// MaxConcurrency blob operations at a time.
func TestConcurrencyLimit(t *testing.T) {
	d := newDriver(t, Options{MaxConcurrency: 3})
	in := make([]*commonpb.Payload, 20)
	for i := range in {
		in[i] = payload(i, 200<<10+i)
	}
	sl := &countingLimiter[*commonpb.Payload]{}
	claims, err := d.Store(converter.StorageDriverStoreContext{Context: context.Background(), Limiter: sl}, in)
	require.NoError(t, err)
	assert.Equal(t, len(in), sl.permitted, "every upload takes a permit")
	assert.LessOrEqual(t, sl.max, 3)
	assert.Greater(t, sl.max, 1, "uploads run concurrently")

	rl := &countingLimiter[converter.StorageDriverClaim]{}
	out, err := d.Retrieve(converter.StorageDriverRetrieveContext{Context: context.Background(), Limiter: rl}, claims)
	require.NoError(t, err)
	assert.Len(t, out, len(in))
	assert.Equal(t, len(in), rl.permitted)
	assert.LessOrEqual(t, rl.max, 3)
}

func TestStoreErrorsAreWrapped(t *testing.T) {
	d := newDriver(t, Options{MaxPayloadSize: 1000})
	_, err := d.Store(storeCtx(), []*commonpb.Payload{payload(1, 10), payload(1, 2000)})
	assert.ErrorContains(t, err, "payload 1 is")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d = newDriver(t, Options{})
	_, err = d.Store(converter.StorageDriverStoreContext{Context: ctx}, []*commonpb.Payload{payload(1, 10)})
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
	assert.Contains(t, err.Error(), d.Container())
}
