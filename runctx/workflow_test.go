package runctx

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
)

// The workflow half of runctx on the SDK's test environment, with the
// plugin attached as a user attaches it. The steps are mocked; the plugin's
// interceptor still runs around them and records them in a temporary
// folder.

// testWorkflowID is the ID the test environment gives the workflow.
const testWorkflowID = "default-test-workflow-id"

// newTestEnv returns a test environment with the plugin attached, its runs
// recorded under a temporary folder.
func newTestEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	local := datastore.NewLocal(t.TempDir())
	plugin, err := NewPlugin(PluginOptions{Runs: "file:///runs", Store: datastore.Resolver{Local: local, Blob: local}})
	require.NoError(t, err)
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{Plugins: []worker.Plugin{plugin}})
	env.RegisterActivity(summaryStep)
	return env
}

// stepResult is a step result that carries its run's summary.
type stepResult struct{ Step Summary }

func (r stepResult) RunSummary() Summary { return r.Step }

// summaryStep is the step the tests mock: its name is its argument.
func summaryStep(_ context.Context, name string) (stepResult, error) {
	return stepResult{Step: Summary{Name: name}}, nil
}

// stepsPipeline runs summaryStep once per name, in order, and returns the
// parent record; the first step error ends it.
func stepsPipeline(ctx workflow.Context, names []string) (ParentRecord, error) {
	ctx, p, err := StartPipeline(ctx, PipelineOptions{Experiment: "test"})
	if err != nil {
		return ParentRecord{}, err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Hour, RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}})
	for _, name := range names {
		var r stepResult
		if err := ExecuteStep(ctx, StepOptions{Name: name}, summaryStep, name).Get(ctx, &r); err != nil {
			return ParentRecord{}, err
		}
	}
	return p.Record(), nil
}

// onStep mocks the step name: it returns after a minute of workflow time a
// summary that carries parent, or fails with err.
func onStep(env *testsuite.TestWorkflowEnvironment, name string, parent []ParentChange, err error) {
	res := stepResult{Step: Summary{RunID: layout.StepRunID(testWorkflowID, name), Name: name, Status: StatusCompleted, Parent: parent}}
	if err != nil {
		env.OnActivity(summaryStep, mock.Anything, name).Return(stepResult{}, err).After(time.Minute).Once()
		return
	}
	env.OnActivity(summaryStep, mock.Anything, name).Return(res, nil).After(time.Minute).Once()
}

// sendUpdate sends change to the pipeline after delay, by the update a step
// sends, and reports the pipeline's verdict to verdict.
func sendUpdate(env *testsuite.TestWorkflowEnvironment, delay time.Duration, change ParentChange, verdict func(error)) {
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(updateParent, change.ID, &testsuite.TestUpdateCallback{
			OnReject:   verdict,
			OnAccept:   func() {},
			OnComplete: func(_ any, err error) { verdict(err) },
		}, change)
	}, delay)
}

func mustNotFail(t *testing.T) func(error) {
	return func(err error) { assert.NoError(t, err, "the pipeline refused an update") }
}

func queryRun(t *testing.T, env *testsuite.TestWorkflowEnvironment) ParentRecord {
	t.Helper()
	v, err := env.QueryWorkflow(QueryRun)
	require.NoError(t, err)
	var rec ParentRecord
	require.NoError(t, v.Get(&rec))
	return rec
}

