package runctx

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
)

// Query names a pipeline answers.
const (
	QueryRun     = "run"
	QuerySteps   = "steps"
	queryMetrics = "metrics"
)

// StatusSkipped is the status of a step that did not run (SkipStep).
const StatusSkipped = "Skipped"

// PipelineOptions configure StartPipeline.
type PipelineOptions struct {
	// Experiment groups pipelines, as Azure ML's experiment; it names the
	// folder the pipeline's runs record in. Default: the workflow type.
	Experiment string
	// Outputs is the data reference under which this pipeline's steps
	// record, in place of the worker's PluginOptions.Runs; each step
	// records under <Outputs>/<experiment>/<workflow ID>/<step>/.
	// Default: the worker's.
	Outputs string
	// NoReuse runs every step of this pipeline run, even those whose
	// StepOptions.Reuse is set.
	NoReuse bool
	// Attributes publish more parent tags as typed search attributes, for
	// this run only, beside those Declare gives the workflow type. They
	// must exist on the namespace before the pipeline starts: the plugin
	// creates only the declared ones.
	Attributes []TagAttribute
}

// ParentRecord is the pipeline run as the "run" query returns it.
type ParentRecord struct {
	WorkflowID string               `json:"workflow_id"`
	RunID      string               `json:"run_id"`
	Experiment string               `json:"experiment"`
	Tags       map[string]string    `json:"tags"`
	Properties map[string]string    `json:"properties"`
	Metrics    map[string][]float64 `json:"metrics"`
	Steps      []StepInfo           `json:"steps"`
}

// StepInfo is one child run as the "steps" query returns it.
type StepInfo struct {
	Name       string             `json:"name"`
	RunID      string             `json:"run_id"`
	Status     string             `json:"status"`
	Reason     string             `json:"reason,omitempty"`
	RecordRef  string             `json:"record_ref,omitempty"`
	Tags       map[string]string  `json:"tags,omitempty"`
	Properties map[string]string  `json:"properties,omitempty"`
	Metrics    map[string]float64 `json:"metrics,omitempty"`
	// ReusedFrom names the run a Reused step took its results from.
	ReusedFrom string `json:"reused_from,omitempty"`
	// Started and Ended are the workflow's times (workflow.Now) when the
	// step was scheduled and when its end reached the workflow.
	Started time.Time `json:"started,omitzero"`
	Ended   time.Time `json:"ended,omitzero"`
}

// Pipeline is the parent run, kept inside the workflow: it takes the steps'
// parent changes (by update or in their summaries), publishes tags as search
// attributes and memo, and answers the run, steps and metrics queries.
type Pipeline struct {
	attrs   map[string]TagAttribute
	rec     ParentRecord
	applied map[string]bool // IDs of the steps' changes applied
	index   map[string]int  // rec.Steps by name
	// rows holds each step's row of the current details, rendered when
	// the step changes: a sweep of n trials publishes 2n times, and
	// rendering every step each time made that quadratic.
	rows []string
}

