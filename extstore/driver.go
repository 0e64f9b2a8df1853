// Package extstore is a Temporal external-storage driver on Azure Blob
// storage: payloads over the configured size threshold go to a blob, and
// history carries only a small claim (container, blob name, sha256).
//
// Blobs are content-addressed (<prefix>/sha256/<hex of the serialized
// payload>), so a retried Store writes the same blob, a payload stored twice
// is stored once, and Retrieve verifies what it reads against the digest in
// the claim.
//
// The SDK's external storage is experimental in go.temporal.io/sdk v1.51; so
// is this driver's claim layout (see the claimKey constants), which must
// stay readable for as long as histories that hold its claims are kept.
package extstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/proto"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// Defaults of Options.
const (
	DefaultContainer      = "temporal-payloads"
	DefaultDriverName     = "azblob"
	DefaultMaxConcurrency = 8
	// DefaultMaxPayloadSize bounds one stored payload (serialized); larger
	// payloads fail Store rather than fill memory.
	DefaultMaxPayloadSize = 128 << 20
)

// DriverType is the driver's Type(): the same for every instance.
const DriverType = "azure.blobdriver"

// Claim fields. They are persisted in workflow histories: never rename them.
const (
	ClaimContainer     = "container"
	ClaimBlob          = "blob"
	ClaimHashAlgorithm = "hash_algorithm"
	ClaimHashValue     = "hash_value"
	// ClaimSize is the serialized payload's size in bytes; claims written
	// before it existed lack it, and are read up to MaxPayloadSize.
	ClaimSize = "size"

	hashAlgorithm = "sha256"
	contentType   = "application/x-protobuf"
	readRetries   = 3
	uploadBlock   = 4 << 20
)

// ErrNotFound is wrapped by Retrieve's error when a claimed blob (or its
// container) does not exist.
var ErrNotFound = errors.New("payload blob not found")

// ErrTooLarge is wrapped by Retrieve's error when a blob is larger than
// its claim's size (or MaxPayloadSize): nothing beyond that is read.
var ErrTooLarge = errors.New("payload blob too large")

// ErrDigestMismatch is wrapped by Retrieve's error when a blob's content does
// not hash to the digest in its claim.
var ErrDigestMismatch = errors.New("payload blob digest mismatch")

// Options configure NewAzureBlobDriver. Set Client, or the connection in
// Azure (the same fields the datastore uses: a connection string, Azurite's
// development account by default, or an account URL with a credential).
type Options struct {
	// Client is the blob service client to use; when nil one is built from
	// Azure.
	Client *azblob.Client
	// Azure is the storage connection used when Client is nil.
	Azure datastore.AzureOptions
	// Container holds the payload blobs; it is created on first Store.
	// Default DefaultContainer.
	Container string
	// Prefix is prepended to blob names ("" for none; no leading or
	// trailing slash needed).
	Prefix string
	// DriverName is the name recorded in history with each claim; changing
	// it makes earlier claims unreadable. Default DefaultDriverName.
	DriverName string
	// MaxConcurrency bounds the blob operations one Store or Retrieve call
	// runs at once (the SDK's own limiter applies on top). Default
	// DefaultMaxConcurrency.
	MaxConcurrency int
	// MaxPayloadSize bounds one serialized payload. Default
	// DefaultMaxPayloadSize.
	MaxPayloadSize int
}

// Driver is a converter.StorageDriver on Azure Blob storage.
type Driver struct {
	client      *azblob.Client
	container   string
	prefix      string
	name        string
	concurrency int
	maxSize     int

	mu    sync.Mutex
	ready bool // the container is known to exist
}

var _ converter.StorageDriver = (*Driver)(nil)

// NewAzureBlobDriver returns a driver storing payloads in opts.Container.
func NewAzureBlobDriver(opts Options) (*Driver, error) {
	c := opts.Client
	if c == nil {
		var err error
		if c, err = opts.Azure.NewClient(); err != nil {
			return nil, err
		}
	}
	d := &Driver{
		client:      c,
		container:   opts.Container,
		prefix:      strings.Trim(opts.Prefix, "/"),
		name:        opts.DriverName,
		concurrency: opts.MaxConcurrency,
		maxSize:     opts.MaxPayloadSize,
	}
	if d.container == "" {
		d.container = DefaultContainer
	}
	if d.name == "" {
		d.name = DefaultDriverName
	}
	if d.concurrency == 0 {
		d.concurrency = DefaultMaxConcurrency
	}
	if d.maxSize == 0 {
		d.maxSize = DefaultMaxPayloadSize
	}
	switch {
	case d.concurrency < 0:
		return nil, fmt.Errorf("extstore: MaxConcurrency must be positive, got %d", d.concurrency)
	case d.maxSize < 0:
		return nil, fmt.Errorf("extstore: MaxPayloadSize must be positive, got %d", d.maxSize)
	}
	if err := datastore.ValidateContainer(d.container); err != nil {
		return nil, fmt.Errorf("extstore: %w", err)
	}
	return d, nil
}

