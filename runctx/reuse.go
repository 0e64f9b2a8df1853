package runctx

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"golang.org/x/sync/errgroup"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
)

// StatusReused is the status of a step whose result was taken from an
// earlier run of the same step with the same inputs (Azure ML's
// allow_reuse).
const StatusReused = "Reused"

// reuseEntry is what a completed step leaves for later runs of it with the
// same inputs: where its data came from, what it wrote (the head the
// starter reads too), its record and its result.
type reuseEntry struct {
	layout.ReuseEntry
	Record  Record  `json:"record"`
	Summary Summary `json:"summary"`
	// Result is the step's result as JSON.
	Result json.RawMessage `json:"result"`
}

// stepHeader carries a step's reuse settings from ExecuteStep to the worker.
const stepHeader = "runctx-step"

// stepSettings are the settings of one step that its worker needs.
type stepSettings struct {
	Reuse   bool   `json:"reuse,omitempty"`
	Version string `json:"version,omitempty"`
}

// reuseKey identifies a step's work: its name, activity type, code
// version and input as serialized. The data the input names is checked
// against the entry, not hashed into the key.
func reuseKey(step, activityType, version string, args []any) (string, error) {
	input, err := json.Marshal(args)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(struct {
		Step, ActivityType, Version string
		Input                       json.RawMessage
	}{step, activityType, version, input})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// reuser finds and stores reuse entries on a datastore.
type reuser struct {
	data datastore.Resolver
}

// errStale marks an entry that exists but may not be reused; the step
// computes and replaces it.
var errStale = errors.New("runctx: stale reuse entry")

// lookup returns the entry at ref if it may be reused, and its ETag. A
// missing entry is (nil, "", nil); an entry that may not be reused (its
// data changed, an output is gone, it does not decode) is errStale with
// its ETag.
func (u reuser) lookup(ctx context.Context, ref string) (*reuseEntry, datastore.ETag, error) {
	parsed, err := datastore.ParseRef(ref)
	if err != nil {
		return nil, "", err
	}
	rc, info, err := u.data.Read(ctx, parsed)
	if errors.Is(err, datastore.ErrNotFound) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	defer rc.Close()
	var e reuseEntry
	if err := json.NewDecoder(rc).Decode(&e); err != nil {
		return nil, info.ETag, fmt.Errorf("%w: %s does not decode: %v", errStale, ref, err)
	}
	// The data and the outputs are checked at once, in one round trip:
	// a stat per data reference, one listing of the outputs folder.
	g, gctx := errgroup.WithContext(ctx)
	for _, d := range e.Data {
		g.Go(func() error {
			if st, err := u.stat(gctx, d.Ref); err != nil || string(st.ETag) != d.ETag {
				return fmt.Errorf("%w: data %s changed", errStale, d.Ref)
			}
			return nil
		})
	}
	if len(e.Outputs) > 0 {
		g.Go(func() error { return u.checkOutputs(gctx, e.Record.Outputs, e.Outputs) })
	}
	if err := g.Wait(); err != nil {
		return nil, info.ETag, err
	}
	return &e, info.ETag, nil
}

// checkOutputs lists the folder the outputs were written under and
// reports errStale unless every output is there.
func (u reuser) checkOutputs(ctx context.Context, folder string, outputs []string) error {
	prefix, err := datastore.ParsePrefix(folder)
	if err != nil {
		return fmt.Errorf("%w: outputs folder %s: %v", errStale, folder, err)
	}
	infos, err := u.data.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("%w: outputs folder %s: %v", errStale, folder, err)
	}
	there := make(map[string]bool, len(infos))
	for _, info := range infos {
		there[prefix.Join(info.Name).String()] = true
	}
	for _, o := range outputs {
		if !there[o] {
			return fmt.Errorf("%w: output %s is gone", errStale, o)
		}
	}
	return nil
}

func (u reuser) stat(ctx context.Context, ref string) (datastore.Info, error) {
	parsed, err := datastore.ParseRef(ref)
	if err != nil {
		return datastore.Info{}, err
	}
	return u.data.Stat(ctx, parsed)
}

