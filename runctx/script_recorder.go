package runctx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
	"github.com/temporal-ml/runctx-pipeline/internal/script"
	"github.com/temporal-ml/runctx-pipeline/registry"
)

// scriptRecorder records what a script sends over the bridge into the
// step's run, through the same methods a Go step calls.
//
// The parent ops of one batch are gathered into as few ParentChanges as
// their order allows (a change holds one value per tag, property and
// metric), so a batch costs the pipeline one change, not one per op.
type scriptRecorder struct {
	run    *Run
	client client.Client      // nil: the pipeline cannot be read
	models *registry.Registry // nil: /v1/models answers 501

	mu       sync.Mutex
	batch    *ParentChange // the batch's parent ops not yet queued
	batchOps int           // how many ops batch holds
}

var (
	_ script.Recorder = (*scriptRecorder)(nil)
	_ script.Batcher  = (*scriptRecorder)(nil)
)

// clientOf returns the activity's client, or nil where the activity has
// none (activity.GetClient panics then).
func clientOf(ctx context.Context) (c client.Client) {
	defer func() {
		if recover() != nil {
			c = nil
		}
	}()
	return activity.GetClient(ctx)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// kind marks err with the bridge's kind for it.
func kind(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrPropertyExists):
		return script.WithKind(err, script.ErrPropertyExists)
	case errors.Is(err, ErrInvalid), errors.Is(err, datastore.ErrBadRef):
		return script.WithKind(err, script.ErrInvalid)
	case errors.Is(err, datastore.ErrNotFound):
		return script.WithKind(err, script.ErrNotFound)
	}
	return err
}

// Record applies one op to the run, or gathers it into the batch's
// parent change.
func (r *scriptRecorder) Record(ctx context.Context, op script.Op) error {
	run := r.run
	if op.Target == script.TargetParent {
		return r.parentOp(ctx, op)
	}
	switch op.Op {
	case "log":
		if err := checkName("metric", op.Name); err != nil {
			return kind(err)
		}
		run.Log(op.Name, op.Number)
		return nil
	case "log_list":
		return kind(run.LogList(op.Name, op.Values))
	case "log_row":
		return kind(run.LogRow(op.Name, op.Row))
	case "log_table":
		return kind(run.LogTable(op.Name, op.Columns))
	case "log_confusion_matrix":
		return kind(run.LogConfusionMatrix(op.Name, op.Matrix.Data.ClassLabels, op.Matrix.Data.Matrix))
	case "add_properties":
		return kind(run.AddProperties(op.Properties))
	case "tag":
		return kind(run.Tag(op.Key, op.Text))
	case "set_tags":
		return kind(run.SetTags(op.Tags))
	case "remove_tags":
		run.RemoveTags(op.Keys...)
		return nil
	}
	return fmt.Errorf("%w: op %q", script.ErrNotImplemented, op.Op)
}

// parentOp gathers a parent op into the batch's change, queueing the
// change first when the op cannot join it (a metric logged twice, a tag
// set and removed). A property that would change one the pipeline has is
// refused at once (409 to the script), not when the change reaches the
// workflow.
func (r *scriptRecorder) parentOp(ctx context.Context, op script.Op) error {
	var c ParentChange
	switch op.Op {
	case "log":
		c.Metrics = map[string]float64{op.Name: op.Number}
	case "tag":
		c.Tags = map[string]string{op.Key: op.Text}
	case "set_tags":
		c.Tags = maps.Clone(op.Tags)
	case "remove_tags":
		c.RemoveTags = slices.Clone(op.Keys)
	case "add_properties":
		c.Properties = maps.Clone(op.Properties)
	default:
		return fmt.Errorf("%w: op %q on the parent", script.ErrNotImplemented, op.Op)
	}
	if err := c.validateNames(); err != nil {
		return kind(fmt.Errorf("parent %s: %w", r.run.workflowID, err))
	}
	if len(c.Properties) > 0 && r.client != nil {
		p, err := r.parentRecord(ctx)
		if err != nil {
			return err
		}
		if err := mergeProperties(maps.Clone(p.Properties), c.Properties); err != nil {
			return kind(fmt.Errorf("parent %s: %w", r.run.workflowID, err))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.batch != nil && !joins(*r.batch, c) {
		if err := r.queueLocked(); err != nil {
			return err
		}
	}
	if r.batch == nil {
		r.batch = &ParentChange{}
	}
	b := r.batch
	b.Tags = mergeMap(b.Tags, c.Tags)
	b.Properties = mergeMap(b.Properties, c.Properties)
	b.Metrics = mergeMap(b.Metrics, c.Metrics)
	b.RemoveTags = append(b.RemoveTags, c.RemoveTags...)
	r.batchOps++
	return nil
}

// joins reports whether c can join b without changing what applying
// them one after the other means.
func joins(b, c ParentChange) bool {
	for k := range c.Metrics {
		if _, ok := b.Metrics[k]; ok {
			return false
		}
	}
	for k := range c.Tags {
		if slices.Contains(b.RemoveTags, k) {
			return false
		}
	}
	for _, k := range c.RemoveTags {
		if _, ok := b.Tags[k]; ok {
			return false
		}
	}
	return true
}

func mergeMap[V any](dst, src map[string]V) map[string]V {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]V, len(src))
	}
	maps.Copy(dst, src)
	return dst
}

