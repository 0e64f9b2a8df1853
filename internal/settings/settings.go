// Package settings holds the environment variables of the run context's
// plugin (runctx.NewPluginFromEnv) and the project's programs, and the
// defaults behind them. It is wiring, not runctx's API: a user's program
// passes runctx.PluginOptions, or calls runctx.NewPluginFromEnv, whose doc
// lists these variables.
package settings

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// Environment variables runctx.NewPluginFromEnv reads (besides extstore's
// PIPELINE_EXTERNAL_STORAGE*).
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

// DefaultRuns is where runs record when PluginOptions.Runs (EnvRuns) is
// empty.
const DefaultRuns = "azblob://runs"

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

// AzureFromEnv returns the storage account of AZURE_STORAGE_CONNECTION_STRING
// or AZURE_STORAGE_ACCOUNT_URL (Azurite's when both are unset).
func AzureFromEnv() datastore.AzureOptions {
	return datastore.AzureOptions{
		ConnectionString: os.Getenv(EnvConnectionString),
		AccountURL:       os.Getenv(EnvAccountURL),
	}
}

// Environment variables of script steps (runctx.ScriptOptions), read by
// runctx.NewPluginFromEnv.
const (
	// EnvScriptRoots: the folders a script step's local source directory
	// may lie under, separated by colons. Unset, a worker runs no script
	// from a local folder.
	EnvScriptRoots = "PIPELINE_SCRIPT_ROOTS"
	// EnvScriptSnapshots: "on" lets the worker run snapshots of source
	// directories sent by starters; "off" or unset refuses them.
	EnvScriptSnapshots = "PIPELINE_SCRIPT_SNAPSHOTS"
	// EnvScriptClient: the folder of the Python client put on a script's
	// PYTHONPATH. Default: the "python" folder next to the worker's
	// executable, or else of the working directory, when there is one.
	EnvScriptClient = "PIPELINE_SCRIPT_CLIENT"
)

// Script is what the environment says of script steps.
type Script struct {
	Roots     []string
	Snapshots bool
	Client    string
}

// ScriptFromEnv reads EnvScriptRoots (made absolute), EnvScriptSnapshots
// (on or off) and EnvScriptClient.
func ScriptFromEnv() (Script, error) {
	var o Script
	for _, r := range filepath.SplitList(os.Getenv(EnvScriptRoots)) {
		if r = strings.TrimSpace(r); r != "" {
			abs, err := filepath.Abs(r)
			if err != nil {
				return o, fmt.Errorf("%s: %q: %w", EnvScriptRoots, r, err)
			}
			o.Roots = append(o.Roots, abs)
		}
	}
	switch v := os.Getenv(EnvScriptSnapshots); v {
	case "", "off":
	case "on":
		o.Snapshots = true
	default:
		return o, fmt.Errorf("%s=%q: want on or off", EnvScriptSnapshots, v)
	}
	o.Client = os.Getenv(EnvScriptClient)
	if o.Client == "" {
		o.Client = defaultScriptClient()
	}
	return o, nil
}

// defaultScriptClient is the "python" folder next to the executable, or
// else in the working directory, when it exists; "" otherwise.
func defaultScriptClient() string {
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	if wd, err := os.Getwd(); err == nil {
		dirs = append(dirs, wd)
	}
	for _, d := range dirs {
		p := filepath.Join(d, "python")
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p
		}
	}
	return ""
}
