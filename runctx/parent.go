package runctx

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"go.temporal.io/sdk/client"
)

// UpdateParent is the name of the Workflow Update by which a step acts on
// its pipeline (parent) run.
const UpdateParent = "runctx.parent"

// ParentChange is one change a step makes to its parent run. It is the
// argument of the UpdateParent update; the pipeline's validator refuses it
// whole when a write-once property would change.
type ParentChange struct {
	Step       string             `json:"step"`
	Tags       map[string]string  `json:"tags,omitempty"`
	RemoveTags []string           `json:"remove_tags,omitempty"`
	Properties map[string]string  `json:"properties,omitempty"`
	Metrics    map[string]float64 `json:"metrics,omitempty"`
}

// updater is the part of client.Client a Parent needs.
type updater interface {
	UpdateWorkflow(ctx context.Context, options client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error)
}

// Parent is the pipeline run of a step, as Azure ML's run.parent. Each call
// is applied to the running workflow by a Workflow Update whose ID is derived
// from the step's run ID and the call's sequence number, so a retried step
// does not apply anything twice. An offline run's Parent does nothing.
type Parent struct {
	client     updater
	workflowID string
	runID      string
	stepRunID  string
	ctx        context.Context

	mu  sync.Mutex
	seq int
}

// Tag sets one tag on the pipeline run.
func (p *Parent) Tag(key, value string) error {
	return p.Apply(ParentChange{Tags: map[string]string{key: value}})
}

// SetTags sets tags on the pipeline run.
func (p *Parent) SetTags(tags map[string]string) error {
	return p.Apply(ParentChange{Tags: maps.Clone(tags)})
}

// RemoveTags removes tags from the pipeline run.
func (p *Parent) RemoveTags(keys ...string) error {
	return p.Apply(ParentChange{RemoveTags: keys})
}

// AddProperties adds write-once properties to the pipeline run; a different
// value for an existing key is refused by the workflow (ErrPropertyExists in
// the message).
func (p *Parent) AddProperties(props map[string]string) error {
	return p.Apply(ParentChange{Properties: maps.Clone(props)})
}

// Log appends a value to a metric series of the pipeline run.
func (p *Parent) Log(name string, value float64) error {
	return p.Apply(ParentChange{Metrics: map[string]float64{name: value}})
}

// IsOffline reports whether the parent is inert (the run is offline).
func (p *Parent) IsOffline() bool { return p.client == nil }

// Apply sends tags, properties and metrics to the pipeline run in one
// update, and returns once the workflow has applied or refused it.
func (p *Parent) Apply(change ParentChange) error {
	if p.client == nil {
		return nil
	}
	p.mu.Lock()
	p.seq++
	id := fmt.Sprintf("%s/parent/%d", p.stepRunID, p.seq)
	p.mu.Unlock()
	change.Step = p.stepRunID
	h, err := p.client.UpdateWorkflow(p.ctx, client.UpdateWorkflowOptions{
		UpdateID:     id,
		WorkflowID:   p.workflowID,
		RunID:        p.runID,
		UpdateName:   UpdateParent,
		Args:         []any{change},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return fmt.Errorf("parent %s: update %s: %w", p.workflowID, id, err)
	}
	if err := h.Get(p.ctx, nil); err != nil {
		return fmt.Errorf("parent %s: update %s: %w", p.workflowID, id, err)
	}
	return nil
}
