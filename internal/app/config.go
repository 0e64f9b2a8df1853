package app

import (
	"fmt"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// Environment variables read by LoadConfig besides the standard TEMPORAL_*
// ones (read through envconfig) and the plugin's (runctx.OptionsFromEnv).
const (
	EnvUIURL = "TEMPORAL_UI_URL"
	// EnvGRPCCompression is "gzip" (the SDK's default) or "none": requests
	// to a server on the same machine or network need not pay for gzip.
	EnvGRPCCompression = "PIPELINE_GRPC_COMPRESSION"
)

// Config is how the programs reach Temporal and storage.
type Config struct {
	// Client are the client options, with the run-context plugin attached.
	Client client.Options
	// Plugin is the run context: where runs record, the storage behind
	// data references, External Storage.
	Plugin *runctx.Plugin
	// PluginOptions are the options Plugin was made from.
	PluginOptions runctx.PluginOptions
	// UIURL is the Web UI's base address, for links to runs.
	UIURL string
}

// LoadConfig reads the configuration from the environment: TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TLS and API key through envconfig, the storage and
// runs settings through runctx.OptionsFromEnv, and the variables above.
func LoadConfig() (Config, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return Config{}, fmt.Errorf("temporal client configuration: %w", err)
	}
	cfg := Config{Client: opts, UIURL: os.Getenv(EnvUIURL)}
	if cfg.UIURL == "" {
		cfg.UIURL = "http://localhost:8233"
	}
	if cfg.PluginOptions, err = runctx.OptionsFromEnv(); err != nil {
		return Config{}, err
	}
	if cfg.Plugin, err = runctx.NewPlugin(cfg.PluginOptions); err != nil {
		return Config{}, err
	}
	cfg.Client.Plugins = append(cfg.Client.Plugins, cfg.Plugin)
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
