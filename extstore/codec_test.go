package extstore

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func post(t *testing.T, url string, in []*commonpb.Payload) []*commonpb.Payload {
	t.Helper()
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: in})
	require.NoError(t, err)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Namespace", "default")
	req.Header.Set("Origin", "http://localhost:8233")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	assert.Equal(t, "http://localhost:8233", resp.Header.Get("Access-Control-Allow-Origin"))
	var out commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(b, &out))
	return out.Payloads
}

// TestCodecHandler: /encode offloads a large payload to a claim, /decode
// (what the Web UI calls) turns the claim back into the payload, small
// payloads pass through, and the Web UI's origin passes CORS.
func TestCodecHandler(t *testing.T) {
	es, err := ExternalStorage(Config{Enabled: true, Threshold: 1024, Container: "codec-test"}, azureOptions())
	require.NoError(t, err)
	h, err := NewCodecHandler(es, "http://localhost:8233")
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	big, small := payload(1, 4096), payload(2, 10)
	enc := post(t, srv.URL+"/encode", []*commonpb.Payload{big, small})
	require.Len(t, enc, 2)
	assert.Equal(t, "json/protobuf", string(enc[0].Metadata["encoding"]), "the large payload is a storage reference")
	assert.Contains(t, string(enc[0].Data), `"driverName":"azblob"`)
	assert.Less(t, proto.Size(enc[0]), 1024)
	assert.True(t, proto.Equal(small, enc[1]))

	dec := post(t, srv.URL+"/decode", enc)
	require.Len(t, dec, 2)
	assert.True(t, proto.Equal(big, dec[0]), "the Web UI sees the offloaded payload")
	assert.True(t, proto.Equal(small, dec[1]))

	kept := post(t, srv.URL+"/decode?preserveStorageRefs=true", enc)
	assert.True(t, proto.Equal(enc[0], kept[0]))

	// The browser's preflight.
	req, _ := http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
	req.Header.Set("Origin", "http://localhost:8233")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "http://localhost:8233", resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), "X-Namespace")
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")

	// Another origin gets no CORS grant.
	req, _ = http.NewRequest(http.MethodOptions, srv.URL+"/decode", nil)
	req.Header.Set("Origin", "http://evil.example")
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))
}

func TestCodecHandlerWithoutStorage(t *testing.T) {
	h, err := NewCodecHandler(converter.ExternalStorage{}, "http://localhost:8233")
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	p := payload(1, 4096)
	out := post(t, srv.URL+"/decode", []*commonpb.Payload{p})
	assert.True(t, proto.Equal(p, out[0]))
}