// TestParentChangeAppliedOnce: a step's parent change that reaches the
// pipeline twice, with the same ID, is applied once: a metric is logged
// once, not twice.
func TestParentChangeAppliedOnce(t *testing.T) {
	change := ParentChange{
		ID: layout.StepRunID(testWorkflowID, "train") + "/parent/1", Step: layout.StepRunID(testWorkflowID, "train"),
		Tags: map[string]string{"accuracy": "0.9"}, Properties: map[string]string{"best_model": "SVM"}, Metrics: map[string]float64{"loss": 0.5},
	}
	tests := []struct {
		name      string
		updates   int // times the change is sent by update while the step runs
		inSummary []ParentChange
	}{
		{"by update, then in the step's summary", 1, []ParentChange{change}},
		{"twice in the step's summary", 0, []ParentChange{change, change}},
		{"by update twice, then in the summary", 2, []ParentChange{change}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			env.RegisterWorkflow(stepsPipeline)
			onStep(env, "train", tt.inSummary, nil)
			for i := range tt.updates {
				sendUpdate(env, time.Duration(i+1)*time.Second, change, mustNotFail(t))
			}
			env.ExecuteWorkflow(stepsPipeline, []string{"train"})
			require.True(t, env.IsWorkflowCompleted())
			require.NoError(t, env.GetWorkflowError())
			var rec ParentRecord
			require.NoError(t, env.GetWorkflowResult(&rec))
			assert.Equal(t, map[string][]float64{"loss": {0.5}}, rec.Metrics, "logged once")
			assert.Equal(t, map[string]string{"accuracy": "0.9"}, rec.Tags)
			assert.Equal(t, map[string]string{"best_model": "SVM"}, rec.Properties)
		})
	}
}

// TestWriteOnceProperty: a property given the value it has is a no-op; a
// different value is refused, by the update's validator or, when it rides
// in a step's summary, as the error StepFuture.Get returns; the property
// keeps its first value.
func TestWriteOnceProperty(t *testing.T) {
	prop := func(id, v string) ParentChange {
		return ParentChange{ID: id, Step: "s", Properties: map[string]string{"best_model": v}}
	}
	t.Run("by update", func(t *testing.T) {
		env := newTestEnv(t)
		env.RegisterWorkflow(stepsPipeline)
		onStep(env, "train", nil, nil)
		var verdicts []error
		record := func(err error) { verdicts = append(verdicts, err) }
		sendUpdate(env, 1*time.Second, prop("a", "SVM"), record)
		sendUpdate(env, 2*time.Second, prop("b", "SVM"), record)
		sendUpdate(env, 3*time.Second, prop("c", "LR"), record)
		env.ExecuteWorkflow(stepsPipeline, []string{"train"})
		require.NoError(t, env.GetWorkflowError())
		require.Len(t, verdicts, 3)
		assert.NoError(t, verdicts[0])
		assert.NoError(t, verdicts[1], "the same value again is a no-op")
		require.Error(t, verdicts[2])
		assert.Contains(t, verdicts[2].Error(), `property already set to a different value: "best_model" is "SVM", not "LR"`)
		assert.Equal(t, map[string]string{"best_model": "SVM"}, queryRun(t, env).Properties)
	})
	t.Run("in a step's summary", func(t *testing.T) {
		env := newTestEnv(t)
		env.RegisterWorkflow(stepsPipeline)
		onStep(env, "train", []ParentChange{prop("a", "SVM")}, nil)
		onStep(env, "retrain", []ParentChange{prop("b", "LR")}, nil)
		env.ExecuteWorkflow(stepsPipeline, []string{"train", "retrain"})
		err := env.GetWorkflowError()
		require.Error(t, err)
		assert.Contains(t, err.Error(), `step retrain: parent change b: runctx: property already set to a different value: "best_model" is "SVM", not "LR"`)
		assert.Equal(t, map[string]string{"best_model": "SVM"}, queryRun(t, env).Properties)
	})
}

// taggedPipeline publishes its accuracy and stage tags as search
// attributes, and stays open an hour of workflow time for updates. Its
// "sa" query returns its Accuracy search attribute, or -1 when unset.
func taggedPipeline(ctx workflow.Context) error {
	ctx, _, err := StartPipeline(ctx, PipelineOptions{})
	if err != nil {
		return err
	}
	err = workflow.SetQueryHandler(ctx, "sa", func() (float64, error) {
		if v, ok := workflow.GetTypedSearchAttributes(ctx).GetFloat64(temporal.NewSearchAttributeKeyFloat64("Accuracy")); ok {
			return v, nil
		}
		return -1, nil
	})
	if err != nil {
		return err
	}
	return workflow.Sleep(ctx, time.Hour)
}

