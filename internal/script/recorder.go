package script

import (
	"context"
	"io"
)

// Target is the run an op or file goes to.
type Target string

// Targets of PROTOCOL.md.
const (
	// TargetRun is the step's own run (the default).
	TargetRun Target = "run"
	// TargetParent is the pipeline run.
	TargetParent Target = "parent"
)

// Recorder is what the bridge records into and reads from: the step's run
// and its pipeline. Its errors are marked with a kind (WithKind) to choose
// the status the script sees; an unmarked error is 500 Internal.
type Recorder interface {
	// Record applies one op of POST /v1/ops, already checked (ParseOps).
	Record(ctx context.Context, op Op) error
	// PutFile stores a file of the run or of the pipeline and returns its
	// data reference; name is relative and has no "..".
	PutFile(ctx context.Context, target Target, name, contentType string, body io.Reader) (string, error)
	// GetFile opens a file of the run or of the pipeline.
	GetFile(ctx context.Context, target Target, name string) (io.ReadCloser, error)
	// LogImage records a PNG as the run's image name.
	LogImage(ctx context.Context, name string, png []byte) error
	// Run returns the step's own run as it stands.
	Run(ctx context.Context) (RunView, error)
	// Parent returns the pipeline run now, with this step's own changes.
	Parent(ctx context.Context) (ParentView, error)
	// Children returns the pipeline's steps so far.
	Children(ctx context.Context) ([]ChildView, error)
	// RunByID returns another run of the same pipeline; ErrNotFound when
	// there is none.
	RunByID(ctx context.Context, id string) (RunView, error)
}

// Batcher is implemented by a Recorder that gathers the ops of one
// request (POST /v1/ops) before it applies them, e.g. to send a batch's
// parent changes as one: the bridge calls EndBatch after the batch's last
// op, or before it answers an op's error. EndBatch returns how many of
// the last ops it could not apply, with its error.
type Batcher interface {
	EndBatch(ctx context.Context) (unapplied int, err error)
}

// Models is implemented by a Recorder that can reach a model registry;
// without it the bridge answers /v1/models with 501 NotImplemented.
type Models interface {
	RegisterModel(ctx context.Context, req ModelRequest) (ModelView, error)
	// GetModel returns version of name, the latest when version is 0.
	GetModel(ctx context.Context, name string, version int) (ModelView, error)
}

// RunView is a run as GET /v1/run answers it.
type RunView struct {
	ID         string               `json:"id"`
	Name       string               `json:"name"`
	Experiment string               `json:"experiment"`
	Status     string               `json:"status"`
	ParentID   string               `json:"parent_id"`
	Metrics    map[string][]float64 `json:"metrics"`
	Tags       map[string]string    `json:"tags"`
	Properties map[string]string    `json:"properties"`
	Files      []string             `json:"files"`
}

// ParentView is the pipeline run as GET /v1/parent answers it.
type ParentView struct {
	ID         string               `json:"id"`
	Experiment string               `json:"experiment"`
	Status     string               `json:"status"`
	Tags       map[string]string    `json:"tags"`
	Properties map[string]string    `json:"properties"`
	Metrics    map[string][]float64 `json:"metrics"`
}

// ChildView is one step of the pipeline, in GET /v1/children.
type ChildView struct {
	Name    string             `json:"name"`
	RunID   string             `json:"run_id"`
	Status  string             `json:"status"`
	Tags    map[string]string  `json:"tags"`
	Metrics map[string]float64 `json:"metrics"`
}

// ModelRequest is the body of POST /v1/models.
type ModelRequest struct {
	ModelName             string            `json:"model_name"`
	ModelPath             string            `json:"model_path"`
	Tags                  map[string]string `json:"tags"`
	Properties            map[string]string `json:"properties"`
	ModelFramework        string            `json:"model_framework"`
	ModelFrameworkVersion string            `json:"model_framework_version"`
	Description           string            `json:"description"`
	SampleInputDataset    string            `json:"sample_input_dataset"`
	ResourceConfiguration *struct {
		CPU        float64 `json:"cpu"`
		MemoryInGB float64 `json:"memory_in_gb"`
		GPU        int     `json:"gpu"`
	} `json:"resource_configuration"`
}

// ModelView is a registered model version, as /v1/models answers it.
type ModelView struct {
	Name               string            `json:"name"`
	Version            int               `json:"version"`
	RunID              string            `json:"run_id"`
	Ref                string            `json:"ref"`
	Tags               map[string]string `json:"tags"`
	Properties         map[string]string `json:"properties"`
	Framework          string            `json:"framework"`
	FrameworkVersion   string            `json:"framework_version"`
	Description        string            `json:"description"`
	SampleInputDataset string            `json:"sample_input_dataset"`
	Created            string            `json:"created"`
}
