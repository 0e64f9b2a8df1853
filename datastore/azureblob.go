package datastore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
)

// DevelopmentConnectionString is the connection string of Azurite's
// development account on its default endpoint, 127.0.0.1:10000.
var DevelopmentConnectionString = AzuriteConnectionString("127.0.0.1:10000")

// AzuriteConnectionString returns the connection string of Azurite's
// development account with its blob service on hostPort. The account key
// is the emulator's public, well-known key, valid only against Azurite.
func AzuriteConnectionString(hostPort string) string {
	return "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
		"AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
		"BlobEndpoint=http://" + hostPort + "/devstoreaccount1;"
}

// Upload tuning: block size and parallel blocks per UploadStream. Memory
// held by one Write is at most uploadBlockSize*uploadConcurrency.
const (
	uploadBlockSize   = 4 << 20
	uploadConcurrency = 3
	readRetries       = 3
)

// AzureOptions configure NewAzureBlob. Set either ConnectionString or
// AccountURL; with neither, Azurite's development account is used.
type AzureOptions struct {
	// ConnectionString is an account connection string; the short form
	// "UseDevelopmentStorage=true" means Azurite on 127.0.0.1:10000.
	ConnectionString string
	// AccountURL is the blob service URL, e.g. https://<account>.blob.<suffix>/.
	AccountURL string
	// Credential authenticates AccountURL; nil means azidentity's
	// DefaultAzureCredential.
	Credential azcore.TokenCredential
	// ClientOptions are passed to the azblob client (retries, transport).
	ClientOptions *azblob.ClientOptions
}

// AzureBlob is a Store on Azure Blob storage (or Azurite).
type AzureBlob struct {
	client *azblob.Client
	// ready remembers containers known to exist, so Write creates each
	// container at most once per process before streaming into it.
	ready sync.Map
}

// NewAzureBlob builds an AzureBlob from opts.
func NewAzureBlob(opts AzureOptions) (*AzureBlob, error) {
	c, err := opts.NewClient()
	if err != nil {
		return nil, err
	}
	return &AzureBlob{client: c}, nil
}

// NewClient builds the blob service client opts describe: an account URL
// with a token credential (DefaultAzureCredential when none is given),
// else a connection string, else Azurite's development account. Other
// users of the same storage account (the external payload storage) build
// their clients here too.
func (opts AzureOptions) NewClient() (*azblob.Client, error) {
	if opts.AccountURL != "" {
		cred := opts.Credential
		if cred == nil {
			var err error
			if cred, err = azidentity.NewDefaultAzureCredential(nil); err != nil {
				return nil, ScrubError(fmt.Errorf("datastore: azure credential for %s: %w", opts.AccountURL, err))
			}
		}
		c, err := azblob.NewClient(opts.AccountURL, cred, opts.ClientOptions)
		if err != nil {
			return nil, ScrubError(fmt.Errorf("datastore: azure blob client for %s: %w", opts.AccountURL, err))
		}
		return c, nil
	}
	cs := opts.ConnectionString
	if cs == "" || strings.EqualFold(strings.TrimRight(strings.TrimSpace(cs), ";"), "UseDevelopmentStorage=true") {
		cs = DevelopmentConnectionString
	}
	c, err := azblob.NewClientFromConnectionString(cs, opts.ClientOptions)
	if err != nil {
		// The error may quote the connection string; keep it out.
		return nil, errors.New("datastore: azure blob client: invalid connection string")
	}
	return c, nil
}

func (a *AzureBlob) blob(containerName, name string) *blockblob.Client {
	return a.client.ServiceClient().NewContainerClient(containerName).NewBlockBlobClient(name)
}

// Read streams a blob through a retry reader that resumes the download
// where it broke off.
func (a *AzureBlob) Read(ctx context.Context, containerName, name string) (io.ReadCloser, Info, error) {
	resp, err := a.blob(containerName, name).DownloadStream(ctx, nil)
	if err != nil {
		return nil, Info{}, azErr("read", containerName, name, err)
	}
	info := Info{Name: name, ETag: etagOf(resp.ETag), ContentType: deref(resp.ContentType),
		Metadata: metadataOf(resp.Metadata), LastModified: derefTime(resp.LastModified)}
	if resp.ContentLength != nil {
		info.Size = *resp.ContentLength
	}
	return scrubReader{resp.NewRetryReader(ctx, &blob.RetryReaderOptions{MaxRetries: readRetries})}, info, nil
}

