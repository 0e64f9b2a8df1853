package extstore

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

const testToken = "0123456789abcdef-token"

func do(t *testing.T, method, url, auth, origin, ctype string, body []byte) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func payloadsJSON(t *testing.T, ps ...*commonpb.Payload) []byte {
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	require.NoError(t, err)
	return b
}

// editClaim rewrites the claim data inside a storage-reference payload.
func editClaim(t *testing.T, ref *commonpb.Payload, edit func(map[string]any)) *commonpb.Payload {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(ref.Data, &m))
	var walk func(v any) bool
	walk = func(v any) bool {
		mm, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if cd, ok := mm["claimData"].(map[string]any); ok {
			edit(cd)
			return true
		}
		for _, x := range mm {
			if walk(x) {
				return true
			}
		}
		return false
	}
	require.True(t, walk(m), "no claimData in %s", ref.Data)
	out := proto.Clone(ref).(*commonpb.Payload)
	out.Data, _ = json.Marshal(m)
	return out
}

// TestCodecServerHardening: the token, CORS without echoed origins plus
// credentials, refused foreign origins and content types, the body cap,
// and only the configured container and prefix's content-addressed claims,
// read no further than their size, with no other blob's digest in errors.
func TestCodecServerHardening(t *testing.T) {
	es, err := ExternalStorage(Config{Enabled: true, Threshold: 1024, Container: "codec-guard", Prefix: "pfx"}, azureOptions())
	require.NoError(t, err)
	h, err := NewCodecHandlerWithOptions(es, CodecOptions{Origins: []string{"http://localhost:8233"}, Token: testToken, MaxRequestBytes: 64 << 10})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	bearer := "Bearer " + testToken
	big := payload(1, 4096)
	body := payloadsJSON(t, big)

	// Token.
	for _, auth := range []string{"", "Bearer wrong-token-0123456789", "Basic " + testToken, testToken} {
		resp, _ := do(t, http.MethodPost, srv.URL+"/encode", auth, "", "application/json", body)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "auth %q", auth)
	}
	resp, out := do(t, http.MethodPost, srv.URL+"/encode", bearer, "", "application/json", body)
	require.Equal(t, http.StatusOK, resp.StatusCode, out)
	var enc commonpb.Payloads
	require.NoError(t, protojson.Unmarshal([]byte(out), &enc))
	ref := enc.Payloads[0]
	assert.Contains(t, string(ref.Data), `"size"`, "new claims record their size")

	// The preflight needs no token; a listed origin is echoed with
	// credentials, another origin is refused.
	resp, _ = do(t, http.MethodOptions, srv.URL+"/decode", "", "http://localhost:8233", "", nil)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "http://localhost:8233", resp.Header.Get("Access-Control-Allow-Origin"))
	resp, _ = do(t, http.MethodPost, srv.URL+"/decode", bearer, "http://evil.example", "application/json", payloadsJSON(t, ref))
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))

	// Only JSON, only POST, at most MaxRequestBytes.
	resp, _ = do(t, http.MethodPost, srv.URL+"/decode", bearer, "", "text/plain", payloadsJSON(t, ref))
	assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	resp, _ = do(t, http.MethodGet, srv.URL+"/decode", bearer, "", "", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	resp, _ = do(t, http.MethodPost, srv.URL+"/encode", bearer, "", "application/json", payloadsJSON(t, payload(2, 100<<10)))
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)

	decode := func(p *commonpb.Payload) (int, string) {
		resp, out := do(t, http.MethodPost, srv.URL+"/decode", bearer, "", "application/json", payloadsJSON(t, p))
		return resp.StatusCode, out
	}
	code, out := decode(ref)
	require.Equal(t, http.StatusOK, code, out)
	var dec commonpb.Payloads
	require.NoError(t, protojson.Unmarshal([]byte(out), &dec))
	assert.True(t, proto.Equal(big, dec.Payloads[0]))

	// Another container, prefix, or blob name than sha256/<digest> is
	// refused, even when the blob there matches the digest.
	d := es.Drivers[0].(*Driver)
	data, _ := proto.MarshalOptions{Deterministic: true}.Marshal(big)
	digest := Digest(data)
	other := newDriver(t, Options{Prefix: "pfx"})
	_, err = other.Store(storeCtx(), []*commonpb.Payload{big})
	require.NoError(t, err)
	for name, edit := range map[string]func(map[string]any){
		"container": func(c map[string]any) { c[ClaimContainer] = other.Container() },
		"prefix":    func(c map[string]any) { c[ClaimBlob] = "other/sha256/" + digest },
		"no prefix": func(c map[string]any) { c[ClaimBlob] = "sha256/" + digest },
		"name":      func(c map[string]any) { c[ClaimBlob] = "pfx/secret.bin" },
	} {
		code, out := decode(editClaim(t, ref, edit))
		assert.Equal(t, http.StatusBadRequest, code, name)
		assert.NotContains(t, out, "4096", name)
		assert.NotContains(t, out, `"data"`, name)
	}

	// A claim smaller than the blob reads no further than it says.
	code, out = decode(editClaim(t, ref, func(c map[string]any) { c[ClaimSize] = "100" }))
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, out, ErrTooLarge.Error())

	// A blob whose content is not the claim's: the error names only the
	// claim's digest, never the stored content's.
	planted, _ := proto.Marshal(payload(9, 4096))
	_, err = d.client.UploadBuffer(context.Background(), d.Container(), d.BlobName(digest), planted, nil)
	require.NoError(t, err)
	code, out = decode(ref)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, out, ErrDigestMismatch.Error())
	assert.NotContains(t, out, Digest(planted))
}

