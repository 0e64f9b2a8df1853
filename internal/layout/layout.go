// Package layout is where runs are stored, shared by runctx and the
// project's programs (the starter reads runs and reuse entries back): the
// path of a pipeline's outputs, of a step's record and of a reuse entry,
// the run ID of a step, the checks every name passes before it becomes a
// path segment, and the names of the pipeline's memo keys. It is not
// runctx's API: users read runs through runctx.ReadRecord and the
// pipeline's queries.
package layout

import (
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// ErrInvalid is runctx.ErrInvalid: a malformed argument (a name that may
// not become a path segment among them).
var ErrInvalid = errors.New("runctx: invalid argument")

// MaxSegment is the longest name, in bytes, that becomes one path segment
// (an experiment, a workflow ID, a step name): the longest file name of
// common local file systems.
const MaxSegment = 255

// RecordFile is the name of a step's record in its outputs folder.
const RecordFile = "record.json"

// ReuseFolder is the folder, under the runs root (PluginOptions.Runs),
// that holds the reuse entries: <Runs>/<ReuseFolder>/<step>/<key>.json.
// Its leading dot keeps it apart from experiments, whose names may not
// start with one.
const ReuseFolder = ".reuse"

// ReuseLookupActivity is the name of the local activity, registered by the
// plugin on every worker, that looks for a reusable step's entry.
const ReuseLookupActivity = "runctx.LookUpReuse"

// ExperimentAttribute is the Keyword search attribute that names a
// pipeline's experiment, as Azure ML's Experiment. Starters set it when
// they start a pipeline (runctx.ExperimentSearchAttributes); the plugin
// makes sure it exists.
const ExperimentAttribute = "Experiment"

// Memo keys of a pipeline: its tags and its properties, each a JSON object
// of strings.
const (
	MemoTags       = "tags"
	MemoProperties = "properties"
)

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

// JoinRef appends a slash-separated relative name to a reference. It
// refuses a name with an empty, "." or ".." segment rather than clean it
// (path.Join would turn "a/../victim" into "victim", outside the folder).
func JoinRef(ref, name string) (string, error) {
	if err := checkRelPath("name", name); err != nil {
		return "", err
	}
	if scheme, rest, ok := strings.Cut(ref, "://"); ok {
		return scheme + "://" + path.Join(rest, name), nil
	}
	return filepath.Join(ref, filepath.FromSlash(name)), nil
}

// Join is JoinRef for names already checked; a name JoinRef refuses gives
// "", a reference every store refuses, never a cleaned path.
func Join(ref, name string) string {
	s, err := JoinRef(ref, name)
	if err != nil {
		return ""
	}
	return s
}

// PipelineOutputs returns the prefix of a pipeline's outputs: each of its
// steps records under <prefix>/<step name>/. An empty experiment adds no
// level. It returns "" (a reference every store refuses) when experiment
// or workflowID is not a valid path segment (ValidateSegment).
func PipelineOutputs(runs, experiment, workflowID string) string {
	ref, _ := CheckedPipelineOutputs(runs, experiment, workflowID)
	return ref
}

// CheckedPipelineOutputs is PipelineOutputs with the reason it refuses.
func CheckedPipelineOutputs(runs, experiment, workflowID string) (string, error) {
	ref := runs
	if experiment != "" {
		if err := ValidateSegment("experiment", experiment); err != nil {
			return "", err
		}
		ref, _ = JoinRef(ref, experiment)
	}
	if err := ValidateSegment("workflow ID", workflowID); err != nil {
		return "", err
	}
	return JoinRef(ref, workflowID)
}

// StepRecordRef returns where the record of a pipeline's step is stored
// ("" when step is not a valid path segment).
func StepRecordRef(pipelineOutputs, step string) string {
	if ValidateSegment("step", step) != nil {
		return ""
	}
	return Join(Join(pipelineOutputs, step), RecordFile)
}

// StepRunID returns the run ID of a step: the workflow ID and the activity
// ID, stable across retries.
func StepRunID(workflowID, activityID string) string {
	return workflowID + "_" + activityID
}

// ReuseEntryRef returns where the entry of a step's key is stored.
func ReuseEntryRef(runs, step, key string) string {
	return Join(Join(Join(runs, ReuseFolder), step), key+".json")
}

// ReusedFromName returns how a Reused step names the run it took its
// results from, "<workflow-id>/<step>", given the step's name and that
// run's ID (Summary.ReusedFrom, StepInfo.ReusedFrom): a step is reused
// only from a run of the same step. It returns "" for an empty runID.
func ReusedFromName(step, runID string) string {
	if runID == "" {
		return ""
	}
	wf, ok := strings.CutSuffix(runID, "_"+step)
	if !ok {
		return runID
	}
	return wf + "/" + step
}

// DataInput is a data reference a step read and the ETag it had: a reused
// step's data must still have that ETag. It is an alias of the struct
// runctx.Record.Inputs holds, so runctx exports no name for it.
type DataInput = struct {
	Ref  string `json:"ref"`
	ETag string `json:"etag"`
}

// ReuseEntry is the head of what a completed step leaves for later runs of
// it with the same inputs (runctx's entry adds the step's record, summary
// and result): where its data came from and what it wrote.
type ReuseEntry struct {
	Key          string `json:"key"`
	Step         string `json:"step"`
	ActivityType string `json:"activity_type"`
	// Version is the step's code version (StepOptions.Version).
	Version    string    `json:"version"`
	RunID      string    `json:"run_id"`
	WorkflowID string    `json:"workflow_id"`
	Created    time.Time `json:"created"`
	// Data are the data references the step read, with their ETags.
	Data []DataInput `json:"data"`
	// Outputs are the files the step uploaded; all must still exist.
	Outputs []string `json:"outputs"`
}

// CheckRelPath checks a slash-separated relative name before it is joined
// to a reference: no empty, "." or ".." segment, no '\', no control
// character.
func CheckRelPath(kind, name string) error { return checkRelPath(kind, name) }

// ScriptStepName is a script step's default name: its script's file name
// without the extension ("train" for "src/train.py"), as a
// PythonScriptStep's often is.
func ScriptStepName(script string) string {
	base := path.Base(strings.ReplaceAll(script, "\\", "/"))
	if ext := path.Ext(base); ext != "" && ext != base {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}
