package script

import (
	"encoding/json"
	"fmt"
)

// Op is one record of POST /v1/ops, with its value decoded for its kind.
type Op struct {
	// Op is the verb: log, log_list, log_row, log_table,
	// log_confusion_matrix, add_properties, tag, set_tags, remove_tags.
	Op string `json:"op"`
	// Target is TargetRun (when empty) or TargetParent.
	Target Target `json:"target,omitempty"`
	// Name names the metric, list, table or confusion matrix.
	Name string `json:"name,omitempty"`
	// Value is the raw value: a number (log), a string (tag), a confusion
	// matrix (log_confusion_matrix).
	Value json.RawMessage `json:"value,omitempty"`
	// Values is log_list's numbers.
	Values []float64 `json:"values,omitempty"`
	// Row is log_row's row.
	Row map[string]any `json:"row,omitempty"`
	// Columns is log_table's table.
	Columns map[string][]any `json:"columns,omitempty"`
	// Properties is add_properties' properties.
	Properties map[string]string `json:"properties,omitempty"`
	// Key is tag's key.
	Key string `json:"key,omitempty"`
	// Tags is set_tags' tags.
	Tags map[string]string `json:"tags,omitempty"`
	// Keys is remove_tags' keys.
	Keys []string `json:"keys,omitempty"`

	// Number is log's value.
	Number float64 `json:"-"`
	// Text is tag's value.
	Text string `json:"-"`
	// Matrix is log_confusion_matrix's value.
	Matrix ConfusionMatrix `json:"-"`
}

// ConfusionMatrix is Azure ML's confusion-matrix form.
type ConfusionMatrix struct {
	SchemaType string `json:"schema_type"`
	Data       struct {
		ClassLabels []string `json:"class_labels"`
		Matrix      [][]int  `json:"matrix"`
	} `json:"data"`
}

// opTargets are the targets each op may name (PROTOCOL.md).
var opTargets = map[string][]Target{
	"log":                  {TargetRun, TargetParent},
	"log_list":             {TargetRun},
	"log_row":              {TargetRun},
	"log_table":            {TargetRun},
	"log_confusion_matrix": {TargetRun},
	"add_properties":       {TargetRun, TargetParent},
	"tag":                  {TargetRun, TargetParent},
	"set_tags":             {TargetRun, TargetParent},
	"remove_tags":          {TargetRun, TargetParent},
}

// check fills in the op's default target and decoded value, or says what
// is wrong with it (ErrInvalid).
func (o *Op) check() error {
	targets, ok := opTargets[o.Op]
	if !ok {
		return fmt.Errorf("%w: unknown op %q", ErrInvalid, o.Op)
	}
	if o.Target == "" {
		o.Target = TargetRun
	}
	allowed := false
	for _, t := range targets {
		allowed = allowed || t == o.Target
	}
	if !allowed {
		return fmt.Errorf("%w: op %s does not take target %q", ErrInvalid, o.Op, o.Target)
	}
	switch o.Op {
	case "log":
		if err := json.Unmarshal(o.Value, &o.Number); err != nil || len(o.Value) == 0 {
			return fmt.Errorf("%w: op log %q: value must be a number", ErrInvalid, o.Name)
		}
	case "tag":
		if err := json.Unmarshal(o.Value, &o.Text); err != nil || len(o.Value) == 0 {
			return fmt.Errorf("%w: op tag %q: value must be a string", ErrInvalid, o.Key)
		}
	case "log_confusion_matrix":
		if err := json.Unmarshal(o.Value, &o.Matrix); err != nil || len(o.Value) == 0 {
			return fmt.Errorf("%w: op log_confusion_matrix %q: value must be {\"schema_type\": \"confusion_matrix\", \"data\": {\"class_labels\": […], \"matrix\": [[…]]}}", ErrInvalid, o.Name)
		}
		if o.Matrix.SchemaType != "" && o.Matrix.SchemaType != "confusion_matrix" {
			return fmt.Errorf("%w: op log_confusion_matrix %q: schema_type %q, want confusion_matrix", ErrInvalid, o.Name, o.Matrix.SchemaType)
		}
	}
	return nil
}
