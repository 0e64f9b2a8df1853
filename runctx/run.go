package runctx

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/activity"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
)

// ErrPropertyExists is returned (wrapped) when AddProperties is given a new
// value for a property that already has another one.
var ErrPropertyExists = errors.New("runctx: property already set to a different value")

// ErrInvalid is returned (wrapped) for a malformed argument: an empty name,
// a ragged confusion matrix, a table with columns of different lengths.
var ErrInvalid = layout.ErrInvalid

// Run is one run: a pipeline step (child run) or an offline run.
type Run struct {
	id, name, experiment string
	workflowID, wfRunID  string
	attempt              int32
	offline              bool
	ephemeral            bool      // no record is stored (a local activity)
	outputs              string    // datastore reference of the run's outputs folder
	started              time.Time // with its monotonic reading, which Log measures from
	parent               *Parent
	store                storage
	step                 string             // the step's name: its activity ID
	data                 datastore.Resolver // what ReadData reads through

	mu         sync.Mutex
	metrics    map[string]*series
	lists      map[string][]float64
	tables     map[string]map[string][]any
	cms        map[string]ConfusionMatrix
	images     map[string]string
	tags       map[string]string
	properties map[string]string
	status     string
	errText    string
	// parentChanges were handed to a summary by Complete, not sent.
	parentChanges []ParentChange
	written       bool
	inputs        []layout.DataInput // data read through ReadData
	uploads       []string           // references written by Upload
	reusedFrom    string             // the run this one reuses
}

func newRun(id, name string) *Run {
	return &Run{
		id:         id,
		name:       name,
		started:    time.Now(),
		metrics:    map[string]*series{},
		lists:      map[string][]float64{},
		tables:     map[string]map[string][]any{},
		cms:        map[string]ConfusionMatrix{},
		images:     map[string]string{},
		tags:       map[string]string{},
		properties: map[string]string{},
		status:     StatusRunning,
	}
}

type runKey struct{}

// WithRun returns a context that carries run; FromContext returns it.
func WithRun(ctx context.Context, run *Run) context.Context {
	return context.WithValue(ctx, runKey{}, run)
}

var (
	offlineOnce sync.Once
	offlineRun  *Run
)

// ErrNoPlugin is returned (wrapped) by FromContext in an activity of a
// worker that runs without the plugin.
var ErrNoPlugin = errors.New("runctx: the worker runs without the runctx plugin")

// FromContext returns the run of the step executing in ctx, as Azure ML's
// Run.get_context(). Outside any activity (a plain program, a test) it
// returns the process's offline run, created on first use and recording to
// ./outputs, as Run.get_context() does when not submitted. In an activity
// of a worker without the plugin it returns an error wrapping ErrNoPlugin
// that says how to add it.
func FromContext(ctx context.Context) (*Run, error) {
	if r, ok := ctx.Value(runKey{}).(*Run); ok {
		return r, nil
	}
	if activity.IsActivity(ctx) {
		return nil, fmt.Errorf("%w: activity %s has no run; add runctx.NewPlugin(…) to the Plugins of the client (or worker) options, "+
			"or give it a run with runctx.WithRun(ctx, runctx.NewOffline(dir)) to run it outside Temporal",
			ErrNoPlugin, activity.GetInfo(ctx).ActivityType.Name)
	}
	offlineOnce.Do(func() { offlineRun = NewOffline("outputs") })
	return offlineRun, nil
}

// NewOffline returns a new offline run that records into dir.
func NewOffline(dir string) *Run {
	r := newRun("OfflineRun_"+uuid.NewString(), "offline")
	r.offline = true
	r.outputs = dir
	r.store = localStorage{}
	r.data = datastore.Resolver{Local: datastore.NewLocal("/")}
	r.parent = &Parent{}
	return r
}

// ID returns the run ID: for a step, the workflow ID and the activity ID,
// stable across retries; offline, OfflineRun_<uuid>.
func (r *Run) ID() string { return r.id }

// Name returns the run's name: its activity type for a Go step, the
// step's name (ScriptStep.Name) for a script step.
func (r *Run) Name() string { return r.name }

// Experiment returns the experiment the pipeline belongs to ("" offline).
func (r *Run) Experiment() string { return r.experiment }

// IsOffline reports whether the run is not part of a pipeline.
func (r *Run) IsOffline() bool { return r.offline }

// Parent returns the pipeline run. It is never nil; offline it does nothing.
func (r *Run) Parent() *Parent { return r.parent }

// Outputs returns the datastore reference of the run's outputs folder: a
// prefix under the pipeline's outputs online, a local folder offline.
func (r *Run) Outputs() string { return r.outputs }

func checkName(kind, name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty %s name", ErrInvalid, kind)
	}
	return nil
}
