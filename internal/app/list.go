package app

import "time"

// ListEntry is one pipeline as `starter list -o json` prints it; the
// testsuite decodes the command's output into it.
type ListEntry struct {
	WorkflowID   string     `json:"workflow_id"`
	RunID        string     `json:"run_id"`
	Status       string     `json:"status"`
	StartTime    time.Time  `json:"start_time"`
	CloseTime    *time.Time `json:"close_time"`
	Experiment   string     `json:"experiment"`
	BestModel    string     `json:"best_model"`
	Accuracy     float64    `json:"accuracy"`
	Registered   bool       `json:"registered"`
	ModelVersion int64      `json:"model_version"`
}