func init() {
	Declare(taggedPipeline, floatAttribute("accuracy", "Accuracy"), keywordAttribute("stage", "Stage"))
}

// TestRemovedTagUnsetsItsSearchAttribute: a tag mapped to a search
// attribute sets it; removing the tag unsets it; removing a tag the
// pipeline lacks changes nothing.
func TestRemovedTagUnsetsItsSearchAttribute(t *testing.T) {
	env := newTestEnv(t)
	env.RegisterWorkflow(taggedPipeline)
	var upserts []temporal.SearchAttributes
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		upserts = append(upserts, args.Get(0).(temporal.SearchAttributes))
	}).Return(nil)
	accuracy, stage := temporal.NewSearchAttributeKeyFloat64("Accuracy"), temporal.NewSearchAttributeKeyKeyword("Stage")
	saAt := map[string]float64{}
	query := func(name string, at time.Duration) {
		env.RegisterDelayedCallback(func() {
			v, err := env.QueryWorkflow("sa")
			require.NoError(t, err)
			var f float64
			require.NoError(t, v.Get(&f))
			saAt[name] = f
		}, at)
	}
	sendUpdate(env, 1*time.Second, ParentChange{ID: "1", Tags: map[string]string{"accuracy": "0.9", "stage": "dev", "owner": "ml"}}, mustNotFail(t))
	query("after tagging", 2*time.Second)
	sendUpdate(env, 3*time.Second, ParentChange{ID: "2", RemoveTags: []string{"accuracy"}}, mustNotFail(t))
	query("after removing", 4*time.Second)
	sendUpdate(env, 5*time.Second, ParentChange{ID: "3", RemoveTags: []string{"accuracy", "never-set"}}, mustNotFail(t))
	env.ExecuteWorkflow(taggedPipeline)
	require.NoError(t, env.GetWorkflowError())

	require.Len(t, upserts, 2, "tagging, then removing; removing an absent tag upserts nothing")
	v, ok := upserts[0].GetFloat64(accuracy)
	assert.True(t, ok)
	assert.Equal(t, 0.9, v)
	s, _ := upserts[0].GetKeyword(stage)
	assert.Equal(t, "dev", s)
	assert.Equal(t, 2, upserts[0].Size(), "an undeclared tag (owner) is no search attribute")
	assert.False(t, upserts[1].ContainsKey(accuracy), "removing the tag unsets Accuracy")
	assert.Equal(t, 0, upserts[1].Size(), "and leaves Stage alone")
	assert.Equal(t, map[string]float64{"after tagging": 0.9, "after removing": -1}, saAt)
	assert.Equal(t, map[string]string{"stage": "dev", "owner": "ml"}, queryRun(t, env).Tags)
}

