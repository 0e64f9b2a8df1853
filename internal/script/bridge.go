package script

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MaxRequestBytes is the largest request body the bridge reads (413 above).
const MaxRequestBytes = 16 << 20

// Bridge serves a step's run context to its process (PROTOCOL.md): HTTP on
// a loopback port, every request with the step's token.
type Bridge struct {
	rec   Recorder
	token string
	ln    net.Listener
	srv   *http.Server
	ctx   context.Context

	opsMu sync.Mutex // one batch of ops at a time, so they apply in order

	mu       sync.Mutex
	status   string // the script's last POST /v1/status
	errText  string
	requests int
}

// StartBridge listens on 127.0.0.1 on a free port and serves rec with a
// new random token until Close. ctx is the context of the Recorder's calls.
func StartBridge(ctx context.Context, rec Recorder) (*Bridge, error) {
	tok := make([]byte, 32)
	if _, err := rand.Read(tok); err != nil {
		return nil, fmt.Errorf("script: bridge token: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("script: bridge listen: %w", err)
	}
	b := &Bridge{rec: rec, token: hex.EncodeToString(tok), ln: ln, ctx: ctx}
	b.srv = &http.Server{Handler: b.handler(), ReadHeaderTimeout: 10 * time.Second}
	go b.srv.Serve(ln)
	return b, nil
}

// URL is the bridge's address, http://127.0.0.1:<port>.
func (b *Bridge) URL() string { return "http://" + b.ln.Addr().String() }

// Token is the bridge's per-step token.
func (b *Bridge) Token() string { return b.token }

// Env returns the bridge's variables of the script's environment.
func (b *Bridge) Env() map[string]string {
	return map[string]string{EnvBridgeURL: b.URL(), EnvBridgeToken: b.token}
}

// Requests counts the requests the bridge has answered.
func (b *Bridge) Requests() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.requests
}

// Status returns what the script last said of its status (POST
// /v1/status): "" when it said nothing, and its error for "Failed".
func (b *Bridge) Status() (string, string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.status, b.errText
}

// Close stops the bridge: a request after it fails to connect.
func (b *Bridge) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return b.srv.Shutdown(ctx)
}

func (b *Bridge) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/ops", b.ops)
	mux.HandleFunc("PUT /v1/files/{name...}", b.putFile)
	mux.HandleFunc("GET /v1/files/{name...}", b.getFile)
	mux.HandleFunc("PUT /v1/images/{name...}", b.putImage)
	mux.HandleFunc("GET /v1/run", b.read(func(ctx context.Context, _ *http.Request) (any, error) { return b.rec.Run(ctx) }))
	mux.HandleFunc("GET /v1/parent", b.read(func(ctx context.Context, _ *http.Request) (any, error) { return b.rec.Parent(ctx) }))
	mux.HandleFunc("GET /v1/children", b.read(func(ctx context.Context, _ *http.Request) (any, error) {
		c, err := b.rec.Children(ctx)
		return map[string]any{"children": c}, err
	}))
	mux.HandleFunc("GET /v1/runs/{id}", b.read(func(ctx context.Context, r *http.Request) (any, error) {
		return b.rec.RunByID(ctx, r.PathValue("id"))
	}))
	mux.HandleFunc("POST /v1/models", b.registerModel)
	mux.HandleFunc("GET /v1/models/{name}", b.read(b.getModel))
	mux.HandleFunc("POST /v1/status", b.setStatus)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, fmt.Errorf("%w: no such request: %s %s", ErrNotFound, r.Method, r.URL.Path), nil)
	})
	return b.auth(mux)
}

// auth refuses a request without the step's token, and bounds its body.
func (b *Bridge) auth(next http.Handler) http.Handler {
	want := []byte("Bearer " + b.token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": errorBody{Type: "Unauthorized", Message: "script: no or wrong bridge token"}})
			return
		}
		b.mu.Lock()
		b.requests++
		b.mu.Unlock()
		r.Body = http.MaxBytesReader(w, r.Body, MaxRequestBytes)
		next.ServeHTTP(w, r)
	})
}

type errorBody struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers err with its status; extra fields (applied) join the
// body.
func writeError(w http.ResponseWriter, err error, extra map[string]any) {
	code, typ := status(err)
	body := map[string]any{"error": errorBody{Type: typ, Message: err.Error()}}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, code, body)
}

// readBody reads a request body, 413 above MaxRequestBytes.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return nil, fmt.Errorf("%w: request body over %d bytes", ErrTooLarge, MaxRequestBytes)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: read request body: %w", ErrInvalid, err)
	}
	return body, nil
}

func decodeBody(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: request body: %w", ErrInvalid, err)
	}
	return nil
}

