package runctx

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
)

// updateParent is the name of the Workflow Update by which a step acts on
// its pipeline (parent) run.
const updateParent = "runctx.parent"

// defaultParentLinger is how long a step's parent changes may wait to be
// sent when PluginOptions.ParentLinger is zero.
const defaultParentLinger = 2 * time.Second

// ParentChange is one change a step makes to its parent run. It is the
// argument of the updateParent update, or rides in the step's Summary; the
// pipeline's validator refuses it whole when a write-once property would
// change. ID is unique per call of the step run (it is the update ID), so
// the pipeline applies each change once whichever way it arrives.
type ParentChange struct {
	ID         string             `json:"id,omitempty"`
	Step       string             `json:"step"`
	Tags       map[string]string  `json:"tags,omitempty"`
	RemoveTags []string           `json:"remove_tags,omitempty"`
	Properties map[string]string  `json:"properties,omitempty"`
	Metrics    map[string]float64 `json:"metrics,omitempty"`
}

// validateNames refuses a change with an empty name, before it is sent.
func (c ParentChange) validateNames() error {
	for _, m := range []struct {
		kind string
		keys map[string]string
	}{{"tag", c.Tags}, {"property", c.Properties}} {
		for k := range m.keys {
			if err := checkName(m.kind, k); err != nil {
				return err
			}
		}
	}
	for k := range c.Metrics {
		if err := checkName("metric", k); err != nil {
			return err
		}
	}
	return nil
}

// updater is the part of client.Client a Parent needs.
type updater interface {
	UpdateWorkflow(ctx context.Context, options client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error)
}

// Parent is the pipeline run of a step, as Azure ML's run.parent.
//
// A change is not sent at once: it waits up to the linger time, so that a
// short step's changes ride to the pipeline in its result (its Summary)
// and cost no workflow task of their own. Changes still waiting after the
// linger time, or when Flush is called, are sent as Workflow Updates, one
// per call, whose IDs derive from the step's run ID and the call's
// sequence number, so a retried step does not apply anything twice. A
// negative linger sends each change at once and returns the pipeline's
// verdict. An offline run's Parent does nothing.
type Parent struct {
	client     updater
	workflowID string
	runID      string
	stepRunID  string
	ctx        context.Context
	linger     time.Duration

	sending sync.Mutex // held while changes are sent, so they keep their order

	mu      sync.Mutex
	seq     int
	pending []ParentChange // not yet sent, in call order
	sent    []ParentChange // applied by update, for the step's reuse entry
	timer   *time.Timer
	err     error // the first refusal or failure of a send
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

// Apply queues tags, properties and metrics for the pipeline run as one
// change. It returns an error for an empty name, or the refusal of an
// earlier change; with a negative linger it sends the change and returns
// the pipeline's verdict.
func (p *Parent) Apply(change ParentChange) error {
	if p.client == nil {
		return nil
	}
	if err := change.validateNames(); err != nil {
		return fmt.Errorf("parent %s: %w", p.workflowID, err)
	}
	p.mu.Lock()
	if p.err != nil {
		defer p.mu.Unlock()
		return p.err
	}
	p.seq++
	change.ID = fmt.Sprintf("%s/parent/%d", p.stepRunID, p.seq)
	change.Step = p.stepRunID
	p.pending = append(p.pending, change)
	if p.linger < 0 {
		p.mu.Unlock()
		return p.Flush()
	}
	if p.timer == nil {
		p.timer = time.AfterFunc(p.linger, func() { _ = p.Flush() })
	}
	p.mu.Unlock()
	return nil
}

// Flush sends the queued changes now and returns once the pipeline has
// applied them, or the first refusal.
func (p *Parent) Flush() error {
	if p.client == nil {
		return nil
	}
	p.sending.Lock()
	defer p.sending.Unlock()
	batch, err := p.take()
	if err != nil {
		return err
	}
	for _, c := range batch {
		if err := p.send(c); err != nil {
			p.mu.Lock()
			p.err = err
			p.mu.Unlock()
			return err
		}
	}
	return nil
}

// sendFirst sends changes, then whatever else is queued.
func (p *Parent) sendFirst(changes []ParentChange) error {
	if len(changes) == 0 {
		return nil
	}
	p.mu.Lock()
	p.pending = append(changes, p.pending...)
	p.mu.Unlock()
	return p.Flush()
}

// handOff takes the changes not yet sent, to ride in the step's summary;
// it waits for a send in progress and returns an earlier refusal.
func (p *Parent) handOff() ([]ParentChange, error) {
	p.sending.Lock()
	defer p.sending.Unlock()
	return p.take()
}

// take empties the queue and stops the linger timer.
func (p *Parent) take() ([]ParentChange, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
	batch := p.pending
	p.pending = nil
	return batch, p.err
}

// send applies one change to the running workflow by an update.
func (p *Parent) send(c ParentChange) error {
	h, err := p.client.UpdateWorkflow(p.ctx, client.UpdateWorkflowOptions{
		UpdateID:     c.ID,
		WorkflowID:   p.workflowID,
		RunID:        p.runID,
		UpdateName:   updateParent,
		Args:         []any{c},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return fmt.Errorf("parent %s: update %s: %w", p.workflowID, c.ID, err)
	}
	if err := h.Get(p.ctx, nil); err != nil {
		return fmt.Errorf("parent %s: update %s: %w", p.workflowID, c.ID, err)
	}
	p.mu.Lock()
	p.sent = append(p.sent, c)
	p.mu.Unlock()
	return nil
}

// sentChanges returns the changes applied by update so far, in order.
func (p *Parent) sentChanges() []ParentChange {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.sent)
}