// TestFailedStep: a step's error is what StepFuture.Get returns, and the
// steps query records the step as Failed with the error as its reason.
func TestFailedStep(t *testing.T) {
	tests := []struct {
		name  string
		err   error
		steps []string
	}{
		{"the first step", errors.New("out of memory"), []string{"train"}},
		{"after a completed step", temporal.NewNonRetryableApplicationError("bad data", "BadData", nil), []string{"prepare", "train"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			env.RegisterWorkflow(stepsPipeline)
			for _, name := range tt.steps[:len(tt.steps)-1] {
				onStep(env, name, nil, nil)
			}
			onStep(env, "train", nil, tt.err)
			env.ExecuteWorkflow(stepsPipeline, append(tt.steps, "never-run"))
			err := env.GetWorkflowError()
			require.Error(t, err)
			var actErr *temporal.ActivityError
			require.ErrorAs(t, err, &actErr, "the workflow returned Get's error: the step's")
			var appErr *temporal.ApplicationError
			require.ErrorAs(t, err, &appErr)
			assert.Equal(t, tt.err.Error(), appErr.Error())

			v, err := env.QueryWorkflow(QuerySteps)
			require.NoError(t, err)
			var steps []StepInfo
			require.NoError(t, v.Get(&steps))
			require.Len(t, steps, len(tt.steps), "the step after the failed one never started")
			for _, s := range steps[:len(steps)-1] {
				assert.Equal(t, StatusCompleted, s.Status, s.Name)
			}
			failed := steps[len(steps)-1]
			assert.Equal(t, "train", failed.Name)
			assert.Equal(t, layout.StepRunID(testWorkflowID, "train"), failed.RunID)
			assert.Equal(t, StatusFailed, failed.Status)
			assert.Contains(t, failed.Reason, tt.err.Error())
		})
	}
}

// misuse is what stepMisusePipeline reports of the error a call returned.
type misuse struct {
	NoPipeline bool
	Invalid    bool
	Message    string
}

// stepMisusePipeline makes the call named by how, wrongly, and reports the
// error it returns.
func stepMisusePipeline(ctx workflow.Context, how string) (misuse, error) {
	var err error
	switch how {
	case "ExecuteStep", "ExecuteLocalStep", "ExecuteChildStep":
		run := map[string]func(workflow.Context, StepOptions, any, ...any) *StepFuture{
			"ExecuteStep": ExecuteStep, "ExecuteLocalStep": ExecuteLocalStep, "ExecuteChildStep": ExecuteChildStep,
		}[how]
		err = run(ctx, StepOptions{Name: "train"}, summaryStep, "train").Get(ctx, nil)
	case "SkipStep":
		err = SkipStep(ctx, "register", "not accurate enough")
	case "ExecuteStep with no name":
		if ctx, _, err = StartPipeline(ctx, PipelineOptions{}); err == nil {
			err = ExecuteStep(ctx, StepOptions{}, summaryStep, "train").Get(ctx, nil)
		}
	case "ExecuteStep on the context before StartPipeline":
		if _, _, err = StartPipeline(ctx, PipelineOptions{}); err == nil {
			err = ExecuteStep(ctx, StepOptions{Name: "train"}, summaryStep, "train").Get(ctx, nil)
		}
	default:
		return misuse{}, fmt.Errorf("unknown case %q", how)
	}
	if err == nil {
		return misuse{}, nil
	}
	return misuse{NoPipeline: errors.Is(err, errNoPipeline), Invalid: errors.Is(err, ErrInvalid), Message: err.Error()}, nil
}

// TestStepWithoutPipeline: a step run from a context StartPipeline did not
// return fails with errNoPipeline, before anything is scheduled; a step
// without a name with ErrInvalid.
func TestStepWithoutPipeline(t *testing.T) {
	tests := []struct {
		how     string
		want    misuse
		message string
	}{
		{"ExecuteStep", misuse{NoPipeline: true}, "step train: runctx: no pipeline"},
		{"ExecuteLocalStep", misuse{NoPipeline: true}, "step train: runctx: no pipeline"},
		{"ExecuteChildStep", misuse{NoPipeline: true}, "step train: runctx: no pipeline"},
		{"SkipStep", misuse{NoPipeline: true}, "runctx: no pipeline"},
		{"ExecuteStep on the context before StartPipeline", misuse{NoPipeline: true}, "call StartPipeline first, and pass on the context it returns"},
		{"ExecuteStep with no name", misuse{Invalid: true}, "empty step name"},
	}
	for _, tt := range tests {
		t.Run(tt.how, func(t *testing.T) {
			env := newTestEnv(t)
			env.RegisterWorkflow(stepMisusePipeline)
			started := 0
			env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) { started++ })
			env.SetOnLocalActivityStartedListener(func(*activity.Info, context.Context, []any) { started++ })
			env.SetOnChildWorkflowStartedListener(func(*workflow.Info, workflow.Context, converter.EncodedValues) { started++ })
			env.ExecuteWorkflow(stepMisusePipeline, tt.how)
			require.NoError(t, env.GetWorkflowError())
			var got misuse
			require.NoError(t, env.GetWorkflowResult(&got))
			assert.Contains(t, got.Message, tt.message)
			got.Message = ""
			assert.Equal(t, tt.want, got)
			assert.Zero(t, started, "nothing was scheduled")
		})
	}
}

