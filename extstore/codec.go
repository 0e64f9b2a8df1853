package extstore

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// Codec server settings: the token variables CodecTokenFromEnv reads, and
// the defaults of CodecOptions and NewCodecServer.
const (
	// EnvCodecToken is the codec server's bearer token.
	EnvCodecToken = "PIPELINE_CODEC_TOKEN"
	// EnvCodecTokenFile names a file holding the token (preferred: a
	// variable shows in the process environment).
	EnvCodecTokenFile = "PIPELINE_CODEC_TOKEN_FILE"
	// MinTokenLength is the shortest token accepted.
	MinTokenLength = 16
	// DefaultMaxRequestBytes caps a request body: a batch of payloads of
	// up to 2 MiB each, as the Temporal server allows.
	DefaultMaxRequestBytes = 8 << 20

	codecReadHeaderTimeout = 10 * time.Second
	codecReadTimeout       = 30 * time.Second
	codecWriteTimeout      = 2 * time.Minute
	codecIdleTimeout       = 2 * time.Minute
	codecMaxHeaderBytes    = 64 << 10
	maxTokenFile           = 4 << 10
)

// CodecOptions configure NewCodecHandlerWithOptions.
type CodecOptions struct {
	// Origins are the browser origins (the Web UI's, e.g.
	// http://localhost:8233) CORS lets call the server, with credentials.
	// "*" lets any origin call it, without credentials
	// (Access-Control-Allow-Origin: *, never an echoed origin). A request
	// from a browser origin not listed is refused (403).
	Origins []string
	// Token, when set, is required on every request but the CORS preflight
	// as "Authorization: Bearer <Token>" (the temporal CLI's
	// --codec-auth). At least MinTokenLength characters. See
	// CodecTokenFromEnv and CheckListen.
	Token string
	// MaxRequestBytes caps a request body; default DefaultMaxRequestBytes.
	MaxRequestBytes int64
}

// NewCodecHandler is NewCodecHandlerWithOptions with only origins set (no
// token: listen on loopback only, see CheckListen).
func NewCodecHandler(es converter.ExternalStorage, allowedOrigins ...string) (http.Handler, error) {
	return NewCodecHandlerWithOptions(es, CodecOptions{Origins: allowedOrigins})
}

// NewCodecHandlerWithOptions returns the HTTP handler of a codec server for
// the Temporal Web UI and CLI: POST /decode replaces external-storage
// claims with the payloads they name (the SDK's
// converter.NewPayloadHTTPHandler on es), POST /encode offloads as a client
// would, and POST /download resolves claims only.
//
// It accepts only claims of this project's drivers in es for their own
// container and prefix, whose blob name is <prefix>/sha256/<the claim's
// digest>, and reads no more of a blob than the claim's size. Requests
// must be POSTs of application/json (so a browser on another origin
// cannot send one without a preflight), of at most MaxRequestBytes, with
// the token when one is set; browser origins other than Origins are
// refused.
func NewCodecHandlerWithOptions(es converter.ExternalStorage, opts CodecOptions) (http.Handler, error) {
	if opts.Token != "" {
		if err := ValidateToken(opts.Token); err != nil {
			return nil, err
		}
	}
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = DefaultMaxRequestBytes
	}
	h, err := converter.NewPayloadHTTPHandler(converter.PayloadHTTPHandlerOptions{ExternalStorage: guardClaims(es)})
	if err != nil {
		return nil, err
	}
	origins := make([]string, 0, len(opts.Origins))
	for _, o := range opts.Origins {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			origins = append(origins, o)
		}
	}
	return &codecHandler{next: h, origins: origins, token: opts.Token, maxBody: opts.MaxRequestBytes}, nil
}

type codecHandler struct {
	next    http.Handler
	origins []string
	token   string
	maxBody int64
}

