// Package pipelinefile reads a pipeline file: a YAML pipeline of script
// steps modelled on Azure ML v2's pipeline job (`jobs`, `inputs`,
// `${{parent.inputs.x}}` and `${{parent.jobs.j.outputs.o}}` bindings),
// with a `when` condition on the pipeline's tags per job. Parse validates
// the whole file before anything starts and reports every problem as
// FILE:LINE:COL: what is wrong. Its result, a Pipeline, is the input of
// the generic ScriptPipeline workflow; Cond.Eval, which that workflow
// calls, is pure.
package pipelinefile

import "time"

// MaxJobs is the most jobs a pipeline file may hold.
const MaxJobs = 100

// Pipeline is a parsed, validated pipeline file.
type Pipeline struct {
	// Experiment is the file's experiment, or its base name.
	Experiment string `json:"experiment"`
	// File is the file's path as given, for messages.
	File string `json:"file,omitempty"`
	// Inputs are the pipeline's data references by name.
	Inputs map[string]string `json:"inputs,omitempty"`
	// Jobs in the file's order.
	Jobs []Job `json:"jobs"`
	// Attributes publish parent tags as typed search attributes
	// (`attributes: {accuracy: {name: Accuracy, type: Double}}`), so the
	// Web UI filters these pipelines on them.
	Attributes []Attribute `json:"attributes,omitempty"`
}

// Attribute maps a parent tag to a search attribute of a type: Keyword,
// Double, Int or Bool.
type Attribute struct {
	Tag  string `json:"tag"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// Job is one script step of a pipeline file.
type Job struct {
	Name        string `json:"name"`
	DisplayName string `json:"display_name,omitempty"`
	// Code is the source directory, resolved against the file's folder;
	// Snapshot is its snapshot's hash once the starter uploaded it.
	Code     string `json:"code"`
	Snapshot string `json:"snapshot,omitempty"`
	// Command runs Script with Arguments (from `command:`, split as a
	// shell would, or from `script:` and `arguments:`). Arguments may
	// hold ${{inputs.<name>}} and ${{outputs.<name>}}, which the worker
	// expands to the local paths.
	Command   string   `json:"command"`
	Script    string   `json:"script"`
	Arguments []string `json:"arguments,omitempty"`
	// Inputs bind each input name to a pipeline input, another job's
	// output, or a literal data reference.
	Inputs  map[string]Binding `json:"inputs,omitempty"`
	Outputs []string           `json:"outputs,omitempty"`
	// Env is `environment_variables`.
	Env map[string]string `json:"env,omitempty"`
	// AllowReuse is `allow_reuse`: default true, as in Azure ML.
	AllowReuse bool          `json:"allow_reuse"`
	Timeout    time.Duration `json:"timeout,omitempty"`
	// Retries is how many times a failed job runs again: default 0.
	Retries int `json:"retries,omitempty"`
	// When, if set, is the job's condition on the pipeline's tags.
	When *Cond `json:"when,omitempty"`
	// Line is where the job starts in the file, for messages.
	Line int `json:"line,omitempty"`
}

// Binding is where a job's input comes from: exactly one of its fields.
type Binding struct {
	// Input names a pipeline input (${{parent.inputs.<Input>}}).
	Input string `json:"input,omitempty"`
	// Job and Output name another job's output
	// (${{parent.jobs.<Job>.outputs.<Output>}}).
	Job    string `json:"job,omitempty"`
	Output string `json:"output,omitempty"`
	// Ref is a literal data reference.
	Ref string `json:"ref,omitempty"`

	line, col int // where the binding is written, for messages
}

// Needs returns the jobs j's inputs bind to, in the order of j's input
// names.
//
// workflowcheck flags its map iteration; the keys are sorted, so it is
// deterministic.
//
//workflowcheck:ignore
func (j Job) Needs() []string {
	var out []string
	seen := map[string]bool{}
	for _, name := range sortedKeys(j.Inputs) {
		if b := j.Inputs[name]; b.Job != "" && !seen[b.Job] {
			seen[b.Job] = true
			out = append(out, b.Job)
		}
	}
	return out
}