// TestTypedTagReads: a typed read of a step's tag names the step and the
// tag when the tag is missing (ErrNoTag) or not of the type (ErrInvalid).
func TestTypedTagReads(t *testing.T) {
	s := Summary{RunID: "wf_train", Name: "Train", Tags: map[string]string{"accuracy": "0.93", "folds": "3", "registered": "true", "model": "SVM"}}
	read := map[string]func(Summary, string) (any, error){
		"Tag":      func(s Summary, k string) (any, error) { return s.Tag(k) },
		"FloatTag": func(s Summary, k string) (any, error) { return s.FloatTag(k) },
		"IntTag":   func(s Summary, k string) (any, error) { return s.IntTag(k) },
		"BoolTag":  func(s Summary, k string) (any, error) { return s.BoolTag(k) },
	}
	tests := []struct {
		read    string
		summary Summary
		key     string
		want    any
		err     error
		message string
	}{
		{"Tag", s, "model", "SVM", nil, ""},
		{"FloatTag", s, "accuracy", 0.93, nil, ""},
		{"IntTag", s, "folds", int64(3), nil, ""},
		{"BoolTag", s, "registered", true, nil, ""},
		{"Tag", s, "missing", "", ErrNoTag, `step wf_train has no tag "missing"`},
		{"FloatTag", s, "missing", 0.0, ErrNoTag, `step wf_train has no tag "missing"`},
		{"FloatTag", s, "model", 0.0, ErrInvalid, `step wf_train: tag "model" = "SVM" is not a number`},
		{"IntTag", s, "accuracy", int64(0), ErrInvalid, `tag "accuracy" = "0.93" is not an integer`},
		{"BoolTag", s, "folds", false, ErrInvalid, `tag "folds" = "3" is not a boolean`},
		{"FloatTag", Summary{Name: "Train"}, "accuracy", 0.0, ErrNoTag, `step Train has no tag "accuracy"`},
		{"FloatTag", Summary{}, "accuracy", 0.0, ErrNoTag, `step (no summary) has no tag "accuracy"`},
	}
	for _, tt := range tests {
		t.Run(tt.read+" "+tt.key, func(t *testing.T) {
			got, err := read[tt.read](tt.summary, tt.key)
			assert.Equal(t, tt.want, got)
			if tt.err == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.err)
			assert.Contains(t, err.Error(), tt.message)
		})
	}
}

// declaredPipeline tags its pipeline with a score, which it declares as a
// Double search attribute.
func declaredPipeline(ctx workflow.Context) error {
	ctx, p, err := StartPipeline(ctx, PipelineOptions{})
	if err != nil {
		return err
	}
	return p.Apply(ctx, ParentChange{Tags: map[string]string{"score": "0.7"}})
}

func init() { Declare(declaredPipeline, floatAttribute("score", "Score")) }

