package runctx

import "time"

// Point is one value of a metric series: Azure ML's (step, value, time).
type Point struct {
	Step  int     `json:"step"`
	Value float64 `json:"value"`
	Time  int64   `json:"time"` // Unix nanoseconds
}

// ConfusionMatrix is Azure ML's confusion-matrix schema, so tools that read
// Azure ML's form read ours.
type ConfusionMatrix struct {
	SchemaType    string `json:"schema_type"`
	SchemaVersion string `json:"schema_version"`
	// Data holds the labels and the counts (rows: true class).
	Data struct {
		ClassLabels []string `json:"class_labels"`
		Matrix      [][]int  `json:"matrix"`
	} `json:"data"`
}

// Record is everything a run logged, written once as one JSON document in
// the datastore when the step ends.
type Record struct {
	RunID         string               `json:"run_id"`
	Name          string               `json:"name"`
	Experiment    string               `json:"experiment,omitempty"`
	WorkflowID    string               `json:"workflow_id,omitempty"`
	WorkflowRunID string               `json:"workflow_run_id,omitempty"`
	Attempt       int32                `json:"attempt,omitempty"`
	Offline       bool                 `json:"offline,omitempty"`
	Status        string               `json:"status"`
	Error         string               `json:"error,omitempty"`
	Started       time.Time            `json:"started"`
	Ended         time.Time            `json:"ended"`
	Tags          map[string]string    `json:"tags"`
	Properties    map[string]string    `json:"properties"`
	Metrics       map[string][]Point   `json:"metrics"`
	Lists         map[string][]float64 `json:"lists,omitempty"`
	// Tables are the tables by name, each stored by columns, as Azure
	// ML's log_table.
	Tables            map[string]map[string][]any `json:"tables,omitempty"`
	ConfusionMatrices map[string]ConfusionMatrix  `json:"confusion_matrices,omitempty"`
	Images            map[string]string           `json:"images,omitempty"`
	Outputs           string                      `json:"outputs,omitempty"`
	// Inputs are the data references the run read (Run.ReadData,
	// DataReader), each with the ETag it had: a Reused step's data must
	// still have that ETag.
	Inputs []struct {
		Ref  string `json:"ref"`
		ETag string `json:"etag"`
	} `json:"inputs,omitempty"`
	// ReusedFrom names the run whose results a Reused run took.
	ReusedFrom string `json:"reused_from,omitempty"`
}

// Run statuses, as Azure ML names them.
const (
	StatusRunning   = "Running"
	StatusCompleted = "Completed"
	StatusFailed    = "Failed"
)

// Summary is the small part of a Record that goes into workflow history:
// tags, properties, the last value of each scalar metric, where the full
// record is stored, and the parent changes not yet sent, which the
// pipeline applies when the step's result reaches it (Pipeline.StepEnded).
type Summary struct {
	RunID      string             `json:"run_id"`
	Name       string             `json:"name"`
	Status     string             `json:"status"`
	RecordRef  string             `json:"record_ref,omitempty"`
	Tags       map[string]string  `json:"tags,omitempty"`
	Properties map[string]string  `json:"properties,omitempty"`
	Metrics    map[string]float64 `json:"metrics,omitempty"`
	Parent     []ParentChange     `json:"parent,omitempty"`
	// ReusedFrom names the run a Reused step took its results from.
	ReusedFrom string `json:"reused_from,omitempty"`
}

// RunSummary returns s: a step may return its Summary as its whole result.
func (s Summary) RunSummary() Summary { return s }

// summarizer is implemented by a step result that carries its run's
// Summary, the one Complete returned. The parent changes in that summary
// reach the pipeline with the result; for any other result the worker
// sends them as updates before the step ends.
type summarizer interface {
	RunSummary() Summary
}