// StartPipeline makes the workflow a pipeline run: it returns a context
// whose steps (ExecuteStep) are the pipeline's child runs, and installs the
// update handler by which steps change the parent, and the queries. The
// parent tags the workflow type declares (Declare) become search
// attributes.
//
// StartPipeline refuses, with a non-retryable error of type
// "InvalidName", an experiment or workflow ID that is not one path
// segment (1 to 255 bytes, not "." or "..", no '/', '\' or control
// characters) and Outputs that is not a data reference.
//
// workflowcheck flags its map iteration; it is order-independent (sorted
// keys, or copies into maps), so it is deterministic.
//
//workflowcheck:ignore
func StartPipeline(ctx workflow.Context, opts PipelineOptions) (workflow.Context, *Pipeline, error) {
	info := workflow.GetInfo(ctx)
	if opts.Experiment == "" {
		opts.Experiment = info.WorkflowType.Name
	}
	// The experiment, the workflow ID and the outputs become a path: they
	// are checked before any join, and refused with a
	// non-retryable error of type "InvalidName".
	if err := layout.ValidateSegment("experiment", opts.Experiment); err != nil {
		return ctx, nil, invalidName(err)
	}
	if err := layout.ValidateSegment("workflow ID", info.WorkflowExecution.ID); err != nil {
		return ctx, nil, invalidName(err)
	}
	sc := scope{Experiment: opts.Experiment, NoReuse: opts.NoReuse}
	if opts.Outputs != "" {
		if _, err := datastore.ParsePrefix(opts.Outputs); err != nil {
			return ctx, nil, invalidName(fmt.Errorf("%w: outputs: %w", ErrInvalid, err))
		}
		outputs, err := layout.CheckedPipelineOutputs(opts.Outputs, opts.Experiment, info.WorkflowExecution.ID)
		if err != nil {
			return ctx, nil, invalidName(err)
		}
		sc.Outputs = outputs
	}
	p := &Pipeline{attrs: map[string]TagAttribute{}, applied: map[string]bool{}, index: map[string]int{}, rec: ParentRecord{
		WorkflowID: info.WorkflowExecution.ID,
		RunID:      info.WorkflowExecution.RunID,
		Experiment: opts.Experiment,
		Tags:       map[string]string{},
		Properties: map[string]string{},
		Metrics:    map[string][]float64{},
	}}
	for _, a := range declared(info.WorkflowType.Name) {
		p.attrs[a.Tag] = a
	}
	for _, a := range opts.Attributes {
		p.attrs[a.Tag] = a
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, updateParent,
		func(ctx workflow.Context, c ParentChange) error { return p.Apply(ctx, c) },
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, c ParentChange) error { return p.validate(c) }})
	if err != nil {
		return ctx, nil, err
	}
	queries := map[string]any{
		QueryRun:     func() (ParentRecord, error) { return p.Record(), nil },
		QuerySteps:   func() ([]StepInfo, error) { return p.Record().Steps, nil },
		queryMetrics: func() (map[string][]float64, error) { return p.Record().Metrics, nil },
	}
	for _, name := range slices.Sorted(maps.Keys(queries)) {
		if err := workflow.SetQueryHandler(ctx, name, queries[name]); err != nil {
			return ctx, nil, err
		}
	}
	ctx = workflow.WithValue(ctx, scopeKey{}, sc)
	return workflow.WithValue(ctx, pipelineKey{}, p), p, nil
}

// Record returns a copy of the parent record.
//
// workflowcheck flags its map iteration; it is order-independent (sorted
// keys, or copies into maps), so it is deterministic.
//
//workflowcheck:ignore
func (p *Pipeline) Record() ParentRecord {
	r := p.rec
	r.Tags = maps.Clone(p.rec.Tags)
	r.Properties = maps.Clone(p.rec.Properties)
	r.Metrics = maps.Clone(p.rec.Metrics)
	r.Steps = slices.Clone(p.rec.Steps)
	return r
}