// Write stores r as a block blob. A body of up to one block goes in one
// Put Blob request; a larger one is streamed block by block, never holding
// more than a few blocks in memory. Create-only and if-match are sent as
// If-None-Match: * and If-Match access conditions, so Azure decides them
// atomically.
func (a *AzureBlob) Write(ctx context.Context, containerName, name string, r io.Reader, opts WriteOptions) (ETag, error) {
	if err := checkMetadata(opts.Metadata); err != nil {
		return "", fmt.Errorf("datastore: write azblob://%s/%s: %w", containerName, name, err)
	}
	if err := a.ensureContainer(ctx, containerName); err != nil {
		return "", err
	}
	head, err := io.ReadAll(io.LimitReader(r, uploadBlockSize+1))
	if err != nil {
		return "", fmt.Errorf("datastore: write azblob://%s/%s: read body: %w", containerName, name, err)
	}
	var headers *blob.HTTPHeaders
	if opts.ContentType != "" {
		headers = &blob.HTTPHeaders{BlobContentType: &opts.ContentType}
	}
	var etag *azcore.ETag
	if len(head) <= uploadBlockSize {
		var resp blockblob.UploadResponse
		resp, err = a.blob(containerName, name).Upload(ctx, streaming.NopCloser(bytes.NewReader(head)), &blockblob.UploadOptions{
			HTTPHeaders: headers, Metadata: toAzureMetadata(opts.Metadata), AccessConditions: accessConditions(opts)})
		etag = resp.ETag
	} else {
		var resp blockblob.UploadStreamResponse
		resp, err = a.blob(containerName, name).UploadStream(ctx, io.MultiReader(bytes.NewReader(head), r), &blockblob.UploadStreamOptions{
			BlockSize: uploadBlockSize, Concurrency: uploadConcurrency,
			HTTPHeaders: headers, Metadata: toAzureMetadata(opts.Metadata), AccessConditions: accessConditions(opts)})
		etag = resp.ETag
	}
	if err != nil {
		if bloberror.HasCode(err, bloberror.ContainerNotFound) {
			a.ready.Delete(containerName) // deleted behind our back: recreate next time
		}
		return "", azErr("write", containerName, name, err)
	}
	return etagOf(etag), nil
}

func (a *AzureBlob) ensureContainer(ctx context.Context, containerName string) error {
	if _, ok := a.ready.Load(containerName); ok {
		return nil
	}
	_, err := a.client.CreateContainer(ctx, containerName, nil)
	if err != nil && !bloberror.HasCode(err, bloberror.ContainerAlreadyExists) {
		return azErr("create container", containerName, "", err)
	}
	a.ready.Store(containerName, true)
	return nil
}

func accessConditions(opts WriteOptions) *blob.AccessConditions {
	mac := &blob.ModifiedAccessConditions{}
	switch {
	case opts.IfNoneMatch:
		any := azcore.ETagAny
		mac.IfNoneMatch = &any
	case opts.IfMatch != "":
		e := azcore.ETag(opts.IfMatch)
		mac.IfMatch = &e
	default:
		return nil
	}
	return &blob.AccessConditions{ModifiedAccessConditions: mac}
}

// Stat returns a blob's properties and metadata.
func (a *AzureBlob) Stat(ctx context.Context, containerName, name string) (Info, error) {
	p, err := a.blob(containerName, name).GetProperties(ctx, nil)
	if err != nil {
		return Info{}, azErr("stat", containerName, name, err)
	}
	info := Info{Name: name, ETag: etagOf(p.ETag), ContentType: deref(p.ContentType),
		Metadata: metadataOf(p.Metadata), LastModified: derefTime(p.LastModified)}
	if p.ContentLength != nil {
		info.Size = *p.ContentLength
	}
	return info, nil
}

// List pages through the blobs under prefix with their metadata.
func (a *AzureBlob) List(ctx context.Context, containerName, prefix string) ([]Info, error) {
	opts := &container.ListBlobsFlatOptions{Include: container.ListBlobsInclude{Metadata: true}}
	if prefix != "" {
		opts.Prefix = &prefix
	}
	pager := a.client.NewListBlobsFlatPager(containerName, opts)
	var out []Info
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if bloberror.HasCode(err, bloberror.ContainerNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, azErr("list", containerName, prefix+"*", err)
		}
		for _, it := range page.Segment.BlobItems {
			info := Info{Name: deref(it.Name), Metadata: metadataOf(it.Metadata)}
			if p := it.Properties; p != nil {
				info.ETag = etagOf(p.ETag)
				info.ContentType = deref(p.ContentType)
				info.LastModified = derefTime(p.LastModified)
				if p.ContentLength != nil {
					info.Size = *p.ContentLength
				}
			}
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Delete removes a blob and its snapshots.
func (a *AzureBlob) Delete(ctx context.Context, containerName, name string) error {
	inc := blob.DeleteSnapshotsOptionTypeInclude
	_, err := a.blob(containerName, name).Delete(ctx, &blob.DeleteOptions{DeleteSnapshots: &inc})
	if err != nil {
		return azErr("delete", containerName, name, err)
	}
	return nil
}

// azErr maps Azure error codes onto the package sentinels and names the
// blob. Other errors (network, 5xx, throttling) are wrapped as they are,
// so callers treat them as transient. Every message is scrubbed of the
// request's query string (a SAS token's sig=…), while the chain keeps the
// original error: errors.Is finds the sentinels, bloberror.HasCode the
// Azure code.
func azErr(op, containerName, name string, err error) error {
	where := "azblob://" + containerName + "/" + name
	var sentinel error
	var re *azcore.ResponseError
	switch {
	case bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound):
		sentinel = ErrNotFound
	case bloberror.HasCode(err, bloberror.ConditionNotMet, bloberror.BlobAlreadyExists):
		sentinel = ErrPreconditionFailed
	case errors.As(err, &re):
		switch re.StatusCode {
		case http.StatusNotFound:
			sentinel = ErrNotFound
		case http.StatusPreconditionFailed:
			sentinel = ErrPreconditionFailed
		default:
			return wrapScrubbed(fmt.Sprintf("datastore: %s %s: %s %d %s", op, where, re.ErrorCode, re.StatusCode, http.StatusText(re.StatusCode)), err)
		}
	}
	if sentinel != nil {
		return wrapScrubbed(fmt.Sprintf("datastore: %s %s: %v", op, where, sentinel), sentinel, err)
	}
	return wrapScrubbed(fmt.Sprintf("datastore: %s %s: %v", op, where, err), err)
}
