package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/settings"
)

// namedData resolves the --data the user typed, and returns the data
// reference to read and the resolver to read it through.
//
// An offline run is the user on their own machine, on the file they named:
// a local path (bare, or file://) is taken relative to the working
// directory, its symbolic links followed, and served from its own folder,
// wherever that is. Only the default data (no --data) is read under the
// local roots (PIPELINE_LOCAL_ROOTS, else ./data), as a worker reads it.
// Data references that reach a worker inside a pipeline stay confined to
// the worker's roots; this is the command line, not a pipeline.
func namedData(data string) (string, datastore.Resolver, error) {
	confined := datastore.Resolver{Local: datastore.NewLocalRoots(settings.LocalRootsFromEnv()...)}
	if data == "" {
		return activities.DefaultLocalData, confined, nil
	}
	if strings.Contains(data, "://") && !strings.HasPrefix(data, datastore.SchemeFile+"://") {
		return data, confined, nil // azblob://…: not a local file
	}
	path := data
	if strings.HasPrefix(data, datastore.SchemeFile+"://") {
		ref, err := datastore.ParseRef(data)
		if err != nil {
			return "", datastore.Resolver{}, fmt.Errorf("--data %s: %w", data, err)
		}
		path = filepath.FromSlash(ref.Path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", datastore.Resolver{}, fmt.Errorf("--data %s: %w", data, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", datastore.Resolver{}, fmt.Errorf("--data %s: %w", data, err)
	}
	return real, datastore.Resolver{Local: datastore.NewLocalRoots(filepath.Dir(real))}, nil
}
