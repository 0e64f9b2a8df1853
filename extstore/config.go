package extstore

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"go.temporal.io/sdk/converter"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// Environment variables read by ConfigFromEnv.
const (
	EnvDriver    = "PIPELINE_EXTERNAL_STORAGE"           // "azblob" (default) or "off"
	EnvThreshold = "PIPELINE_EXTERNAL_STORAGE_THRESHOLD" // bytes; default DefaultThreshold
	EnvContainer = "PIPELINE_EXTERNAL_STORAGE_CONTAINER" // default DefaultContainer
	EnvPrefix    = "PIPELINE_EXTERNAL_STORAGE_PREFIX"    // default ""
)

// DefaultThreshold is the serialized payload size from which payloads are
// offloaded: the size from which the Temporal server warns.
const DefaultThreshold = 256 << 10

// Config is the external-storage setting the worker, the starter and the
// codec server share. The storage account is the datastore's.
type Config struct {
	// Enabled offloads large payloads to Azure Blob storage.
	Enabled bool
	// Threshold is the serialized payload size, in bytes, from which a
	// payload is offloaded.
	Threshold int
	// Container and Prefix place the payload blobs.
	Container, Prefix string
}

// ConfigFromEnv reads Config from the PIPELINE_EXTERNAL_STORAGE* variables:
// on, with a 256 KiB threshold, into container temporal-payloads, unless
// told otherwise.
func ConfigFromEnv() (Config, error) {
	cfg := Config{Enabled: true, Threshold: DefaultThreshold, Container: DefaultContainer, Prefix: os.Getenv(EnvPrefix)}
	switch v := strings.ToLower(strings.TrimSpace(os.Getenv(EnvDriver))); v {
	case "", "azblob":
	case "off", "none", "false", "0":
		cfg.Enabled = false
	default:
		return Config{}, fmt.Errorf("%s=%q: want azblob or off", EnvDriver, v)
	}
	if v := strings.TrimSpace(os.Getenv(EnvThreshold)); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return Config{}, fmt.Errorf("%s=%q: want a positive number of bytes", EnvThreshold, v)
		}
		cfg.Threshold = n
	}
	if v := strings.TrimSpace(os.Getenv(EnvContainer)); v != "" {
		if err := datastore.ValidateContainer(v); err != nil {
			return Config{}, fmt.Errorf("%s: %w", EnvContainer, err)
		}
		cfg.Container = v
	}
	return cfg, nil
}

// ExternalStorage returns the SDK setting for cfg on the storage account of
// azure: the zero value (nothing offloaded) when cfg is disabled. Give the
// same setting to every client and worker of a namespace, and to the codec
// server, so each can read what the others stored.
func ExternalStorage(cfg Config, azure datastore.AzureOptions) (converter.ExternalStorage, error) {
	if !cfg.Enabled {
		return converter.ExternalStorage{}, nil
	}
	d, err := NewAzureBlobDriver(Options{Azure: azure, Container: cfg.Container, Prefix: cfg.Prefix})
	if err != nil {
		return converter.ExternalStorage{}, err
	}
	return converter.ExternalStorage{Drivers: []converter.StorageDriver{d}, PayloadSizeThreshold: cfg.Threshold}, nil
}
