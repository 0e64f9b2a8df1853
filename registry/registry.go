// Package registry is a model registry on a datastore.Store, in the manner
// of Azure ML's Model registry: named models with numbered versions, each
// with write-once properties, mutable tags and a link to the run that made
// it. A version is only ever created as the new champion (the best model so
// far), so versions are numbered 1, 2, 3… without gaps and the latest
// version is the champion.
//
// Blob layout in container "models":
//
//	<name>/champion.json                   {"version","accuracy","run_id"}
//	<name>/versions/<n>/meta.json          Version (blob metadata: run_id, accuracy)
//	<name>/runs/<runID>/model.json         the model file a run registers; the
//	                                       version's model_blob names it
//
// Versions made by the first layout have no model_blob: their model file is
// <name>/versions/<n>/model.json, copied from <name>/staging/<runID>/model.json.
package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// Container is the datastore container that holds the registry.
const Container = "models"

// ErrPropertyExists is returned (wrapped) by AddProperties when a property
// already has a different value.
var ErrPropertyExists = errors.New("registry: property already set to a different value")

// RunRef links a model version to the run that produced it.
type RunRef struct {
	WorkflowID string `json:"workflow_id"`
	RunID      string `json:"run_id"`
	StepRunID  string `json:"step_run_id"`
}

// Version is one registered model version (the content of meta.json).
type Version struct {
	Name        string            `json:"name"`
	Version     int               `json:"version"`
	Created     time.Time         `json:"created"`
	Accuracy    float64           `json:"accuracy"`
	ModelType   string            `json:"model_type"`
	Description string            `json:"description"`
	Framework   string            `json:"framework"`
	Properties  map[string]string `json:"properties"`
	Tags        map[string]string `json:"tags"`
	Run         RunRef            `json:"run"`
	DataRef     string            `json:"data_ref"`
	DataHash    string            `json:"data_hash"`
	// ModelBlob is the model file's blob in the registry's container.
	ModelBlob string `json:"model_blob,omitempty"`
}

// Champion is the content of champion.json: the current best version.
type Champion struct {
	Version  int     `json:"version"`
	Accuracy float64 `json:"accuracy"`
	RunID    string  `json:"run_id"`
}

// Registry registers and looks up model versions.
type Registry struct {
	store datastore.Store
	now   func() time.Time
}

// New returns a Registry on store.
func New(store datastore.Store) *Registry {
	return &Registry{store: store, now: func() time.Time { return time.Now().UTC() }}
}

func championPath(name string) string        { return name + "/champion.json" }
func versionsPrefix(name string) string      { return name + "/versions/" }
func metaPath(name string, n int) string     { return fmt.Sprintf("%s/versions/%d/meta.json", name, n) }
func runModelPath(name, runID string) string { return name + "/runs/" + runID + "/model.json" }

// The first layout's model paths, for versions without a model_blob.
func modelPath(name string, n int) string   { return fmt.Sprintf("%s/versions/%d/model.json", name, n) }
func stagingPath(name, runID string) string { return name + "/staging/" + runID + "/model.json" }
func checkName(name string) error           { return datastore.ValidateName("model", name) }

// metaVersion returns n when blob is "<name>/versions/<n>/meta.json".
func metaVersion(name, blob string) (int, bool) {
	rest, ok := strings.CutPrefix(blob, versionsPrefix(name))
	if !ok {
		return 0, false
	}
	num, ok := strings.CutSuffix(rest, "/meta.json")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	return n, err == nil && n > 0
}

// ChampionPointer returns the champion pointer alone (version, accuracy,
// run): one read, for a caller that needs no more.
func (r *Registry) ChampionPointer(ctx context.Context, name string) (Champion, bool, error) {
	if err := checkName(name); err != nil {
		return Champion{}, false, err
	}
	ch, _, ok, err := r.readChampion(ctx, name)
	return ch, ok, err
}

// Champion returns the current champion version of name, or nil, nil when
// name has no version yet.
func (r *Registry) Champion(ctx context.Context, name string) (*Version, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	ch, _, ok, err := r.readChampion(ctx, name)
	if err != nil || !ok {
		return nil, err
	}
	return r.Get(ctx, name, ch.Version)
}

// Get returns one version of name.
func (r *Registry) Get(ctx context.Context, name string, version int) (*Version, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	var v Version
	if _, err := r.readJSON(ctx, metaPath(name, version), &v); err != nil {
		return nil, fmt.Errorf("registry: model %s v%d: %w", name, version, err)
	}
	return &v, nil
}

// Versions returns the versions of name in ascending order, up to and
// including the champion (a claim still being completed is not listed).
func (r *Registry) Versions(ctx context.Context, name string) ([]Version, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	ch, _, ok, err := r.readChampion(ctx, name)
	if err != nil || !ok {
		return nil, err
	}
	infos, err := r.store.List(ctx, Container, versionsPrefix(name))
	if err != nil {
		return nil, fmt.Errorf("registry: versions of %s: %w", name, err)
	}
	var nums []int
	for _, info := range infos {
		if n, ok := metaVersion(name, info.Name); ok && n <= ch.Version {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	out := make([]Version, 0, len(nums))
	for _, n := range nums {
		v, err := r.Get(ctx, name, n)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, nil
}

// Names returns the names of all models that have at least one version.
func (r *Registry) Names(ctx context.Context) ([]string, error) {
	infos, err := r.store.List(ctx, Container, "")
	if err != nil {
		return nil, fmt.Errorf("registry: model names: %w", err)
	}
	var names []string
	for _, info := range infos {
		if name, ok := strings.CutSuffix(info.Name, "/champion.json"); ok && !strings.Contains(name, "/") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// ModelFile streams the model file of one version. The caller closes it.
func (r *Registry) ModelFile(ctx context.Context, name string, version int) (io.ReadCloser, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	v, err := r.Get(ctx, name, version)
	if err != nil {
		return nil, err
	}
	blob := v.ModelBlob
	if blob == "" {
		blob = modelPath(name, version)
	}
	rc, _, err := r.store.Read(ctx, Container, blob)
	if err != nil {
		return nil, fmt.Errorf("registry: model file of %s v%d: %w", name, version, err)
	}
	return rc, nil
}
