package app

import (
	"fmt"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/extstore"
	"github.com/temporal-ml/runctx-pipeline/internal/settings"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// Environment variables read by LoadConfig besides the standard TEMPORAL_*
// ones (read through envconfig) and the plugin's (runctx.NewPluginFromEnv, internal/settings).
const (
	EnvUIURL = "TEMPORAL_UI_URL"
	// EnvGRPCCompression is "gzip" (the SDK's default) or "none": requests
	// to a server on the same machine or network need not pay for gzip.
	EnvGRPCCompression = "PIPELINE_GRPC_COMPRESSION"
	// EnvStopTimeout is the worker's graceful stop (a Go duration such as
	// "30s" or "2m"; "0s" stops at once): on SIGTERM or SIGINT the worker
	// stops polling and gives running steps this long to finish before
	// their contexts are cancelled. Default DefaultStopTimeout.
	EnvStopTimeout = "PIPELINE_WORKER_STOP_TIMEOUT"
)

// DefaultStopTimeout is the worker's graceful stop when EnvStopTimeout is
// unset: long enough for a training step of the reference pipeline to
// finish, short of Kubernetes' default 30 s grace before SIGKILL plus the
// time to report it. A step still running when it ends is cancelled and
// retried on another worker.
const DefaultStopTimeout = 30 * time.Second

// Config is how the programs reach Temporal and storage.
type Config struct {
	// Client are the client options, with the run-context plugin attached.
	Client client.Options
	// Plugin is the run context: where runs record, the storage behind
	// data references, External Storage.
	Plugin *runctx.Plugin
	// ExternalStorage and Azure are the External Storage settings and the
	// storage account the environment gives the plugin, for the codec
	// server.
	ExternalStorage extstore.Config
	Azure           datastore.AzureOptions
	// UIURL is the Web UI's base address, for links to runs.
	UIURL string
	// StopTimeout is the worker's graceful stop (EnvStopTimeout).
	StopTimeout time.Duration
	// Script is what the environment says of script steps, as the
	// plugin took it (PIPELINE_SCRIPT_*), for the worker's log.
	Script settings.Script
}

// WorkerOptions returns the worker options the configuration gives: the
// graceful stop (worker.Options.WorkerStopTimeout). The SDK's default
// stop timeout is zero, which cancels running steps the moment the
// worker is told to stop.
func (c Config) WorkerOptions() worker.Options {
	return worker.Options{WorkerStopTimeout: c.StopTimeout}
}

// LoadConfig reads the configuration from the environment: TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TLS and API key through envconfig, the storage and
// runs settings through runctx.NewPluginFromEnv, and the variables above
// (the worker's graceful stop among them).
func LoadConfig() (Config, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return Config{}, fmt.Errorf("temporal client configuration: %w", err)
	}
	cfg := Config{Client: opts, UIURL: os.Getenv(EnvUIURL)}
	if cfg.UIURL == "" {
		cfg.UIURL = "http://localhost:8233"
	}
	if cfg.ExternalStorage, err = extstore.ConfigFromEnv(); err != nil {
		return Config{}, err
	}
	cfg.Azure = settings.AzureFromEnv()
	if cfg.Script, err = settings.ScriptFromEnv(); err != nil {
		return Config{}, err
	}
	if cfg.Plugin, err = runctx.NewPluginFromEnv(); err != nil {
		return Config{}, err
	}
	cfg.Client.Plugins = append(cfg.Client.Plugins, cfg.Plugin)
	cfg.StopTimeout = DefaultStopTimeout
	if v := os.Getenv(EnvStopTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return Config{}, fmt.Errorf("%s=%q: want a duration such as 30s (0s stops at once)", EnvStopTimeout, v)
		}
		cfg.StopTimeout = d
	}
	switch v := os.Getenv(EnvGRPCCompression); v {
	case "", "gzip":
	case "none":
		cfg.Client.ConnectionOptions.GrpcCompression = &client.GrpcCompressionNone{}
	default:
		return Config{}, fmt.Errorf("%s=%q: want gzip or none", EnvGRPCCompression, v)
	}
	return cfg, nil
}

// Namespace returns the configured namespace ("default" when unset).
func (c Config) Namespace() string {
	if c.Client.Namespace == "" {
		return "default"
	}
	return c.Client.Namespace
}

// RunURL returns the Web UI address of a workflow run.
func (c Config) RunURL(workflowID, runID string) string {
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s/history", c.UIURL, c.Namespace(), workflowID, runID)
}