// TestDeclaredAttributeUnderRegisteredName: a pipeline registered under a
// name of its own still publishes the search attributes its function
// declares, and the plugin knows them for the worker.
func TestDeclaredAttributeUnderRegisteredName(t *testing.T) {
	tests := []struct{ registeredAs, start string }{
		{"", "declaredPipeline"},
		{"my-declared-pipeline", "my-declared-pipeline"},
	}
	for _, tt := range tests {
		t.Run(tt.start, func(t *testing.T) {
			env := newTestEnv(t)
			env.RegisterWorkflowWithOptions(declaredPipeline, workflow.RegisterOptions{Name: tt.registeredAs})
			var upserts []temporal.SearchAttributes
			env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
				upserts = append(upserts, args.Get(0).(temporal.SearchAttributes))
			}).Return(nil)
			env.ExecuteWorkflow(tt.start)
			require.NoError(t, env.GetWorkflowError())
			require.Len(t, upserts, 1)
			v, ok := upserts[0].GetFloat64(temporal.NewSearchAttributeKeyFloat64("Score"))
			assert.True(t, ok, "Score is published")
			assert.Equal(t, 0.7, v)
			assert.Equal(t, attributeSet{layout.ExperimentAttribute: enums.INDEXED_VALUE_TYPE_KEYWORD, "Score": enums.INDEXED_VALUE_TYPE_DOUBLE},
				attributesOf(declared(tt.start)), "what the worker's start creates")
		})
	}
}

func attributesOf(attrs []TagAttribute) attributeSet {
	s := attributeSet{}
	s.add(attrs)
	return s
}

// TestMissingError: the error of a worker that may not add its
// pipelines' search attributes names each, its type, and the command that
// adds it, in name order.
func TestMissingError(t *testing.T) {
	cause := serviceerror.NewPermissionDenied("request denied", "")
	err := missingError("ns", attributeSet{
		"Experiment":      enums.INDEXED_VALUE_TYPE_KEYWORD,
		"Accuracy":        enums.INDEXED_VALUE_TYPE_DOUBLE,
		"ModelVersion":    enums.INDEXED_VALUE_TYPE_INT,
		"ModelRegistered": enums.INDEXED_VALUE_TYPE_BOOL,
	}, cause)
	require.ErrorIs(t, err, errSearchAttributes)
	msg := err.Error()
	assert.Contains(t, msg, "namespace ns lacks search attributes")
	assert.Contains(t, msg, "request denied", "the cause")
	want := []string{
		"  Accuracy (Double): temporal operator search-attribute create --namespace ns --name Accuracy --type Double",
		"  Experiment (Keyword): temporal operator search-attribute create --namespace ns --name Experiment --type Keyword",
		"  ModelRegistered (Bool): temporal operator search-attribute create --namespace ns --name ModelRegistered --type Bool",
		"  ModelVersion (Int): temporal operator search-attribute create --namespace ns --name ModelVersion --type Int",
	}
	assert.Equal(t, want, strings.Split(msg, "\n")[1:], "one line per attribute, sorted by name")
}

// TestStepRunInPartsKeepsItsStart: a step started again while it runs (a
// step run as several activities, as a sweep's trial is) keeps the time it
// first started, so its duration covers all its parts.
func TestStepRunInPartsKeepsItsStart(t *testing.T) {
	env := newTestEnv(t)
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context) ([]StepInfo, error) {
		ctx, p, err := StartPipeline(ctx, PipelineOptions{Experiment: "parts"})
		if err != nil {
			return nil, err
		}
		p.StepStarted(ctx, "trial")
		if err := workflow.Sleep(ctx, time.Minute); err != nil {
			return nil, err
		}
		p.StepStarted(ctx, "trial")
		if err := workflow.Sleep(ctx, time.Minute); err != nil {
			return nil, err
		}
		if err := p.StepEnded(ctx, "trial", Summary{}, nil); err != nil {
			return nil, err
		}
		return p.Record().Steps, nil
	}, workflow.RegisterOptions{Name: "parts"})
	env.ExecuteWorkflow("parts")
	require.NoError(t, env.GetWorkflowError())
	var steps []StepInfo
	require.NoError(t, env.GetWorkflowResult(&steps))
	require.Len(t, steps, 1)
	assert.Equal(t, 2*time.Minute, steps[0].Ended.Sub(steps[0].Started))
}
