package runctx

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// Complete ends the run: it writes the run's record, one JSON document,
// and returns the summary that belongs in workflow history, with the parent
// changes not yet sent: return it in the step's result (see summarizer).
// stepErr is the step's error, if it failed; the record is written either
// way. Calling Complete again rewrites the record only to mark a completed
// run failed (the step failed after completing its run). A local
// activity's run keeps no record.
func (r *Run) Complete(ctx context.Context, stepErr error) (Summary, error) {
	changes, perr := r.parent.handOff()
	r.mu.Lock()
	r.parentChanges = append(r.parentChanges, changes...)
	r.mu.Unlock()
	if perr != nil && stepErr == nil {
		stepErr = perr
	}
	s, err := r.complete(ctx, stepErr)
	if err == nil {
		err = perr
	}
	return s, err
}

func (r *Run) complete(ctx context.Context, stepErr error) (Summary, error) {
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
		Parent:     slices.Clone(r.parentChanges),
		ReusedFrom: r.reusedFrom,
	}
}

// sendUndelivered sends the parent changes that will not reach the
// pipeline in the step's result: those queued after Complete, and those
// in the summary when the step failed or its result does not carry it.
func (r *Run) sendUndelivered(result any, succeeded bool) error {
	late, _ := r.parent.handOff()
	r.mu.Lock()
	handed := r.parentChanges
	r.mu.Unlock()
	if !succeeded || !r.carries(result, handed) {
		late = append(slices.Clone(handed), late...)
	}
	return r.parent.sendFirst(late)
}

// carries reports whether result carries this run's summary with exactly
// the parent changes Complete handed to it.
func (r *Run) carries(result any, handed []ParentChange) bool {
	sr, ok := result.(summarizer)
	if !ok {
		return false
	}
	s := sr.RunSummary()
	return s.RunID == r.id && slices.EqualFunc(s.Parent, handed, func(a, b ParentChange) bool { return a.ID == b.ID })
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
		Inputs:            slices.Clone(r.inputs),
		ReusedFrom:        r.reusedFrom,
	}
	for name, s := range r.metrics {
		rec.Metrics[name] = s.points()
	}
	return rec
}

// ReadRecord reads back a run's stored record: ref is a step's
// Summary.RecordRef or StepInfo.RecordRef, store the datastore the
// plugin records to (Plugin.Store). With the zero store it reads an
// offline run's record from its local path (Run.RecordRef).
func ReadRecord(ctx context.Context, store datastore.Resolver, ref string) (*Record, error) {
	var from storage = resolverStorage{store}
	if store.Blob == nil && store.Local == nil {
		from = localStorage{}
	}
	rc, err := from.Get(ctx, ref)
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