// queueLocked hands the batch's change to the run's Parent, as a Go
// step's calls do.
func (r *scriptRecorder) queueLocked() error {
	if r.batch == nil {
		return nil
	}
	c := *r.batch
	r.batch, r.batchOps = nil, 0
	return kind(r.run.parent.Apply(c))
}

// EndBatch queues the batch's parent change (script.Batcher).
func (r *scriptRecorder) EndBatch(context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.batchOps
	if err := r.queueLocked(); err != nil {
		return n, err
	}
	return 0, nil
}

// parentFolder is where files of the pipeline run go: ".parent" in the
// pipeline's outputs folder.
func (r *scriptRecorder) parentFolder() string {
	return layout.Join(strings.TrimSuffix(r.run.outputs, "/"+r.run.step), ".parent")
}

func (r *scriptRecorder) fileRef(target script.Target, name string) (string, error) {
	base := r.run.outputs
	if target == script.TargetParent {
		base = r.parentFolder()
	}
	ref, err := layout.JoinRef(base, name)
	return ref, kind(err)
}

// PutFile uploads a file of the run (Run.Upload) or of the pipeline.
func (r *scriptRecorder) PutFile(ctx context.Context, target script.Target, name, contentType string, body io.Reader) (string, error) {
	if target == script.TargetRun {
		ref, err := r.run.Upload(ctx, name, contentType, body)
		return ref, kind(err)
	}
	ref, err := r.fileRef(target, name)
	if err != nil {
		return "", err
	}
	if err := r.run.store.Put(ctx, ref, body, contentType); err != nil {
		return "", kind(fmt.Errorf("parent %s: upload %s: %w", r.run.workflowID, name, err))
	}
	return ref, nil
}

// GetFile opens a file of the run or of the pipeline.
func (r *scriptRecorder) GetFile(ctx context.Context, target script.Target, name string) (io.ReadCloser, error) {
	ref, err := r.fileRef(target, name)
	if err != nil {
		return nil, err
	}
	rc, err := r.run.store.Get(ctx, ref)
	return rc, kind(err)
}

// LogImage records a PNG as the run's image.
func (r *scriptRecorder) LogImage(ctx context.Context, name string, png []byte) error {
	return kind(r.run.LogImage(ctx, name, png))
}

// Run returns the step's run as it stands.
func (r *scriptRecorder) Run(context.Context) (script.RunView, error) {
	run := r.run
	run.mu.Lock()
	status := run.status
	var files []string
	for _, u := range run.uploads {
		files = append(files, strings.TrimPrefix(strings.TrimPrefix(u, run.outputs), "/"))
	}
	run.mu.Unlock()
	return script.RunView{
		ID: run.id, Name: run.step, Experiment: run.experiment, Status: status, ParentID: run.workflowID,
		Metrics: run.GetMetrics(), Tags: run.GetTags(), Properties: run.GetProperties(), Files: files,
	}, nil
}

