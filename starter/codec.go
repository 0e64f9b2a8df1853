package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/temporal-ml/runctx-pipeline/extstore"
	"github.com/temporal-ml/runctx-pipeline/internal/app"
)

// codecServerCmd is `starter codec-server`: an HTTP codec server that
// resolves the claims of payloads offloaded to Azure Blob storage, so the
// Web UI and `temporal workflow show --codec-endpoint` show them in full.
func codecServerCmd(args []string, stdout io.Writer) error {
	fs := newFlags("codec-server")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `usage: starter codec-server [--port 8081] [--host 127.0.0.1] [--origin http://localhost:8233]

Serves POST /decode (and /encode, /download) for the Temporal Web UI: payloads
the pipeline offloaded to Azure Blob storage (PIPELINE_EXTERNAL_STORAGE*) are
fetched and shown in place of their claims. Point the Web UI at it
(Settings > Codec Server endpoint, or 'temporal server start-dev
--ui-codec-endpoint http://127.0.0.1:8081').`)
		fs.PrintDefaults()
	}
	port := fs.Int("port", 8081, "port to listen on")
	host := fs.String("host", "127.0.0.1", "address to listen on")
	origin := fs.String("origin", "http://localhost:8233", "Web UI origin(s) allowed by CORS, comma-separated")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *port <= 0 || *port > 65535 {
		return usagef("--port %d: want 1-65535", *port)
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	es, err := extstore.ExternalStorage(cfg.PluginOptions.ExternalStorage, cfg.PluginOptions.Azure)
	if err != nil {
		return err
	}
	h, err := extstore.NewCodecHandler(es, strings.Split(*origin, ",")...)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	endpoint := "http://" + ln.Addr().String()
	if !cfg.PluginOptions.ExternalStorage.Enabled {
		fmt.Fprintf(stdout, "note: %s=off, so payloads pass through unchanged\n", extstore.EnvDriver)
	}
	fmt.Fprintf(stdout, "codec server on %s for %s\nset the Web UI's codec endpoint to %s (or start the dev server with --ui-codec-endpoint %s)\n",
		endpoint, *origin, endpoint, endpoint)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