// Name returns the name recorded with each claim.
func (d *Driver) Name() string { return d.name }

// Type returns DriverType.
func (d *Driver) Type() string { return DriverType }

// Container returns the container payloads are stored in.
func (d *Driver) Container() string { return d.container }

// BlobName returns the blob name of a serialized payload with digest
// hexDigest: <prefix>/sha256/<hexDigest>.
func (d *Driver) BlobName(hexDigest string) string {
	return BlobName(d.prefix, hexDigest)
}

// BlobName returns <prefix>/sha256/<hexDigest>, without a leading slash when
// prefix is empty.
func BlobName(prefix, hexDigest string) string {
	name := hashAlgorithm + "/" + hexDigest
	if p := strings.Trim(prefix, "/"); p != "" {
		name = p + "/" + name
	}
	return name
}

// Digest returns the hex sha256 of data.
func Digest(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// Claim is the decoded form of a claim's data.
type Claim struct {
	Container, Blob, Digest string
	// Size is the serialized payload's size; 0 when the claim does not
	// say (claims written before the size was recorded), which bounds a
	// read by MaxPayloadSize instead.
	Size int64
}

// ClaimData returns the claim persisted in history for c.
func (c Claim) ClaimData() map[string]string {
	m := map[string]string{
		ClaimContainer:     c.Container,
		ClaimBlob:          c.Blob,
		ClaimHashAlgorithm: hashAlgorithm,
		ClaimHashValue:     c.Digest,
	}
	if c.Size > 0 {
		m[ClaimSize] = strconv.FormatInt(c.Size, 10)
	}
	return m
}

func (c Claim) String() string { return "azblob://" + c.Container + "/" + c.Blob }

// ParseClaim decodes and checks a claim's data: a sha256 digest, a blob
// name ending in sha256/<digest> (content-addressed, as Store names them)
// and, when present, a size.
func ParseClaim(data map[string]string) (Claim, error) {
	c := Claim{Container: data[ClaimContainer], Blob: data[ClaimBlob], Digest: data[ClaimHashValue]}
	for _, f := range []struct{ key, v string }{{ClaimContainer, c.Container}, {ClaimBlob, c.Blob}, {ClaimHashValue, c.Digest}} {
		if f.v == "" {
			return Claim{}, fmt.Errorf("extstore: claim %v lacks %q", data, f.key)
		}
	}
	if a := data[ClaimHashAlgorithm]; a != hashAlgorithm {
		return Claim{}, fmt.Errorf("extstore: claim for %s: unsupported hash algorithm %q", c, a)
	}
	if b, err := hex.DecodeString(c.Digest); err != nil || len(b) != sha256.Size {
		return Claim{}, fmt.Errorf("extstore: claim for %s: %q is not a sha256 hex digest", c, c.Digest)
	}
	if c.Blob != BlobName("", c.Digest) && !strings.HasSuffix(c.Blob, "/"+BlobName("", c.Digest)) {
		return Claim{}, fmt.Errorf("extstore: claim for %s: blob name is not <prefix>/sha256/<its digest>", c)
	}
	if v, ok := data[ClaimSize]; ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return Claim{}, fmt.Errorf("extstore: claim for %s: size %q is not a byte count", c, v)
		}
		c.Size = n
	}
	return c, nil
}

type prepared struct {
	data  []byte
	claim Claim
}

// Store serializes each payload, then uploads those not already stored, at
// most MaxConcurrency at a time, and returns one claim per payload. All
// payloads are serialized and checked before any upload starts.
func (d *Driver) Store(ctx converter.StorageDriverStoreContext, payloads []*commonpb.Payload) ([]converter.StorageDriverClaim, error) {
	prep := make([]prepared, len(payloads))
	for i, p := range payloads {
		data, err := proto.MarshalOptions{Deterministic: true}.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("extstore: serialize payload %d: %w", i, err)
		}
		if len(data) > d.maxSize {
			return nil, fmt.Errorf("extstore: payload %d is %d bytes, over the driver's maximum of %d", i, len(data), d.maxSize)
		}
		digest := Digest(data)
		prep[i] = prepared{data: data, claim: Claim{Container: d.container, Blob: d.BlobName(digest), Digest: digest, Size: int64(len(data))}}
	}
	if err := d.ensureContainer(ctx.Context); err != nil {
		return nil, err
	}
	limiter := ctx.GetLimiter()
	g, gctx := errgroup.WithContext(ctx.Context)
	g.SetLimit(d.concurrency)
	for i := range prep {
		g.Go(func() error {
			return limiter.Permit(gctx, payloads[i], func() error { return d.upload(gctx, prep[i]) })
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	claims := make([]converter.StorageDriverClaim, len(prep))
	for i, p := range prep {
		claims[i] = converter.StorageDriverClaim{ClaimData: p.claim.ClaimData()}
	}
	return claims, nil
}

// upload writes p's blob unless it exists. The write is create-only
// (If-None-Match: *), so two concurrent stores of one payload cannot
// interleave; the loser finds the blob there, which is success.
func (d *Driver) upload(ctx context.Context, p prepared) error {
	bc := d.blob(p.claim.Container, p.claim.Blob)
	if _, err := bc.GetProperties(ctx, nil); err == nil {
		return nil
	} else if !isNotFound(err) {
		return datastore.ScrubError(fmt.Errorf("extstore: check %s: %w", p.claim, err))
	}
	_, err := bc.UploadBuffer(ctx, p.data, &blockblob.UploadBufferOptions{
		BlockSize:        uploadBlock,
		Concurrency:      1,
		HTTPHeaders:      &blob.HTTPHeaders{BlobContentType: to.Ptr(contentType)},
		AccessConditions: &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: to.Ptr(azcore.ETagAny)}},
	})
	if err != nil && !bloberror.HasCode(err, bloberror.BlobAlreadyExists, bloberror.ConditionNotMet) {
		return datastore.ScrubError(fmt.Errorf("extstore: upload %s (%d bytes): %w", p.claim, len(p.data), err))
	}
	return nil
}