// TestCodecCORSWildcard: "*" answers Access-Control-Allow-Origin: *
// without credentials, never the caller's origin with credentials.
func TestCodecCORSWildcard(t *testing.T) {
	h, err := NewCodecHandler(converter.ExternalStorage{}, "*")
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, out := do(t, http.MethodPost, srv.URL+"/decode", "", "http://evil.example", "application/json", payloadsJSON(t, payload(1, 10)))
	require.Equal(t, http.StatusOK, resp.StatusCode, out)
	assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Credentials"))
}

func TestCheckListen(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8081", "localhost:8081", "[::1]:8081", "127.0.0.2:1"} {
		assert.NoError(t, CheckListen(addr, ""), addr)
	}
	for _, addr := range []string{"0.0.0.0:8081", ":8081", "[::]:8081", "10.0.0.5:8081", "codec.example:8081"} {
		assert.Error(t, CheckListen(addr, ""), addr)
		assert.NoError(t, CheckListen(addr, testToken), addr)
	}
	assert.Error(t, CheckListen("0.0.0.0:8081", "short"), "a short token is no token")
	assert.Error(t, CheckListen("nonsense", testToken))
	_, err := NewCodecHandlerWithOptions(converter.ExternalStorage{}, CodecOptions{Token: "short"})
	assert.Error(t, err)
}

func TestCodecTokenFromEnv(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	require.NoError(t, os.WriteFile(file, []byte(testToken+"\n"), 0o600))
	t.Setenv(EnvCodecToken, "")
	t.Setenv(EnvCodecTokenFile, file)
	tok, err := CodecTokenFromEnv()
	require.NoError(t, err)
	assert.Equal(t, testToken, tok)
	t.Setenv(EnvCodecToken, testToken)
	_, err = CodecTokenFromEnv()
	assert.Error(t, err, "both set")
	t.Setenv(EnvCodecTokenFile, "")
	tok, err = CodecTokenFromEnv()
	require.NoError(t, err)
	assert.Equal(t, testToken, tok)
	t.Setenv(EnvCodecToken, "")
	tok, err = CodecTokenFromEnv()
	require.NoError(t, err)
	assert.Empty(t, tok)
}

func TestNewCodecServerTimeouts(t *testing.T) {
	s := NewCodecServer("127.0.0.1:0", http.NotFoundHandler())
	assert.NotZero(t, s.ReadHeaderTimeout)
	assert.NotZero(t, s.ReadTimeout)
	assert.NotZero(t, s.WriteTimeout)
	assert.NotZero(t, s.IdleTimeout)
	assert.NotZero(t, s.MaxHeaderBytes)
}

// TestDriverSASNeverInErrors: with a SAS connection string and storage that
// does not answer, the driver's errors carry no signature.
func TestDriverSASNeverInErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	cs := "BlobEndpoint=http://" + addr + "/devstoreaccount1;SharedAccessSignature=sv=2021-08-06&ss=b&srt=sco&sp=rwdlac&se=2099-01-01T00:00:00Z&sig=S3cretSignatureValue%3D"
	d, err := NewAzureBlobDriver(Options{Azure: datastore.AzureOptions{ConnectionString: cs, ClientOptions: &azblob.ClientOptions{
		ClientOptions: policy.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1, TryTimeout: 5 * time.Second}}}}})
	require.NoError(t, err)
	_, err = d.Store(storeCtx(), []*commonpb.Payload{payload(1, 10)})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "S3cretSignature")
	d.ready = true // past the container creation, to the blob check and upload
	_, err = d.Store(storeCtx(), []*commonpb.Payload{payload(1, 10)})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "S3cretSignature")
	digest := Digest([]byte("x"))
	_, err = d.Retrieve(retrieveCtx(), []converter.StorageDriverClaim{{ClaimData: Claim{Container: "c1c", Blob: "sha256/" + digest, Digest: digest}.ClaimData()}})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "S3cretSignature")
	assert.False(t, strings.Contains(err.Error(), "sig="), err.Error())
}
