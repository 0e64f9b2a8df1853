package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/temporal-ml/runctx-pipeline/extstore"
)

// newCodecServerCmd is `starter codec-server`: an HTTP codec server that
// resolves the claims of payloads offloaded to Azure Blob storage, so the
// Web UI and `temporal workflow show --codec-endpoint` show them in full.
func newCodecServerCmd(c *cli) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "codec-server",
		Short: "Serve a codec endpoint so the Web UI shows payloads offloaded to Azure Blob",
		Long: `Serves POST /decode (and /encode, /download) for the Temporal Web UI: payloads
the pipeline offloaded to Azure Blob storage (PIPELINE_EXTERNAL_STORAGE*) are
fetched and shown in place of their claims. Point the Web UI at it
(Settings > Codec Server endpoint, or 'temporal server start-dev
--ui-codec-endpoint http://127.0.0.1:8081'). Runs until interrupted. With -o
json: one object with endpoint and origins, then it serves.

With a bearer token (--token-file, or PIPELINE_CODEC_TOKEN_FILE or
PIPELINE_CODEC_TOKEN; at least 16 characters) every request must carry
'Authorization: Bearer <token>' (the Web UI's codec setting "pass access
token", 'temporal --codec-auth "Bearer <token>"'); without one it listens on
loopback only.`,
		Example: `  starter codec-server
  starter codec-server --port 8082 --origin http://localhost:8233,http://127.0.0.1:8233`,
		Args:              exactArgs(0, "[flags]"),
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	port := cmd.Flags().Int("port", 8081, "port to listen on")
	host := cmd.Flags().String("host", "127.0.0.1", "address to listen on")
	origin := cmd.Flags().String("origin", "http://localhost:8233", "Web UI origin(s) allowed by CORS, comma-separated")
	tokenFile := cmd.Flags().String("token-file", "", "file holding the bearer token requests must carry (default: "+extstore.EnvCodecTokenFile+" or "+extstore.EnvCodecToken+")")
	cmd.RunE = func(*cobra.Command, []string) error { return c.codecServer(*host, *port, *origin, *tokenFile) }
	return cmd
}

func (c *cli) codecServer(host string, port int, origin, tokenFile string) error {
	if port <= 0 || port > 65535 {
		return usagef("--port %d: want 1-65535", port)
	}
	token, err := extstore.CodecTokenFromEnv()
	if tokenFile != "" {
		token, err = extstore.ReadTokenFile(tokenFile)
	}
	if err != nil {
		return usagef("%v", err)
	}
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	if err := extstore.CheckListen(addr, token); err != nil {
		return usagef("%v", err)
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	es, err := extstore.ExternalStorage(cfg.ExternalStorage, cfg.Azure)
	if err != nil {
		return err
	}
	h, err := extstore.NewCodecHandlerWithOptions(es, extstore.CodecOptions{Origins: strings.Split(origin, ","), Token: token})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := extstore.NewCodecServer(addr, h)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	endpoint := "http://" + ln.Addr().String()
	if !cfg.ExternalStorage.Enabled {
		fmt.Fprintf(c.stderr, "note: %s=off, so payloads pass through unchanged\n", extstore.EnvDriver)
	}
	if c.json() {
		if err := c.printJSON(map[string]any{"endpoint": endpoint, "origins": strings.Split(origin, ",")}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(c.stdout, "codec server on %s for %s\n", endpoint, origin)
	}
	fmt.Fprintf(c.stderr, "set the Web UI's codec endpoint to %s (or start the dev server with --ui-codec-endpoint %s)\n", endpoint, endpoint)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
