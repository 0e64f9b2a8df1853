package registry_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/registry"
)

var nameSeq atomic.Int64

// newName returns a model name no other test uses (the Azure runs share a container).
func newName() string { return fmt.Sprintf("iris-%d-%d", nameSeq.Add(1), rand.Int63()) }

func req(name, runID string, acc float64) registry.RegisterRequest {
	return registry.RegisterRequest{Name: name, Model: []byte(`{"model":"` + runID + `"}`), Accuracy: acc, Threshold: 0.5,
		ModelType: "svm", Framework: "go-ml", Description: "iris classifier",
		Properties: map[string]string{"best_model": "svm"}, Tags: map[string]string{"stage": "dev"},
		Run: registry.RunRef{WorkflowID: "wf-" + runID, RunID: runID, StepRunID: "wf-" + runID + "/register"}}
}

func register(t *testing.T, r *registry.Registry, rq registry.RegisterRequest) registry.Result {
	t.Helper()
	res, err := r.Register(context.Background(), rq)
	require.NoError(t, err)
	return res
}

// checkVersions asserts versions 1..len(runs) exist, gapless, made by runs
// in order, with the last one the champion.
func checkVersions(t *testing.T, r *registry.Registry, name string, runs ...string) []registry.Version {
	t.Helper()
	vs, err := r.Versions(context.Background(), name)
	require.NoError(t, err)
	got := []string{}
	for i, v := range vs {
		assert.Equal(t, i+1, v.Version)
		got = append(got, v.Run.RunID)
		if i > 0 {
			assert.Greater(t, v.Accuracy, vs[i-1].Accuracy, "v%d not better than v%d", v.Version, i)
		}
	}
	if runs != nil {
		assert.Equal(t, runs, got)
	}
	champ, err := r.Champion(context.Background(), name)
	require.NoError(t, err)
	if len(vs) == 0 {
		assert.Nil(t, champ)
	} else if assert.NotNil(t, champ) {
		assert.Equal(t, vs[len(vs)-1], *champ)
	}
	return vs
}

