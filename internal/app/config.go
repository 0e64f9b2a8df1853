package app

import (
	"fmt"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/converter"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/extstore"
)

// Environment variables read by Config (besides the standard TEMPORAL_*
// ones, read through envconfig).
const (
	EnvConnectionString = "AZURE_STORAGE_CONNECTION_STRING"
	EnvAccountURL       = "AZURE_STORAGE_ACCOUNT_URL"
	EnvUIURL            = "TEMPORAL_UI_URL"
	// EnvGRPCCompression is "gzip" (the SDK's default) or "none": requests
	// to a server on the same machine or network need not pay for gzip.
	EnvGRPCCompression = "PIPELINE_GRPC_COMPRESSION"
)

// Config is how the programs reach Temporal and storage.
type Config struct {
	Client client.Options
	// Storage is the Azure Blob connection: a connection string (Azurite's
	// development account by default) or an account URL used with
	// azidentity's DefaultAzureCredential.
	Storage datastore.AzureOptions
	// UIURL is the Web UI's base address, for links to runs.
	UIURL string
	// ExternalStorage offloads large payloads to the storage account
	// (PIPELINE_EXTERNAL_STORAGE*; see ExternalStorage).
	ExternalStorage extstore.Config
}

// LoadConfig reads the configuration from the environment: TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TLS and API key through envconfig, and the storage
// variables above.
func LoadConfig() (Config, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return Config{}, fmt.Errorf("temporal client configuration: %w", err)
	}
	cfg := Config{
		Client: opts,
		Storage: datastore.AzureOptions{
			ConnectionString: os.Getenv(EnvConnectionString),
			AccountURL:       os.Getenv(EnvAccountURL),
		},
		UIURL: os.Getenv(EnvUIURL),
	}
	if cfg.UIURL == "" {
		cfg.UIURL = "http://localhost:8233"
	}
	if cfg.ExternalStorage, err = extstore.ConfigFromEnv(); err != nil {
		return Config{}, err
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

// ExternalStorage returns the client's external payload storage: payloads
// from the threshold up go to Azure Blob storage, history keeps a claim. The
// worker, the starter and the codec server all use it, so each reads what
// the others stored.
func ExternalStorage(cfg Config) (converter.ExternalStorage, error) {
	return extstore.ExternalStorage(cfg.ExternalStorage, cfg.Storage)
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

// OpenStorage returns the resolver of data references: azblob:// on Azure
// Blob storage, file:// on the local disk.
func (c Config) OpenStorage() (datastore.Resolver, error) {
	blob, err := datastore.NewAzureBlob(c.Storage)
	if err != nil {
		return datastore.Resolver{}, fmt.Errorf("azure blob storage: %w", err)
	}
	return datastore.Resolver{Blob: blob, Local: datastore.NewLocal("/")}, nil
}
