package workflows

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/internal/pipelinefile"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// A script pipeline's tags become the same search attributes as
// TrainingPipeline's, so a migrated script that tags its parent run with
// best_model and accuracy shows in the Web UI as the reference does.
func init() {
	runctx.Declare(ScriptPipeline,
		runctx.Attribute[string](activities.TagBestModel, AttrBestModel),
		runctx.Attribute[float64](activities.TagAccuracy, AttrAccuracy),
	)
}

// Job statuses of a ScriptPipelineResult, besides runctx's.
const (
	JobCompleted = "Completed"
	JobFailed    = "Failed"
	JobSkipped   = runctx.StatusSkipped
)

// ScriptPipelineResult is what a pipeline of script steps returns: each
// job's outcome and the pipeline's tags and properties at the end.
type ScriptPipelineResult struct {
	Jobs       []JobResult       `json:"jobs"`
	Tags       map[string]string `json:"tags,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
}

// JobResult is one job's outcome.
type JobResult struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	// Reason says why a job was skipped.
	Reason string `json:"reason,omitempty"`
	// Step is the script step's result, for a job that ran.
	Step *runctx.ScriptResult `json:"step,omitempty"`
}

// ScriptPipeline runs a pipeline file (or `starter submit`'s one script):
// each job is a script step (runctx.ExecuteScriptStep) that starts as soon
// as the jobs its inputs bind to have completed, so independent jobs run
// in parallel on any worker of the task queue. A job whose `when` does not
// hold on the pipeline's tags, as they stand when its inputs are ready, is
// skipped with the reason, and so are the jobs that need it. The first job
// that fails fails the pipeline; the jobs still running are cancelled.
// It decides only on what the steps returned: no I/O.
func ScriptPipeline(ctx workflow.Context, pl pipelinefile.Pipeline) (ScriptPipelineResult, error) {
	ctx, p, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{Experiment: pl.Experiment, Attributes: tagAttributes(pl.Attributes)})
	if err != nil {
		return ScriptPipelineResult{}, err
	}
	ctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	s := &scriptRun{pl: pl, p: p, done: map[string]*JobResult{}}
	for _, j := range pl.Jobs {
		workflow.Go(ctx, func(ctx workflow.Context) { s.run(ctx, j) })
	}
	err = workflow.Await(ctx, func() bool { return len(s.done) == len(pl.Jobs) || s.err != nil })
	if err == nil {
		err = s.err
	}
	res := ScriptPipelineResult{Tags: p.Record().Tags, Properties: p.Record().Properties}
	for _, j := range pl.Jobs {
		if r, ok := s.done[j.Name]; ok {
			res.Jobs = append(res.Jobs, *r)
		}
	}
	return res, err
}

// scriptRun is the state of one ScriptPipeline: the jobs that ended.
type scriptRun struct {
	pl   pipelinefile.Pipeline
	p    *runctx.Pipeline
	done map[string]*JobResult
	err  error
}

func (s *scriptRun) run(ctx workflow.Context, j pipelinefile.Job) {
	needs := j.Needs()
	if err := workflow.Await(ctx, func() bool {
		for _, n := range needs {
			if _, ok := s.done[n]; !ok {
				return false
			}
		}
		return true
	}); err != nil {
		return // cancelled: the pipeline failed
	}
	for _, n := range needs {
		if r := s.done[n]; r.Status != JobCompleted {
			s.skip(ctx, j, fmt.Sprintf("needs %s, which was %s", n, r.Status))
			return
		}
	}
	if j.When != nil {
		if ok, reason := j.When.Eval(s.p.Record().Tags); !ok {
			s.skip(ctx, j, reason)
			return
		}
	}
	var res runctx.ScriptResult
	err := runctx.ExecuteScriptStep(workflow.WithActivityOptions(ctx, jobOptions(ctx, j)), s.step(j)).Get(ctx, &res)
	if err != nil {
		s.done[j.Name] = &JobResult{Name: j.Name, Status: JobFailed, Reason: err.Error()}
		if s.err == nil {
			s.err = fmt.Errorf("job %s: %w", j.Name, err)
		}
		return
	}
	s.done[j.Name] = &JobResult{Name: j.Name, Status: JobCompleted, Step: &res}
}

func (s *scriptRun) skip(ctx workflow.Context, j pipelinefile.Job, reason string) {
	s.done[j.Name] = &JobResult{Name: j.Name, Status: JobSkipped, Reason: reason}
	if err := runctx.SkipStep(ctx, j.Name, reason); err != nil && s.err == nil {
		s.err = err
	}
}

// step is the script step of job j, its inputs bound to the pipeline's
// inputs and the outputs of the jobs it needs.
//
// workflowcheck flags its map iteration; the keys are sorted, so it is
// deterministic.
//
//workflowcheck:ignore
func (s *scriptRun) step(j pipelinefile.Job) runctx.ScriptStep {
	inputs := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(j.Inputs)) {
		switch b := j.Inputs[name]; {
		case b.Input != "":
			inputs[name] = s.pl.Inputs[b.Input]
		case b.Job != "":
			inputs[name] = s.done[b.Job].Step.Outputs[b.Output]
		default:
			inputs[name] = b.Ref
		}
	}
	source := j.Code
	if j.Snapshot != "" {
		source = "snapshot:" + j.Snapshot
	}
	summary := j.DisplayName
	if summary == "" {
		summary = j.Name + ": " + j.Command + " " + j.Script
	}
	st := runctx.ScriptStep{
		Name: j.Name, Source: source, Script: j.Script, Arguments: j.Arguments, Command: j.Command,
		Inputs: inputs, Outputs: j.Outputs, Env: j.Env, Reuse: j.AllowReuse, Summary: truncate(summary, 200),
	}
	// Without retries a failing script is not run again, but a step whose
	// worker died is (runctx's default script retry policy); with them, any
	// failure is.
	if j.Retries > 0 {
		st.RetryPolicy = &temporal.RetryPolicy{InitialInterval: time.Second, MaximumAttempts: int32(j.Retries + 1)}
	}
	return st
}

// jobOptions are the activity options of job j: its timeout, where set.
func jobOptions(ctx workflow.Context, j pipelinefile.Job) workflow.ActivityOptions {
	ao := workflow.GetActivityOptions(ctx)
	if j.Timeout > 0 {
		ao.StartToCloseTimeout = j.Timeout
	}
	return ao
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// tagAttributes are a pipeline file's attributes as runctx maps them.
func tagAttributes(attrs []pipelinefile.Attribute) []runctx.TagAttribute {
	var out []runctx.TagAttribute
	for _, a := range attrs {
		switch a.Type {
		case "Double":
			out = append(out, runctx.Attribute[float64](a.Tag, a.Name))
		case "Int":
			out = append(out, runctx.Attribute[int64](a.Tag, a.Name))
		case "Bool":
			out = append(out, runctx.Attribute[bool](a.Tag, a.Name))
		default:
			out = append(out, runctx.Attribute[string](a.Tag, a.Name))
		}
	}
	return out
}
