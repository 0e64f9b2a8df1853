package runctx

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// Storage is where a run writes its record and artifacts: a datastore in a
// pipeline, a local folder offline. Refs are datastore references
// (azblob://container/path or a local path).
type Storage interface {
	Put(ctx context.Context, ref string, r io.Reader, contentType string) error
	Get(ctx context.Context, ref string) (io.ReadCloser, error)
}

// localStorage writes refs as local file paths; it backs offline runs.
type localStorage struct{}

func (localStorage) Put(_ context.Context, ref string, r io.Reader, _ string) error {
	p := strings.TrimPrefix(ref, "file://")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (localStorage) Get(_ context.Context, ref string) (io.ReadCloser, error) {
	return os.Open(strings.TrimPrefix(ref, "file://"))
}

// resolverStorage stores runs through a datastore resolver.
type resolverStorage struct{ r datastore.Resolver }

func (s resolverStorage) Put(ctx context.Context, ref string, body io.Reader, contentType string) error {
	parsed, err := datastore.ParseRef(ref)
	if err != nil {
		return err
	}
	_, err = s.r.Write(ctx, parsed, body, datastore.WriteOptions{ContentType: contentType})
	return err
}

func (s resolverStorage) Get(ctx context.Context, ref string) (io.ReadCloser, error) {
	parsed, err := datastore.ParseRef(ref)
	if err != nil {
		return nil, err
	}
	rc, _, err := s.r.Read(ctx, parsed)
	return rc, err
}

// NewStorage returns the Storage of runs recorded through r, for
// ReadRecord.
func NewStorage(r datastore.Resolver) Storage { return resolverStorage{r} }

// PipelineOutputs returns the prefix of a pipeline's outputs: each of its
// steps records under <prefix>/<step name>/. An empty experiment adds no
// level. It returns "" (a reference every Storage refuses) when experiment
// or workflowID is not a valid path segment (ValidateSegment).
func PipelineOutputs(runs, experiment, workflowID string) string {
	ref, _ := pipelineOutputs(runs, experiment, workflowID)
	return ref
}

// pipelineOutputs is PipelineOutputs with the reason it refuses.
func pipelineOutputs(runs, experiment, workflowID string) (string, error) {
	ref := runs
	if experiment != "" {
		if err := ValidateSegment("experiment", experiment); err != nil {
			return "", err
		}
		ref, _ = joinRef(ref, experiment)
	}
	if err := ValidateSegment("workflow ID", workflowID); err != nil {
		return "", err
	}
	return joinRef(ref, workflowID)
}

// StepRecordRef returns where the record of a pipeline's step is stored
// ("" when step is not a valid path segment).
func StepRecordRef(pipelineOutputs, step string) string {
	if ValidateSegment("step", step) != nil {
		return ""
	}
	return join(join(pipelineOutputs, step), recordFile)
}

// recordFile is the name of a step's record in its outputs folder.
const recordFile = "record.json"

// MaxSegment is the longest name, in bytes, that becomes one path segment
// (an experiment, a workflow ID, a step name): the longest file name of
// common local file systems.
const MaxSegment = 255

// ValidateSegment checks a name that becomes one segment of a runs path
// (an experiment, a workflow ID, a step's activity ID) before it is
// joined: 1 to MaxSegment bytes, not "." or "..", no '/' or '\', no
// control characters. Unlike datastore.ValidateName it allows what
// Temporal puts in workflow IDs (a schedule appends a timestamp with
// ':'), and it never cleans a name: it refuses it. kind names what is
// checked, for the error message; the error wraps ErrInvalid.
func ValidateSegment(kind, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: empty %s", ErrInvalid, kind)
	case len(name) > MaxSegment:
		return fmt.Errorf("%w: %s %.40q… is %d bytes, more than the limit of %d", ErrInvalid, kind, name, len(name), MaxSegment)
	case strings.ContainsAny(name, "/\\"):
		return fmt.Errorf("%w: %s %q must be one path segment: no '/' or '\\'", ErrInvalid, kind, name)
	}
	return checkSegment(kind, name, name)
}

// checkSegment refuses ".", ".." and control characters in one segment
// seg of name.
func checkSegment(kind, name, seg string) error {
	switch seg {
	case "":
		return fmt.Errorf("%w: %s %q has an empty path segment", ErrInvalid, kind, name)
	case ".", "..":
		return fmt.Errorf("%w: %s %q has a %q path segment", ErrInvalid, kind, name, seg)
	}
	for _, c := range seg {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: %s %q has a control character", ErrInvalid, kind, name)
		}
	}
	return nil
}

// checkRelPath checks a slash-separated relative name joined to a
// reference: no empty, "." or ".." segment, no '\', no control character.
func checkRelPath(kind, name string) error {
	if strings.Contains(name, "\\") {
		return fmt.Errorf("%w: %s %q has a '\\' (use '/')", ErrInvalid, kind, name)
	}
	for _, seg := range strings.Split(name, "/") {
		if err := checkSegment(kind, name, seg); err != nil {
			return err
		}
	}
	return nil
}

// joinRef appends a slash-separated relative name to a reference. It
// refuses a name with an empty, "." or ".." segment rather than clean it
// (path.Join would turn "a/../victim" into "victim", outside the folder).
func joinRef(ref, name string) (string, error) {
	if err := checkRelPath("name", name); err != nil {
		return "", err
	}
	if scheme, rest, ok := strings.Cut(ref, "://"); ok {
		return scheme + "://" + path.Join(rest, name), nil
	}
	return filepath.Join(ref, filepath.FromSlash(name)), nil
}

// join is joinRef for names already checked; a name joinRef refuses gives
// "", a reference every Storage refuses, never a cleaned path.
func join(ref, name string) string {
	s, err := joinRef(ref, name)
	if err != nil {
		return ""
	}
	return s
}

// OutputRef returns the reference of name inside the run's outputs folder
// ("" when name has an empty, "." or ".." segment).
func (r *Run) OutputRef(name string) string { return join(r.outputs, name) }

// RecordRef returns where the run's record is stored.
func (r *Run) RecordRef() string { return r.OutputRef(r.recordName()) }

func (r *Run) recordName() string {
	if r.offline {
		return r.id + ".json"
	}
	return recordFile
}

// Upload writes an artifact into the run's outputs folder, as Azure ML's
// upload_file, and returns its reference.
func (r *Run) Upload(ctx context.Context, name, contentType string, body io.Reader) (string, error) {
	if err := checkName("output", name); err != nil {
		return "", err
	}
	ref, err := joinRef(r.outputs, name)
	if err != nil {
		return "", fmt.Errorf("run %s: upload: %w", r.id, err)
	}
	if err := r.store.Put(ctx, ref, body, contentType); err != nil {
		return "", fmt.Errorf("run %s: upload %s: %w", r.id, name, err)
	}
	r.mu.Lock()
	r.uploads = append(r.uploads, ref)
	r.mu.Unlock()
	return ref, nil
}
