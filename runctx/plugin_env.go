package runctx

import (
	"os"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/extstore"
)

// Environment variables NewPluginFromEnv reads.
const (
	// EnvRuns is PluginOptions.Runs.
	EnvRuns = "PIPELINE_RUNS"
	// EnvConnectionString is an Azure Storage connection string
	// (Azurite's development account when neither it nor EnvAccountURL
	// is set).
	EnvConnectionString = "AZURE_STORAGE_CONNECTION_STRING"
	// EnvAccountURL is a blob service URL, used with azidentity's
	// DefaultAzureCredential.
	EnvAccountURL = "AZURE_STORAGE_ACCOUNT_URL"
)

// OptionsFromEnv returns the plugin options the environment gives:
// PIPELINE_RUNS (default DefaultRuns), the storage account from
// AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL, and
// External Storage from PIPELINE_EXTERNAL_STORAGE* (on unless set to off;
// see extstore.ConfigFromEnv).
func OptionsFromEnv() (PluginOptions, error) {
	ext, err := extstore.ConfigFromEnv()
	if err != nil {
		return PluginOptions{}, err
	}
	return PluginOptions{
		Runs: os.Getenv(EnvRuns),
		Azure: datastore.AzureOptions{
			ConnectionString: os.Getenv(EnvConnectionString),
			AccountURL:       os.Getenv(EnvAccountURL),
		},
		ExternalStorage: ext,
	}, nil
}

// NewPluginFromEnv returns the plugin configured by OptionsFromEnv, as the
// project's worker and starter make it.
func NewPluginFromEnv() (*Plugin, error) {
	opts, err := OptionsFromEnv()
	if err != nil {
		return nil, err
	}
	return NewPlugin(opts)
}