// store writes e at ref: create-only, so the first completed run wins, or
// in place of a stale entry whose ETag is replace.
func (u reuser) store(ctx context.Context, ref string, e *reuseEntry, replace datastore.ETag) error {
	parsed, err := datastore.ParseRef(ref)
	if err != nil {
		return err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	opts := datastore.WriteOptions{ContentType: "application/json", IfNoneMatch: replace == "", IfMatch: replace}
	_, err = u.data.Write(ctx, parsed, bytes.NewReader(b), opts)
	if errors.Is(err, datastore.ErrPreconditionFailed) {
		return nil // another run stored or replaced it first
	}
	return err
}

// reused makes run a reuse of e: its record is e's, marked Reused and
// naming e's run, and the returned result is e's with run's summary in
// place of e's, the parent changes renamed for run.
func (run *Run) reuse(ctx context.Context, e *reuseEntry) (converter.RawValue, error) {
	run.mu.Lock()
	run.status, run.reusedFrom = StatusReused, e.RunID
	run.tags, run.properties = maps.Clone(e.Record.Tags), maps.Clone(e.Record.Properties)
	for name, pts := range e.Record.Metrics {
		s := &series{}
		for _, p := range pts {
			s.add(p.Value, p.Time)
		}
		run.metrics[name] = s
	}
	run.lists, run.tables = e.Record.Lists, e.Record.Tables
	run.cms, run.images = e.Record.ConfusionMatrices, e.Record.Images
	run.inputs = e.Data
	for i, c := range e.Summary.Parent {
		c.ID = fmt.Sprintf("%s/parent/%d", run.id, i+1)
		c.Step = run.id
		run.parentChanges = append(run.parentChanges, c)
	}
	rec := run.recordLocked()
	rec.Outputs = e.Record.Outputs // the outputs stay the earlier run's
	run.mu.Unlock()

	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(rec); err != nil {
		return converter.RawValue{}, err
	}
	if err := run.store.Put(ctx, run.RecordRef(), &buf, "application/json"); err != nil {
		return converter.RawValue{}, fmt.Errorf("run %s: write record %s: %w", run.id, run.RecordRef(), err)
	}
	run.mu.Lock()
	run.written = true
	s := run.summaryLocked()
	run.mu.Unlock()
	result, err := replaceSummary(e.Result, e.Summary.RunID, s)
	if err != nil {
		return converter.RawValue{}, err
	}
	return converter.NewRawValue(&commonpb.Payload{
		Metadata: map[string][]byte{converter.MetadataEncoding: []byte(converter.MetadataEncodingJSON)},
		Data:     result,
	}), nil
}

// replaceSummary returns result (JSON) with the summary of run oldRunID
// replaced by s, wherever it is in the result.
func replaceSummary(result json.RawMessage, oldRunID string, s Summary) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(result))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var sm map[string]any
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &sm); err != nil {
		return nil, err
	}
	v, found := replaceObject(v, oldRunID, sm)
	if !found {
		return nil, fmt.Errorf("runctx: the stored result carries no summary of run %s", oldRunID)
	}
	return json.Marshal(v)
}

func replaceObject(v any, runID string, with map[string]any) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		if id, ok := t["run_id"].(string); ok && id == runID {
			if _, ok := t["status"]; ok {
				return with, true
			}
		}
		found := false
		for k, c := range t {
			var f bool
			t[k], f = replaceObject(c, runID, with)
			found = found || f
		}
		return t, found
	case []any:
		found := false
		for i, c := range t {
			var f bool
			t[i], f = replaceObject(c, runID, with)
			found = found || f
		}
		return t, found
	}
	return v, false
}

// newEntry returns the entry a completed run leaves, or nil when its
// result cannot be reused (it does not carry the run's summary).
func (run *Run) newEntry(key string, version string, result any) (*reuseEntry, error) {
	sr, ok := result.(summarizer)
	if !ok || sr.RunSummary().RunID != run.id {
		return nil, nil
	}
	b, err := json.Marshal(result)
	if err != nil {
		return nil, err
	}
	// A later run that reuses this one must change the pipeline as this
	// one did: the changes sent by update while it ran, then those that
	// rode in its result.
	summary := sr.RunSummary()
	summary.Parent = append(run.parent.sentChanges(), summary.Parent...)
	run.mu.Lock()
	defer run.mu.Unlock()
	// The record is in the entry; the files the step uploaded must stay.
	outputs := slices.Clone(run.uploads)
	return &reuseEntry{
		ReuseEntry: layout.ReuseEntry{
			Key: key, Step: run.step, ActivityType: run.name, Version: version,
			RunID: run.id, WorkflowID: run.workflowID, Created: time.Now().UTC(),
			Data: append([]layout.DataInput(nil), run.inputs...), Outputs: outputs,
		},
		Record: run.recordLocked(), Summary: summary, Result: b,
	}, nil
}

// ReadData opens the data behind ref through the run's datastore and
// records it as an input of the run, with its ETag: a step reused later
// is reused only while its data keeps that ETag.
func (r *Run) ReadData(ctx context.Context, ref string) (io.ReadCloser, datastore.Info, error) {
	parsed, err := datastore.ParseRef(ref)
	if err != nil {
		return nil, datastore.Info{}, err
	}
	rc, info, err := r.data.Read(ctx, parsed)
	if err != nil {
		return nil, info, err
	}
	r.addInput(ref, info.ETag)
	return rc, info, nil
}

// DataReader reads data references through a datastore and records each
// one read inside a step as an input of the step's run, as Run.ReadData
// does: give it to steps that take a datastore reader.
type DataReader struct {
	Data datastore.Resolver
}

// Read opens the data behind ref; inside a step it records ref and its
// ETag as an input of the step's run.
func (d DataReader) Read(ctx context.Context, ref datastore.Ref) (io.ReadCloser, datastore.Info, error) {
	rc, info, err := d.Data.Read(ctx, ref)
	if err != nil {
		return nil, info, err
	}
	if run, ok := ctx.Value(runKey{}).(*Run); ok {
		run.addInput(ref.String(), info.ETag)
	}
	return rc, info, nil
}

func (r *Run) addInput(ref string, etag datastore.ETag) {
	r.mu.Lock()
	r.inputs = append(r.inputs, layout.DataInput{Ref: ref, ETag: string(etag)})
	r.mu.Unlock()
}