func (c *codecHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Add("Vary", "Origin")
	if origin := r.Header.Get("Origin"); origin != "" {
		switch {
		case slices.Contains(c.origins, origin):
			hd.Set("Access-Control-Allow-Origin", origin)
			hd.Set("Access-Control-Allow-Credentials", "true")
		case slices.Contains(c.origins, "*"):
			// Any origin, but never with credentials.
			hd.Set("Access-Control-Allow-Origin", "*")
		default:
			http.Error(w, "origin not allowed", http.StatusForbidden)
			return
		}
		hd.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		hd.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
		hd.Set("Access-Control-Max-Age", "600")
	}
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if c.token != "" && !bearerMatches(r.Header.Get("Authorization"), c.token) {
		hd.Set("WWW-Authenticate", `Bearer realm="codec"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		http.Error(w, "want Content-Type: application/json", http.StatusUnsupportedMediaType)
		return
	}
	if r.ContentLength > c.maxBody {
		http.Error(w, fmt.Sprintf("request body over %d bytes", c.maxBody), http.StatusRequestEntityTooLarge)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, c.maxBody)
	c.next.ServeHTTP(w, r)
}

func bearerMatches(header, token string) bool {
	const prefix = "Bearer "
	if len(header) < len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(header[len(prefix):])), []byte(token)) == 1
}

// ValidateToken checks a codec server token: at least MinTokenLength
// printable ASCII characters without spaces.
func ValidateToken(token string) error {
	if len(token) < MinTokenLength {
		return fmt.Errorf("extstore: codec token is %d characters, want at least %d", len(token), MinTokenLength)
	}
	for _, c := range token {
		if c <= ' ' || c > '~' {
			return errors.New("extstore: codec token: want printable ASCII without spaces")
		}
	}
	return nil
}

// CodecTokenFromEnv returns the codec server token: the content of the
// file PIPELINE_CODEC_TOKEN_FILE names (surrounding space trimmed), else
// PIPELINE_CODEC_TOKEN, else "" (no token). Setting both is an error.
func CodecTokenFromEnv() (string, error) {
	file, v := os.Getenv(EnvCodecTokenFile), os.Getenv(EnvCodecToken)
	switch {
	case file != "" && v != "":
		return "", fmt.Errorf("extstore: set %s or %s, not both", EnvCodecTokenFile, EnvCodecToken)
	case file != "":
		return ReadTokenFile(file)
	case v != "":
		return v, ValidateToken(v)
	}
	return "", nil
}

// ReadTokenFile reads a codec token from a file (at most 4 KiB, space
// trimmed) and validates it.
func ReadTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("extstore: codec token file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return "", fmt.Errorf("extstore: codec token file: %w", err)
	}
	if len(b) > maxTokenFile {
		return "", fmt.Errorf("extstore: codec token file %s: over %d bytes", path, maxTokenFile)
	}
	tok := strings.TrimSpace(string(b))
	if err := ValidateToken(tok); err != nil {
		return "", fmt.Errorf("%w (in %s)", err, path)
	}
	return tok, nil
}

// CheckListen refuses to serve addr (host:port) beyond loopback without a
// token: an empty host (every interface), a hostname other than localhost,
// or a non-loopback IP needs one. Call it before net.Listen.
func CheckListen(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("extstore: codec server address %q: %w", addr, err)
	}
	if token != "" {
		return ValidateToken(token)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil && ip.IsLoopback() {
		return nil
	}
	if host == "" {
		host = "every interface"
	}
	return fmt.Errorf("extstore: the codec server listens on %s, beyond loopback, only with a token (%s or %s)", host, EnvCodecTokenFile, EnvCodecToken)
}

// NewCodecServer returns an http.Server for h on addr with read, write and
// idle timeouts and a header size cap, so slow or idle clients cannot hold
// connections open.
func NewCodecServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: codecReadHeaderTimeout,
		ReadTimeout:       codecReadTimeout,
		WriteTimeout:      codecWriteTimeout,
		IdleTimeout:       codecIdleTimeout,
		MaxHeaderBytes:    codecMaxHeaderBytes,
	}
}

// guardClaims wraps this package's drivers in es so they accept only
// claims for their own container and prefix.
func guardClaims(es converter.ExternalStorage) converter.ExternalStorage {
	out := es
	out.Drivers = make([]converter.StorageDriver, len(es.Drivers))
	guarded := map[converter.StorageDriver]converter.StorageDriver{}
	for i, d := range es.Drivers {
		out.Drivers[i] = d
		if ours, ok := d.(*Driver); ok {
			out.Drivers[i] = guardedDriver{ours}
			guarded[d] = out.Drivers[i]
		}
	}
	if sel := es.DriverSelector; sel != nil {
		out.DriverSelector = guardedSelector{sel, guarded}
	}
	return out
}

type guardedSelector struct {
	converter.StorageDriverSelector
	guarded map[converter.StorageDriver]converter.StorageDriver
}

func (s guardedSelector) SelectDriver(ctx converter.StorageDriverSelectContext, p *commonpb.Payload) (converter.StorageDriver, error) {
	d, err := s.StorageDriverSelector.SelectDriver(ctx, p)
	if g, ok := s.guarded[d]; ok {
		return g, err
	}
	return d, err
}

// guardedDriver is a Driver that retrieves only its own claims.
type guardedDriver struct{ *Driver }

func (g guardedDriver) Retrieve(ctx converter.StorageDriverRetrieveContext, claims []converter.StorageDriverClaim) ([]*commonpb.Payload, error) {
	for i, c := range claims {
		parsed, err := ParseClaim(c.ClaimData)
		if err != nil {
			return nil, err
		}
		if parsed.Container != g.container || parsed.Blob != g.BlobName(parsed.Digest) {
			return nil, fmt.Errorf("extstore: claim %d (%s) refused: this codec server serves only %s", i, parsed,
				Claim{Container: g.container, Blob: g.BlobName("<digest>")})
		}
	}
	return g.Driver.Retrieve(ctx, claims)
}