func (b *Bridge) ops(w http.ResponseWriter, r *http.Request) {
	b.opsMu.Lock()
	defer b.opsMu.Unlock()
	var req struct {
		Ops []Op `json:"ops"`
	}
	if err := decodeBody(r, &req); err != nil {
		writeError(w, err, map[string]any{"applied": 0})
		return
	}
	for i := range req.Ops {
		op := &req.Ops[i]
		err := op.check()
		if err == nil {
			err = b.rec.Record(b.ctx, *op)
		}
		if err != nil {
			applied := i
			if n, berr := b.endBatch(); berr != nil {
				applied, err = i-n, berr
			}
			writeError(w, fmt.Errorf("op %d (%s): %w", i, op.Op, err), map[string]any{"applied": applied})
			return
		}
	}
	if n, err := b.endBatch(); err != nil {
		writeError(w, fmt.Errorf("op %d: %w", len(req.Ops)-n, err), map[string]any{"applied": len(req.Ops) - n})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"applied": len(req.Ops)})
}

// endBatch ends a batch of ops for a Batcher recorder.
func (b *Bridge) endBatch() (int, error) {
	if bt, ok := b.rec.(Batcher); ok {
		return bt.EndBatch(b.ctx)
	}
	return 0, nil
}

// fileName checks a file name of the bridge: relative, slash-separated,
// no empty, "." or ".." segment.
func fileName(name string) error {
	if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "\\") {
		return fmt.Errorf("%w: file name %q must be a relative slash path", ErrInvalid, name)
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: file name %q has a %q segment", ErrInvalid, name, seg)
		}
	}
	return nil
}

func targetOf(r *http.Request) (Target, error) {
	switch t := Target(r.URL.Query().Get("target")); t {
	case "", TargetRun:
		return TargetRun, nil
	case TargetParent:
		return t, nil
	default:
		return "", fmt.Errorf("%w: target %q: want run or parent", ErrInvalid, t)
	}
}

func (b *Bridge) putFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	target, err := targetOf(r)
	if err == nil {
		err = fileName(name)
	}
	var body []byte
	if err == nil {
		body, err = readBody(r)
	}
	var ref string
	if err == nil {
		ref, err = b.rec.PutFile(b.ctx, target, name, r.Header.Get("Content-Type"), bytes.NewReader(body))
	}
	if err != nil {
		writeError(w, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"name": name, "ref": ref})
}

func (b *Bridge) getFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	target, err := targetOf(r)
	if err == nil {
		err = fileName(name)
	}
	var rc io.ReadCloser
	if err == nil {
		rc, err = b.rec.GetFile(b.ctx, target, name)
	}
	if err != nil {
		writeError(w, err, nil)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = io.Copy(w, rc)
}

func (b *Bridge) putImage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	body, err := readBody(r)
	if err == nil {
		err = b.rec.LogImage(b.ctx, name, body)
	}
	if err != nil {
		writeError(w, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"name": name})
}

// read answers a GET with what get returns.
func (b *Bridge) read(get func(context.Context, *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := get(b.ctx, r)
		if err != nil {
			writeError(w, err, nil)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

func (b *Bridge) models() (Models, error) {
	if m, ok := b.rec.(Models); ok {
		return m, nil
	}
	return nil, fmt.Errorf("%w: this worker has no model registry for script steps", ErrNotImplemented)
}

func (b *Bridge) registerModel(w http.ResponseWriter, r *http.Request) {
	m, err := b.models()
	var req ModelRequest
	if err == nil {
		err = decodeBody(r, &req)
	}
	var v ModelView
	if err == nil {
		v, err = m.RegisterModel(b.ctx, req)
	}
	if err != nil {
		writeError(w, err, nil)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (b *Bridge) getModel(ctx context.Context, r *http.Request) (any, error) {
	m, err := b.models()
	if err != nil {
		return nil, err
	}
	version := 0
	if s := r.URL.Query().Get("version"); s != "" {
		if version, err = strconv.Atoi(s); err != nil || version < 1 {
			return nil, fmt.Errorf("%w: version %q: want a number from 1", ErrInvalid, s)
		}
	}
	return m.GetModel(ctx, r.PathValue("name"), version)
}

func (b *Bridge) setStatus(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	err := decodeBody(r, &req)
	if err == nil && req.Status != "Completed" && req.Status != "Failed" {
		err = fmt.Errorf("%w: status %q: want Completed or Failed", ErrInvalid, req.Status)
	}
	if err != nil {
		writeError(w, err, nil)
		return
	}
	b.mu.Lock()
	b.status, b.errText = req.Status, req.Error
	b.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"status": req.Status})
}
