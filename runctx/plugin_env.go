package runctx

import (
	"os"
	"path/filepath"
	"strings"

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
	// EnvLocalRoots is PluginOptions.LocalRoots: the folders file:// data
	// references may name, separated by colons (the system's list
	// separator), e.g. /srv/data:/srv/runs. Relative folders are taken from
	// the working directory.
	EnvLocalRoots = "PIPELINE_LOCAL_ROOTS"
)

// DefaultLocalRoots returns the local roots used when none are configured:
// the "data" folder of the working directory, where the project keeps its
// iris CSV and where a bare path like data/iris.csv points. The system's
// temporary folder is deliberately not a default: every user of the
// machine can write there.
func DefaultLocalRoots() []string {
	wd, err := os.Getwd()
	if err != nil {
		return []string{"data"}
	}
	return []string{filepath.Join(wd, "data")}
}

// LocalRootsFromEnv returns the folders of PIPELINE_LOCAL_ROOTS, or
// DefaultLocalRoots when it is unset or empty. Programs that read local
// data outside a plugin (activities/cmd/train) use it for
// datastore.NewLocalRoots.
func LocalRootsFromEnv() []string {
	var roots []string
	for _, r := range filepath.SplitList(os.Getenv(EnvLocalRoots)) {
		if r = strings.TrimSpace(r); r != "" {
			roots = append(roots, r)
		}
	}
	if len(roots) == 0 {
		return DefaultLocalRoots()
	}
	return roots
}

// localRoots are the roots of the plugin's local store: LocalRoots (or
// the defaults) and, when Runs is a file:// reference, its folder.
func (o PluginOptions) localRoots() []string {
	roots := append([]string(nil), o.LocalRoots...)
	if len(roots) == 0 {
		roots = DefaultLocalRoots()
	}
	if ref, err := datastore.ParsePrefix(o.Runs); err == nil && ref.Scheme == datastore.SchemeFile {
		roots = append(roots, filepath.FromSlash(ref.Path))
	}
	return roots
}

// OptionsFromEnv returns the plugin options the environment gives:
// PIPELINE_RUNS (default DefaultRuns), PIPELINE_LOCAL_ROOTS (default
// DefaultLocalRoots), the storage account from
// AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL,
// External Storage from PIPELINE_EXTERNAL_STORAGE* (on unless set to off;
// see extstore.ConfigFromEnv), and script steps from PIPELINE_SCRIPT_*
// (ScriptOptionsFromEnv; off unless set).
func OptionsFromEnv() (PluginOptions, error) {
	ext, err := extstore.ConfigFromEnv()
	if err != nil {
		return PluginOptions{}, err
	}
	script, err := ScriptOptionsFromEnv()
	if err != nil {
		return PluginOptions{}, err
	}
	return PluginOptions{
		Runs:       os.Getenv(EnvRuns),
		LocalRoots: LocalRootsFromEnv(),
		Azure: datastore.AzureOptions{
			ConnectionString: os.Getenv(EnvConnectionString),
			AccountURL:       os.Getenv(EnvAccountURL),
		},
		ExternalStorage: ext,
		Script:          script,
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
