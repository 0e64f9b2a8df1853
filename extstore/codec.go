package extstore

import (
	"net/http"
	"slices"
	"strings"

	"go.temporal.io/sdk/converter"
)

// NewCodecHandler returns the HTTP handler of a codec server for the
// Temporal Web UI and CLI: POST /decode replaces external-storage claims
// with the payloads they name (the SDK's converter.NewPayloadHTTPHandler on
// es), POST /encode offloads as a client would, and POST /download resolves
// claims only. Browsers from allowedOrigins may call it (CORS, with the
// X-Namespace and Authorization headers the Web UI sends).
func NewCodecHandler(es converter.ExternalStorage, allowedOrigins ...string) (http.Handler, error) {
	h, err := converter.NewPayloadHTTPHandler(converter.PayloadHTTPHandlerOptions{ExternalStorage: es})
	if err != nil {
		return nil, err
	}
	origins := make([]string, 0, len(allowedOrigins))
	for _, o := range allowedOrigins {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			origins = append(origins, o)
		}
	}
	return cors(origins, h), nil
}

// cors answers preflight requests and marks responses to allowed origins.
func cors(origins []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (slices.Contains(origins, origin) || slices.Contains(origins, "*")) {
			hd := w.Header()
			hd.Set("Access-Control-Allow-Origin", origin)
			hd.Set("Access-Control-Allow-Credentials", "true")
			hd.Set("Access-Control-Allow-Methods", "POST, GET, OPTIONS")
			hd.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
			hd.Set("Access-Control-Max-Age", "600")
			hd.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}