// parentRecord queries the pipeline (QueryRun) and applies this step's
// changes not yet sent to it.
func (r *scriptRecorder) parentRecord(ctx context.Context) (ParentRecord, error) {
	if r.client == nil {
		return ParentRecord{}, fmt.Errorf("%w: the pipeline cannot be read outside a worker", script.ErrNotImplemented)
	}
	v, err := r.client.QueryWorkflow(ctx, r.run.workflowID, r.run.wfRunID, QueryRun)
	if err != nil {
		return ParentRecord{}, fmt.Errorf("query pipeline %s: %w", r.run.workflowID, err)
	}
	var rec ParentRecord
	if err := v.Get(&rec); err != nil {
		return ParentRecord{}, fmt.Errorf("query pipeline %s: %w", r.run.workflowID, err)
	}
	if rec.Tags == nil {
		rec.Tags = map[string]string{}
	}
	if rec.Properties == nil {
		rec.Properties = map[string]string{}
	}
	if rec.Metrics == nil {
		rec.Metrics = map[string][]float64{}
	}
	for _, c := range r.unsent() {
		maps.Copy(rec.Tags, c.Tags)
		for _, k := range c.RemoveTags {
			delete(rec.Tags, k)
		}
		maps.Copy(rec.Properties, c.Properties)
		for _, name := range sortedKeys(c.Metrics) {
			rec.Metrics[name] = append(rec.Metrics[name], c.Metrics[name])
		}
	}
	return rec, nil
}

// unsent returns this step's parent changes the pipeline has not
// applied: those handed to its summary, those queued in its Parent, and
// the batch being gathered. (A change sent by update is already in the
// pipeline's record.)
func (r *scriptRecorder) unsent() []ParentChange {
	r.run.mu.Lock()
	changes := slices.Clone(r.run.parentChanges)
	r.run.mu.Unlock()
	p := r.run.parent
	p.mu.Lock()
	changes = append(changes, p.pending...)
	p.mu.Unlock()
	r.mu.Lock()
	if r.batch != nil {
		changes = append(changes, *r.batch)
	}
	r.mu.Unlock()
	return changes
}

// Parent returns the pipeline run now, with this step's changes.
func (r *scriptRecorder) Parent(ctx context.Context) (script.ParentView, error) {
	rec, err := r.parentRecord(ctx)
	if err != nil {
		return script.ParentView{}, err
	}
	return script.ParentView{
		ID: rec.WorkflowID, Experiment: rec.Experiment, Status: StatusRunning,
		Tags: rec.Tags, Properties: rec.Properties, Metrics: rec.Metrics,
	}, nil
}

// Children returns the pipeline's steps so far; this step's own tags and
// metrics are its run's now.
func (r *scriptRecorder) Children(ctx context.Context) ([]script.ChildView, error) {
	rec, err := r.parentRecord(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]script.ChildView, 0, len(rec.Steps))
	for _, s := range rec.Steps {
		c := script.ChildView{Name: s.Name, RunID: s.RunID, Status: s.Status, Tags: s.Tags, Metrics: s.Metrics}
		if s.RunID == r.run.id {
			c.Tags = r.run.GetTags()
			r.run.mu.Lock()
			c.Metrics = r.run.lastValues()
			r.run.mu.Unlock()
		}
		out = append(out, c)
	}
	return out, nil
}

// RunByID returns this step's run, the pipeline, or another step of it
// (from its stored record once it has one).
func (r *scriptRecorder) RunByID(ctx context.Context, id string) (script.RunView, error) {
	if id == r.run.id {
		return r.Run(ctx)
	}
	rec, err := r.parentRecord(ctx)
	if err != nil {
		return script.RunView{}, err
	}
	if id == rec.WorkflowID {
		return script.RunView{ID: id, Name: id, Experiment: rec.Experiment, Status: StatusRunning,
			Metrics: rec.Metrics, Tags: rec.Tags, Properties: rec.Properties}, nil
	}
	for _, s := range rec.Steps {
		if s.RunID != id {
			continue
		}
		v := script.RunView{ID: id, Name: s.Name, Experiment: rec.Experiment, Status: s.Status, ParentID: rec.WorkflowID,
			Tags: s.Tags, Properties: s.Properties, Metrics: map[string][]float64{}}
		for k, m := range s.Metrics {
			v.Metrics[k] = []float64{m}
		}
		if s.RecordRef != "" {
			if full, err := ReadRecord(ctx, r.run.data, s.RecordRef); err == nil {
				v.Tags, v.Properties = full.Tags, full.Properties
				for k, pts := range full.Metrics {
					vals := make([]float64, len(pts))
					for i, p := range pts {
						vals[i] = p.Value
					}
					v.Metrics[k] = vals
				}
			}
		}
		return v, nil
	}
	return script.RunView{}, fmt.Errorf("%w: no run %s in pipeline %s", script.ErrNotFound, id, rec.WorkflowID)
}
