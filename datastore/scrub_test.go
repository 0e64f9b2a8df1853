package datastore_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

const fakeSig = "S3cretSignatureValue0123456789abcdef%3D"

func TestScrub(t *testing.T) {
	for in, want := range map[string]string{
		`Get "http://127.0.0.1:1/acct/c/b?sv=2020&sig=abc%3D&se=x": dial tcp: refused`: `Get "http://127.0.0.1:1/acct/c/b?REDACTED": dial tcp: refused`,
		"PUT https://a.blob.core/c/b?comp=block&sig=zz done":                           "PUT https://a.blob.core/c/b?REDACTED done",
		"SharedAccessSignature=sv=1&sig=abc;AccountKey=k==;BlobEndpoint=x":             "SharedAccessSignature=REDACTED;AccountKey=REDACTED;BlobEndpoint=x",
		"token sig%3Dabc%26se":    "token sig%3DREDACTED",
		"azblob://c/b: not found": "azblob://c/b: not found",
	} {
		assert.Equal(t, want, datastore.Scrub(in), in)
	}
}

// sasConnectionString returns a SAS connection string for the blob
// endpoint base (http://host:port/account) with the given query.
func sasConnectionString(base, query string) string {
	return "BlobEndpoint=" + base + ";SharedAccessSignature=" + query
}

func assertNoSig(t *testing.T, err error, secret string) {
	t.Helper()
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "sig=")
	assert.NotContains(t, err.Error(), secret)
	var ue *url.Error
	if errors.As(err, &ue) {
		assert.NotContains(t, ue.Error(), secret, "the url.Error in the chain is scrubbed too")
	}
}

// TestSASNeverInErrors: with a SAS connection string and storage that does
// not answer (a closed port), no error of any operation carries the
// signature, though the transport's error quotes the request URL.
func TestSASNeverInErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	cs := sasConnectionString("http://"+addr+"/devstoreaccount1",
		"sv=2021-08-06&ss=b&srt=sco&sp=rwdlac&se=2099-01-01T00:00:00Z&spr=https,http&sig="+fakeSig)
	s, err := datastore.NewAzureBlob(datastore.AzureOptions{ConnectionString: cs, ClientOptions: &azblob.ClientOptions{
		ClientOptions: policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1, TryTimeout: 5 * time.Second}}}})
	require.NoError(t, err)
	ctx := context.Background()

	_, _, err = s.Read(ctx, "data", "iris.csv")
	assertNoSig(t, err, "S3cretSignature")
	assert.Contains(t, err.Error(), "azblob://data/iris.csv", "the error still names the blob")
	_, err = s.Stat(ctx, "data", "iris.csv")
	assertNoSig(t, err, "S3cretSignature")
	_, err = s.Write(ctx, "data", "iris.csv", strings.NewReader("x"), datastore.WriteOptions{})
	assertNoSig(t, err, "S3cretSignature")
	_, err = s.List(ctx, "data", "")
	assertNoSig(t, err, "S3cretSignature")
	err = s.Delete(ctx, "data", "iris.csv")
	assertNoSig(t, err, "S3cretSignature")
	// Through a Resolver, as steps see it.
	_, _, err = datastore.Resolver{Blob: s}.Read(ctx, datastore.Ref{Scheme: "azblob", Container: "data", Path: "x"})
	assertNoSig(t, err, "S3cretSignature")
}

// TestSASErrorsStayInspectable: through Azurite with a real SAS, a missing
// blob is still ErrNotFound and BlobNotFound, and a bad signature's 403 is
// still AuthenticationFailed, with no signature in either text.
func TestSASErrorsStayInspectable(t *testing.T) {
	ctx := context.Background()
	admin, err := azureOptions().NewClient()
	require.NoError(t, err)
	sasURL, err := admin.ServiceClient().GetSASURL(sas.AccountResourceTypes{Service: true, Container: true, Object: true},
		sas.AccountPermissions{Read: true, Write: true, Delete: true, List: true, Add: true, Create: true}, time.Now().Add(time.Hour), nil)
	require.NoError(t, err)
	u, err := url.Parse(sasURL)
	require.NoError(t, err)
	query := u.RawQuery
	sig := u.Query().Get("sig")
	require.NotEmpty(t, sig)
	base := u.Scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/")

	s, err := datastore.NewAzureBlob(datastore.AzureOptions{ConnectionString: sasConnectionString(base, query)})
	require.NoError(t, err)
	c := newContainer()
	_, err = s.Write(ctx, c, "a.txt", strings.NewReader("a"), datastore.WriteOptions{})
	require.NoError(t, err, "the SAS works")

	_, _, err = s.Read(ctx, c, "missing.txt")
	assert.ErrorIs(t, err, datastore.ErrNotFound)
	assert.True(t, bloberror.HasCode(err, bloberror.BlobNotFound), "%v", err)
	assertNoSig(t, err, sig)
	_, err = s.Write(ctx, c, "a.txt", strings.NewReader("b"), datastore.WriteOptions{IfNoneMatch: true})
	assert.ErrorIs(t, err, datastore.ErrPreconditionFailed)
	assertNoSig(t, err, sig)

	// A forged signature: Azurite answers 403.
	forged := strings.Replace(query, "sig="+url.QueryEscape(sig), "sig="+fakeSig, 1)
	require.NotEqual(t, query, forged)
	bad, err := datastore.NewAzureBlob(datastore.AzureOptions{ConnectionString: sasConnectionString(base, forged)})
	require.NoError(t, err)
	_, _, err = bad.Read(ctx, c, "a.txt")
	require.Error(t, err)
	assertNoSig(t, err, "S3cretSignature")
	var re *azcore.ResponseError
	require.True(t, errors.As(err, &re), "the Azure error stays in the chain: %v", err)
	assert.Equal(t, 403, re.StatusCode)
	assert.NotErrorIs(t, err, datastore.ErrNotFound)
}
