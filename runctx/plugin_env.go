package runctx

import (
	"os"
	"path/filepath"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/extstore"
	"github.com/temporal-ml/runctx-pipeline/internal/settings"
)

// localRoots are the roots of the plugin's local store: LocalRoots (or
// the defaults) and, when Runs is a file:// reference, its folder.
func (o PluginOptions) localRoots() []string {
	roots := append([]string(nil), o.LocalRoots...)
	if len(roots) == 0 {
		roots = settings.DefaultLocalRoots()
	}
	if ref, err := datastore.ParsePrefix(o.Runs); err == nil && ref.Scheme == datastore.SchemeFile {
		roots = append(roots, filepath.FromSlash(ref.Path))
	}
	return roots
}

// optionsFromEnv returns the plugin options the environment gives (see
// NewPluginFromEnv).
func optionsFromEnv() (PluginOptions, error) {
	ext, err := extstore.ConfigFromEnv()
	if err != nil {
		return PluginOptions{}, err
	}
	script, err := settings.ScriptFromEnv()
	if err != nil {
		return PluginOptions{}, err
	}
	return PluginOptions{
		Runs:            os.Getenv(settings.EnvRuns),
		LocalRoots:      settings.LocalRootsFromEnv(),
		Azure:           settings.AzureFromEnv(),
		ExternalStorage: ext,
		ScriptRoots:     script.Roots,
		ScriptSnapshots: script.Snapshots,
		ScriptClient:    script.Client,
	}, nil
}

// NewPluginFromEnv returns the plugin NewPlugin makes of the options the
// environment gives, as the project's worker and starter make it:
//
//   - PIPELINE_RUNS: PluginOptions.Runs (default azblob://runs);
//   - PIPELINE_LOCAL_ROOTS: PluginOptions.LocalRoots, folders separated by
//     colons (default: the working directory's data folder);
//   - AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL (with
//     azidentity's DefaultAzureCredential): PluginOptions.Azure (default:
//     Azurite's development account);
//   - PIPELINE_EXTERNAL_STORAGE and its PIPELINE_EXTERNAL_STORAGE_*
//     settings: PluginOptions.ExternalStorage, on unless set to off (see
//     extstore.ConfigFromEnv);
//   - PIPELINE_SCRIPT_ROOTS (folders separated by colons),
//     PIPELINE_SCRIPT_SNAPSHOTS (on or off, default off) and
//     PIPELINE_SCRIPT_CLIENT (the Python client's folder): PluginOptions.Script;
//     script steps are off unless one of the first two is set.
func NewPluginFromEnv() (*Plugin, error) {
	opts, err := optionsFromEnv()
	if err != nil {
		return nil, err
	}
	return NewPlugin(opts)
}
