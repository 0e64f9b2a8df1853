package runctx

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"time"
)

// Complete ends the run: it writes the run's record, one JSON document,
// and returns the summary that belongs in workflow history. stepErr is the
// step's error, if it failed; the record is written either way. Calling
// Complete again rewrites the record only to mark a completed run failed
// (the step failed after completing its run). A local activity's run keeps
// no record.
func (r *Run) Complete(ctx context.Context, stepErr error) (Summary, error) {
	r.mu.Lock()
	if r.written && (stepErr == nil || r.status == StatusFailed) {
		s := r.summaryLocked()
		r.mu.Unlock()
		return s, nil
	}
	r.status, r.errText = StatusCompleted, ""
	if stepErr != nil {
		r.status, r.errText = StatusFailed, stepErr.Error()
	}
	if r.ephemeral {
		r.written = true
		s := r.summaryLocked()
		r.mu.Unlock()
		return s, nil
	}
	rec := r.recordLocked()
	r.mu.Unlock()

	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(rec); err != nil {
		return Summary{}, fmt.Errorf("run %s: encode record: %w", r.id, err)
	}
	if err := r.store.Put(ctx, r.RecordRef(), &buf, "application/json"); err != nil {
		return Summary{}, fmt.Errorf("run %s: write record %s: %w", r.id, r.RecordRef(), err)
	}
	r.mu.Lock()
	r.written = true
	s := r.summaryLocked()
	r.mu.Unlock()
	return s, nil
}

// Summary returns the run's summary as it stands.
func (r *Run) Summary() Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.summaryLocked()
}

func (r *Run) summaryLocked() Summary {
	ref := r.RecordRef()
	if r.ephemeral {
		ref = ""
	}
	return Summary{
		RunID:      r.id,
		Name:       r.name,
		Status:     r.status,
		RecordRef:  ref,
		Tags:       maps.Clone(r.tags),
		Properties: maps.Clone(r.properties),
		Metrics:    r.lastValues(),
	}
}

// Record returns a snapshot of everything the run logged.
func (r *Run) Record() Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.recordLocked()
}

func (r *Run) recordLocked() Record {
	rec := Record{
		RunID:             r.id,
		Name:              r.name,
		Experiment:        r.experiment,
		WorkflowID:        r.workflowID,
		WorkflowRunID:     r.wfRunID,
		Attempt:           r.attempt,
		Offline:           r.offline,
		Status:            r.status,
		Error:             r.errText,
		Started:           r.started.UTC(),
		Ended:             time.Now().UTC(),
		Tags:              maps.Clone(r.tags),
		Properties:        maps.Clone(r.properties),
		Metrics:           make(map[string][]Point, len(r.metrics)),
		Lists:             maps.Clone(r.lists),
		Tables:            maps.Clone(r.tables),
		ConfusionMatrices: maps.Clone(r.cms),
		Images:            maps.Clone(r.images),
		Outputs:           r.outputs,
	}
	for name, s := range r.metrics {
		rec.Metrics[name] = s.points()
	}
	return rec
}

// ReadRecord reads a stored record back.
func ReadRecord(ctx context.Context, store Storage, ref string) (*Record, error) {
	rc, err := store.Get(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("read record %s: %w", ref, err)
	}
	defer rc.Close()
	var rec Record
	if err := json.NewDecoder(rc).Decode(&rec); err != nil {
		return nil, fmt.Errorf("decode record %s: %w", ref, err)
	}
	return &rec, nil
}