// Retrieve downloads the claimed blobs, at most MaxConcurrency at a time,
// checks each against its claim's digest and returns the payloads in claim
// order. A missing blob is an error wrapping ErrNotFound, a corrupted one
// an error wrapping ErrDigestMismatch; both name the blob.
func (d *Driver) Retrieve(ctx converter.StorageDriverRetrieveContext, claims []converter.StorageDriverClaim) ([]*commonpb.Payload, error) {
	parsed := make([]Claim, len(claims))
	for i, c := range claims {
		var err error
		if parsed[i], err = ParseClaim(c.ClaimData); err != nil {
			return nil, err
		}
	}
	out := make([]*commonpb.Payload, len(claims))
	limiter := ctx.GetLimiter()
	g, gctx := errgroup.WithContext(ctx.Context)
	g.SetLimit(d.concurrency)
	for i := range parsed {
		g.Go(func() error {
			return limiter.Permit(gctx, claims[i], func() error {
				p, err := d.download(gctx, parsed[i])
				out[i] = p
				return err
			})
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// download reads the claimed blob, never more than the claim's size (or
// MaxPayloadSize when the claim has none).
func (d *Driver) download(ctx context.Context, c Claim) (*commonpb.Payload, error) {
	limit := int64(d.maxSize)
	if c.Size > 0 && c.Size < limit {
		limit = c.Size
	}
	resp, err := d.blob(c.Container, c.Blob).DownloadStream(ctx, nil)
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("extstore: retrieve %s: %w (deleted, or stored through another storage account?)", c, ErrNotFound)
		}
		return nil, datastore.ScrubError(fmt.Errorf("extstore: retrieve %s: %w", c, err))
	}
	body := resp.NewRetryReader(ctx, &blob.RetryReaderOptions{MaxRetries: readRetries})
	defer body.Close()
	if resp.ContentLength != nil && *resp.ContentLength > limit {
		return nil, fmt.Errorf("extstore: retrieve %s: %w: blob is %d bytes, over the %d the claim allows", c, ErrTooLarge, *resp.ContentLength, limit)
	}
	var buf bytes.Buffer
	if resp.ContentLength != nil && *resp.ContentLength > 0 {
		buf.Grow(int(*resp.ContentLength))
	}
	n, err := io.Copy(&buf, io.LimitReader(body, limit+1))
	if err != nil {
		return nil, datastore.ScrubError(fmt.Errorf("extstore: retrieve %s: read: %w", c, err))
	}
	if n > limit {
		return nil, fmt.Errorf("extstore: retrieve %s: %w: blob is over the %d bytes the claim allows", c, ErrTooLarge, limit)
	}
	return decodeBlob(c, buf.Bytes())
}

// decodeBlob checks data against c's digest and decodes the payload. The
// error names the claim's digest only, never the content's: that would be
// the digest of a blob the caller may not know.
func decodeBlob(c Claim, data []byte) (*commonpb.Payload, error) {
	if got := Digest(data); got != c.Digest {
		return nil, fmt.Errorf("extstore: retrieve %s: %w: the content does not hash to the claim's sha256", c, ErrDigestMismatch)
	}
	var p commonpb.Payload
	if err := proto.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("extstore: retrieve %s: decode payload: %w", c, err)
	}
	return &p, nil
}

func (d *Driver) blob(container, name string) *blockblob.Client {
	return d.client.ServiceClient().NewContainerClient(container).NewBlockBlobClient(name)
}

// ensureContainer creates the container once per driver; a failure is
// retried by the next Store.
func (d *Driver) ensureContainer(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ready {
		return nil
	}
	_, err := d.client.CreateContainer(ctx, d.container, nil)
	if err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return datastore.ScrubError(fmt.Errorf("extstore: create container %q: %w", d.container, err))
	}
	d.ready = true
	return nil
}

func isNotFound(err error) bool {
	if bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound, bloberror.ResourceNotFound) {
		return true
	}
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusNotFound
}