// validate refuses a change that would rewrite a write-once property or
// give a typed search attribute a value of the wrong type.
//
// workflowcheck flags its map iteration; it is order-independent (sorted
// keys, or copies into maps), so it is deterministic.
//
//workflowcheck:ignore
func (p *Pipeline) validate(c ParentChange) error {
	if err := c.validateNames(); err != nil {
		return err
	}
	for k, v := range c.Properties {
		if old, ok := p.rec.Properties[k]; ok && old != v {
			return fmt.Errorf("%w: %q is %q, not %q", ErrPropertyExists, k, old, v)
		}
	}
	for k, v := range c.Tags {
		if a, ok := p.attrs[k]; ok {
			if _, err := a.set(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// Apply applies a change to the parent run and publishes it: typed search
// attributes, the memo (tags, properties) and the current details. A step's
// change (one with an ID) is applied once, however often it arrives.
//
// workflowcheck flags its map iteration; it is order-independent (sorted
// keys, or copies into maps), so it is deterministic.
//
//workflowcheck:ignore
func (p *Pipeline) Apply(ctx workflow.Context, c ParentChange) error {
	if c.ID != "" && p.applied[c.ID] {
		return nil
	}
	if err := p.validate(c); err != nil {
		return err
	}
	if c.ID != "" {
		p.applied[c.ID] = true
	}
	var updates []temporal.SearchAttributeUpdate
	for _, k := range slices.Sorted(maps.Keys(c.Tags)) {
		p.rec.Tags[k] = c.Tags[k]
		if a, ok := p.attrs[k]; ok {
			u, _ := a.set(c.Tags[k])
			updates = append(updates, u)
		}
	}
	for _, k := range c.RemoveTags {
		if _, ok := p.rec.Tags[k]; !ok {
			continue
		}
		delete(p.rec.Tags, k)
		if a, ok := p.attrs[k]; ok {
			updates = append(updates, a.unset)
		}
	}
	maps.Copy(p.rec.Properties, c.Properties)
	for _, k := range slices.Sorted(maps.Keys(c.Metrics)) {
		p.rec.Metrics[k] = append(p.rec.Metrics[k], c.Metrics[k])
	}
	if len(updates) > 0 {
		if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
			return fmt.Errorf("runctx: upsert search attributes: %w", err)
		}
	}
	if len(c.Tags)+len(c.RemoveTags)+len(c.Properties) > 0 {
		if err := workflow.UpsertMemo(ctx, map[string]any{layout.MemoTags: p.rec.Tags, layout.MemoProperties: p.rec.Properties}); err != nil {
			return fmt.Errorf("runctx: upsert memo: %w", err)
		}
	}
	p.publishDetails(ctx, -1)
	return nil
}

// step returns the index of the named step in rec.Steps, adding it when
// it is new.
func (p *Pipeline) step(name string) int {
	if i, ok := p.index[name]; ok {
		return i
	}
	p.rec.Steps = append(p.rec.Steps, StepInfo{Name: name, RunID: layout.StepRunID(p.rec.WorkflowID, name)})
	p.rows = append(p.rows, "")
	p.index[name] = len(p.rec.Steps) - 1
	return len(p.rec.Steps) - 1
}

// StepStarted marks a step (named by its activity ID) as running.
func (p *Pipeline) StepStarted(ctx workflow.Context, name string) {
	i := p.step(name)
	st := &p.rec.Steps[i]
	if st.Status != StatusRunning { // a step run in parts started with its first
		st.Started = workflow.Now(ctx)
	}
	st.Status = StatusRunning
	p.publishDetails(ctx, i)
}

// StepEnded records a step's summary, or its error, and applies the parent
// changes that rode in the summary. It returns the step's error, or else
// the error of a change the pipeline refuses (a write-once property given
// another value), so that the workflow has one error to look at.
func (p *Pipeline) StepEnded(ctx workflow.Context, name string, s Summary, err error) error {
	i := p.step(name)
	st := &p.rec.Steps[i]
	st.Status, st.RecordRef, st.Ended = StatusCompleted, s.RecordRef, workflow.Now(ctx)
	st.Tags, st.Properties, st.Metrics = s.Tags, s.Properties, s.Metrics
	if s.Status == StatusReused {
		st.Status, st.ReusedFrom = StatusReused, s.ReusedFrom
	}
	if err != nil {
		st.Status, st.Reason = StatusFailed, err.Error()
	}
	p.publishDetails(ctx, i)
	for _, c := range s.Parent {
		if aerr := p.Apply(ctx, c); aerr != nil {
			if err == nil {
				err = fmt.Errorf("step %s: parent change %s: %w", name, c.ID, aerr)
			}
			break
		}
	}
	return err
}

// StepSkipped records that a step did not run, and why.
func (p *Pipeline) StepSkipped(ctx workflow.Context, name, reason string) {
	i := p.step(name)
	st := &p.rec.Steps[i]
	st.Status, st.Reason = StatusSkipped, reason
	p.publishDetails(ctx, i)
}

// publishDetails sets the workflow's current details, shown in the Web UI,
// to a markdown table of the steps and their headline metrics, after
// rendering the row of step changed again (-1: no step changed).
//
// workflowcheck flags its map iteration; it is order-independent (sorted
// keys), so it is deterministic.
//
//workflowcheck:ignore
func (p *Pipeline) publishDetails(ctx workflow.Context, changed int) {
	if changed >= 0 {
		p.rows[changed] = detailsRow(p.rec.Steps[changed])
	}
	var b strings.Builder
	b.WriteString("| step | status | metrics |\n|---|---|---|\n")
	for _, r := range p.rows {
		b.WriteString(r)
	}
	if len(p.rec.Tags) > 0 {
		b.WriteString("\n**tags**: ")
		for i, k := range slices.Sorted(maps.Keys(p.rec.Tags)) {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s=%s", k, p.rec.Tags[k])
		}
		b.WriteString("\n")
	}
	workflow.SetCurrentDetails(ctx, b.String())
}

// detailsRow is a step's row of the current details.
//
// workflowcheck flags its map iteration; it is order-independent (sorted
// keys), so it is deterministic.
//
//workflowcheck:ignore
func detailsRow(s StepInfo) string {
	var ms []string
	for _, k := range slices.Sorted(maps.Keys(s.Metrics)) {
		ms = append(ms, fmt.Sprintf("%s %.4g", k, s.Metrics[k]))
	}
	if s.Reason != "" {
		ms = append(ms, s.Reason)
	}
	if s.ReusedFrom != "" {
		ms = append(ms, "reused from "+layout.ReusedFromName(s.Name, s.ReusedFrom))
	}
	return fmt.Sprintf("| %s | %s | %s |\n", s.Name, s.Status, strings.Join(ms, ", "))
}