func modelFile(t *testing.T, r *registry.Registry, name string, v int) string {
	t.Helper()
	rc, err := r.ModelFile(context.Background(), name, v)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

// onlyModelsOf checks that the registry keeps the model files of runs and
// no other: none staged, none of a run that did not register (or whose
// version, of the first layout, keeps its model elsewhere).
func onlyModelsOf(t *testing.T, s datastore.Store, name string, runs ...string) {
	t.Helper()
	ctx := context.Background()
	staged, err := s.List(ctx, registry.Container, name+"/staging/")
	require.NoError(t, err)
	assert.Empty(t, staged, "no model of the first layout is left staged")
	files, err := s.List(ctx, registry.Container, name+"/runs/")
	require.NoError(t, err)
	var got, want []string
	for _, f := range files {
		got = append(got, f.Name)
	}
	for _, run := range runs {
		want = append(want, name+"/runs/"+run+"/model.json")
	}
	assert.ElementsMatch(t, want, got, "model files kept")
}

// Layouts of a claim left by a crashed registrar.
const (
	layoutCurrent = "current" // runs/<runID>/model.json, named by the claim
	layoutFirst   = "first"   // staging/<runID>/model.json, copied on completion
)

// writeCrashedClaim leaves what a registrar that died right after claiming
// version n leaves: the run's model file and versions/<n>/meta.json.
func writeCrashedClaim(t *testing.T, s datastore.Store, rq registry.RegisterRequest, n int, layout string) {
	t.Helper()
	ctx := context.Background()
	v := registry.Version{Name: rq.Name, Version: n, Accuracy: rq.Accuracy, Run: rq.Run, ModelType: rq.ModelType,
		Properties: map[string]string{}, Tags: map[string]string{}}
	model := rq.Name + "/staging/" + rq.Run.RunID + "/model.json"
	if layout == layoutCurrent {
		model = rq.Name + "/runs/" + rq.Run.RunID + "/model.json"
		v.ModelBlob = model
	}
	_, err := s.Write(ctx, registry.Container, model, strings.NewReader(string(rq.Model)), datastore.WriteOptions{})
	require.NoError(t, err)
	b, err := json.Marshal(v)
	require.NoError(t, err)
	_, err = s.Write(ctx, registry.Container, fmt.Sprintf("%s/versions/%d/meta.json", rq.Name, n), strings.NewReader(string(b)),
		datastore.WriteOptions{IfNoneMatch: true, ContentType: "application/json",
			Metadata: map[string]string{"run_id": rq.Run.RunID, "accuracy": fmt.Sprint(rq.Accuracy)}})
	require.NoError(t, err)
}

var registryCases = []struct {
	name string
	run  func(t *testing.T, s datastore.Store, name string)
}{
	{"FirstBecomesChampion", func(t *testing.T, s datastore.Store, name string) {
		r := registry.New(s)
		champ, err := r.Champion(context.Background(), name)
		require.NoError(t, err)
		assert.Nil(t, champ)
		res := register(t, r, req(name, "run-a", 0.9))
		assert.True(t, res.Registered)
		assert.Equal(t, 1, res.Version)
		require.NotNil(t, res.Champion)
		assert.Equal(t, 1, res.Champion.Version)
		assert.Equal(t, "svm", res.Champion.ModelType)
		assert.Equal(t, "wf-run-a", res.Champion.Run.WorkflowID)
		assert.Equal(t, map[string]string{"best_model": "svm"}, res.Champion.Properties)
		assert.False(t, res.Champion.Created.IsZero())
		checkVersions(t, r, name, "run-a")
		assert.Equal(t, `{"model":"run-a"}`, modelFile(t, r, name, 1))
		names, err := r.Names(context.Background())
		require.NoError(t, err)
		assert.Contains(t, names, name)
		onlyModelsOf(t, s, name, "run-a")
		_, err = r.ModelFile(context.Background(), name, 2)
		assert.ErrorIs(t, err, datastore.ErrNotFound)
	}},
	{"NotBetter", func(t *testing.T, s datastore.Store, name string) {
		r := registry.New(s)
		register(t, r, req(name, "run-a", 0.9))
		for _, acc := range []float64{0.85, 0.9} {
			res := register(t, r, req(name, fmt.Sprint("run-", acc), acc))
			assert.False(t, res.Registered)
			assert.Zero(t, res.Version)
			assert.Equal(t, "not registered: champion is now v1 (accuracy 0.9)", res.Reason)
			require.NotNil(t, res.Champion)
			assert.Equal(t, 1, res.Champion.Version)
		}
		res := register(t, r, req(name, "run-b", 0.95))
		assert.True(t, res.Registered)
		assert.Equal(t, 2, res.Version)
		checkVersions(t, r, name, "run-a", "run-b")
		onlyModelsOf(t, s, name, "run-a", "run-b")
	}},
	{"Threshold", func(t *testing.T, s datastore.Store, name string) {
		r := registry.New(s)
		rq := req(name, "run-a", 0.8)
		rq.Threshold = 0.8
		res := register(t, r, rq)
		assert.False(t, res.Registered)
		assert.Contains(t, res.Reason, "below threshold")
		assert.Nil(t, res.Champion)
		checkVersions(t, r, name)
		onlyModelsOf(t, s, name)
		rq = req(name, "run-b", 0.81)
		rq.Threshold = 0.8
		assert.True(t, register(t, r, rq).Registered)
	}},
	{"Concurrent20", func(t *testing.T, s datastore.Store, name string) {
		r := registry.New(s)
		rng := rand.New(rand.NewSource(42))
		const n = 20
		accs := make([]float64, n)
		for i := range accs {
			accs[i] = 0.6 + 0.4*rng.Float64()
		}
		results := make([]registry.Result, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = r.Register(context.Background(), req(name, fmt.Sprint("run-", i), accs[i]))
			}()
		}
		wg.Wait()
		registered := map[string]int{}
		for i, err := range errs {
			require.NoError(t, err, "run-%d", i)
			if results[i].Registered {
				registered[fmt.Sprint("run-", i)] = results[i].Version
			}
		}
		vs := checkVersions(t, r, name)
		require.NotEmpty(t, vs)
		assert.Len(t, vs, len(registered))
		seen := map[string]bool{}
		for _, v := range vs {
			assert.False(t, seen[v.Run.RunID], "%s registered twice", v.Run.RunID)
			seen[v.Run.RunID] = true
			assert.Equal(t, registered[v.Run.RunID], v.Version, "result of %s", v.Run.RunID)
		}
		sorted := append([]float64(nil), accs...)
		sort.Float64s(sorted)
		assert.Equal(t, sorted[n-1], vs[len(vs)-1].Accuracy, "champion has the best accuracy")
		onlyModelsOf(t, s, name, slices.Collect(maps.Keys(registered))...)
	}},
	{"OnClaimed", func(t *testing.T, s datastore.Store, name string) {
		r := registry.New(s)
		var claimed []int
		call := func(rq registry.RegisterRequest) registry.Result {
			rq.OnClaimed = func(n int) {
				_, err := r.ModelFile(context.Background(), name, n-1)
				assert.True(t, n == 1 || err == nil, "v%d is complete before v%d is claimed", n-1, n)
				claimed = append(claimed, n)
			}
			return register(t, r, rq)
		}
		call(req(name, "run-a", 0.9))
		call(req(name, "run-low", 0.8))
		call(req(name, "run-a", 0.9))
		call(req(name, "run-b", 0.95))
		assert.Equal(t, []int{1, 2}, claimed, "once per version claimed; not for a refusal or a retry")
	}},
	{"RequestOfARegisteredRunKeepsItsModel", func(t *testing.T, s datastore.Store, name string) {
		r := registry.New(s)
		register(t, r, req(name, "run-a", 0.9))
		register(t, r, req(name, "run-b", 0.95))
		again := req(name, "run-a", 0.9)
		again.FirstAttempt = true // wrongly: the run has registered v1
		assert.False(t, register(t, r, again).Registered)
		assert.Equal(t, `{"model":"run-a"}`, modelFile(t, r, name, 1), "v1's model file is not deleted")
		onlyModelsOf(t, s, name, "run-a", "run-b")
	}},
	{"RetrySameRun", func(t *testing.T, s datastore.Store, name string) {
		r := registry.New(s)
		first := register(t, r, req(name, "run-a", 0.9))
		again := register(t, r, req(name, "run-a", 0.9))
		assert.Equal(t, first.Version, again.Version)
		assert.True(t, again.Registered)
		register(t, r, req(name, "run-b", 0.95))
		late := register(t, r, req(name, "run-a", 0.9))
		assert.True(t, late.Registered)
		assert.Equal(t, 1, late.Version)
		assert.Equal(t, 2, late.Champion.Version)
		checkVersions(t, r, name, "run-a", "run-b")
		onlyModelsOf(t, s, name, "run-a", "run-b")
	}},
	{"CrashThenSameRun", func(t *testing.T, s datastore.Store, name string) {
		for _, layout := range []string{layoutCurrent, layoutFirst} {
			t.Run(layout, func(t *testing.T) {
				name := name + "-" + layout
				r := registry.New(s)
				crashed := req(name, "run-crashed", 0.9)
				writeCrashedClaim(t, s, crashed, 1, layout)
				res := register(t, r, crashed)
				assert.True(t, res.Registered)
				assert.Equal(t, 1, res.Version)
				checkVersions(t, r, name, "run-crashed")
				assert.Equal(t, `{"model":"run-crashed"}`, modelFile(t, r, name, 1))
				if layout == layoutCurrent {
					onlyModelsOf(t, s, name, "run-crashed")
				} else {
					onlyModelsOf(t, s, name) // the first layout's version keeps its model under versions/
				}
			})
		}
	}},
	{"CrashThenOtherRun", func(t *testing.T, s datastore.Store, name string) {
		for _, layout := range []string{layoutCurrent, layoutFirst} {
			t.Run(layout, func(t *testing.T) {
				name := name + "-" + layout
				r := registry.New(s)
				register(t, r, req(name, "run-a", 0.7))
				crashed := req(name, "run-crashed", 0.9)
				writeCrashedClaim(t, s, crashed, 2, layout)
				worse := register(t, r, req(name, "run-worse", 0.8))
				assert.False(t, worse.Registered, "the helped claim v2 (0.9) is now champion")
				assert.Equal(t, "not registered: champion is now v2 (accuracy 0.9)", worse.Reason)
				better := register(t, r, req(name, "run-better", 0.95))
				assert.Equal(t, 3, better.Version)
				res := register(t, r, crashed)
				assert.True(t, res.Registered)
				assert.Equal(t, 2, res.Version)
				checkVersions(t, r, name, "run-a", "run-crashed", "run-better")
				assert.Equal(t, `{"model":"run-crashed"}`, modelFile(t, r, name, 2))
				assert.Equal(t, `{"model":"run-a"}`, modelFile(t, r, name, 1))
				if layout == layoutCurrent {
					onlyModelsOf(t, s, name, "run-a", "run-crashed", "run-better")
				} else {
					onlyModelsOf(t, s, name, "run-a", "run-better")
				}
			})
		}
	}},
	{"TransientFailureAfterClaim", func(t *testing.T, s datastore.Store, name string) {
		flaky := &outageStore{Store: s}
		_, err := registry.New(flaky).Register(context.Background(), req(name, "run-a", 0.9))
		require.Error(t, err)
		assert.False(t, errors.Is(err, datastore.ErrPreconditionFailed) || errors.Is(err, datastore.ErrNotFound), "transient: %v", err)
		r := registry.New(s)
		res := register(t, r, req(name, "run-a", 0.9))
		assert.True(t, res.Registered)
		assert.Equal(t, 1, res.Version)
		checkVersions(t, r, name, "run-a")
	}},
	{"PropertiesWriteOnceTagsMutable", func(t *testing.T, s datastore.Store, name string) {
		ctx := context.Background()
		r := registry.New(s)
		register(t, r, req(name, "run-a", 0.9))
		require.NoError(t, r.AddProperties(ctx, name, 1, map[string]string{"data_hash": "abc"}))
		require.NoError(t, r.AddProperties(ctx, name, 1, map[string]string{"data_hash": "abc", "best_model": "svm"}), "same values are a no-op")
		err := r.AddProperties(ctx, name, 1, map[string]string{"data_hash": "xyz"})
		assert.ErrorIs(t, err, registry.ErrPropertyExists)
		assert.ErrorContains(t, err, "data_hash")
		require.NoError(t, r.SetTags(ctx, name, 1, map[string]string{"stage": "prod", "owner": "ml"}))
		require.NoError(t, r.RemoveTags(ctx, name, 1, "owner", "missing"))
		var wg sync.WaitGroup
		for i := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				assert.NoError(t, r.SetTags(ctx, name, 1, map[string]string{fmt.Sprint("k", i): "v"}))
			}()
		}
		wg.Wait()
		v, err := r.Get(ctx, name, 1)
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"data_hash": "abc", "best_model": "svm"}, v.Properties)
		assert.Equal(t, "prod", v.Tags["stage"])
		assert.NotContains(t, v.Tags, "owner")
		assert.Len(t, v.Tags, 11)
		// The run ID metadata survives tag edits, so retries still find v1.
		assert.Equal(t, 1, register(t, r, req(name, "run-a", 0.9)).Version)
		checkVersions(t, r, name, "run-a")
	}},
	{"BadInput", func(t *testing.T, s datastore.Store, name string) {
		r := registry.New(s)
		_, err := r.Register(context.Background(), req("../etc", "run-a", 0.9))
		assert.ErrorIs(t, err, datastore.ErrBadRef)
		_, err = r.Register(context.Background(), req(name, "", 0.9))
		assert.ErrorIs(t, err, datastore.ErrBadRef)
		_, err = r.Champion(context.Background(), ".hidden")
		assert.ErrorIs(t, err, datastore.ErrBadRef)
	}},
}

// outageStore fails every call after the first create-only meta.json
// write, as a store that went down mid-registration would.
type outageStore struct {
	datastore.Store
	down atomic.Bool
}

var errOutage = errors.New("injected outage: connection refused")

func (o *outageStore) Write(ctx context.Context, c, n string, r io.Reader, opts datastore.WriteOptions) (datastore.ETag, error) {
	if o.down.Load() {
		return "", errOutage
	}
	e, err := o.Store.Write(ctx, c, n, r, opts)
	if err == nil && opts.IfNoneMatch && strings.HasSuffix(n, "/meta.json") {
		o.down.Store(true)
	}
	return e, err
}

func (o *outageStore) Read(ctx context.Context, c, n string) (io.ReadCloser, datastore.Info, error) {
	if o.down.Load() {
		return nil, datastore.Info{}, errOutage
	}
	return o.Store.Read(ctx, c, n)
}

func (o *outageStore) Stat(ctx context.Context, c, n string) (datastore.Info, error) {
	if o.down.Load() {
		return datastore.Info{}, errOutage
	}
	return o.Store.Stat(ctx, c, n)
}

func TestRegistry(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range registryCases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, b.newStore(t), newName())
				})
			}
		})
	}
}
