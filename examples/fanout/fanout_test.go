package fanout

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/registry"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// WorkflowSuite tests FanoutPipeline on the SDK's test environment with the
// run-context plugin. Prepare, Train and Register are mocked; Evaluate is
// the real step, on a registry in a temporary folder, so the pipeline's
// tags come from it as they would in production.
type WorkflowSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env  *testsuite.TestWorkflowEnvironment
	acts *Activities
}

func TestWorkflowSuite(t *testing.T) { suite.Run(t, new(WorkflowSuite)) }

func (s *WorkflowSuite) SetupTest() {
	// Runs record under file:///runs of a local store rooted in a
	// temporary folder; the registry keeps its models there too.
	local := datastore.NewLocal(s.T().TempDir())
	store := datastore.Resolver{Local: local, Blob: local}
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{Runs: "file:///runs", Store: store})
	s.Require().NoError(err)
	s.acts = NewActivities(store)
	s.env = s.NewTestWorkflowEnvironment()
	s.env.SetWorkerOptions(worker.Options{Plugins: []worker.Plugin{plugin}})
	s.env.RegisterWorkflow(FanoutPipeline)
	s.env.RegisterActivity(s.acts)
}

func (s *WorkflowSuite) AfterTest(_, _ string) { s.env.AssertExpectations(s.T()) }

// trained mocks prepare and the six train steps, which return accuracies
// in ml.Names order.
func (s *WorkflowSuite) trained(accuracies ...string) {
	s.env.OnActivity(s.acts.Prepare, mock.Anything, mock.Anything).Return(PrepareResult{
		Train: "file:///runs/fanout/wf/prepare/train.csv", Validation: "file:///runs/fanout/wf/prepare/validation.csv", DataHash: "abc",
	}, nil).Once()
	for i, model := range ml.Names {
		s.env.OnActivity(s.acts.Train, mock.Anything, mock.MatchedBy(func(in TrainInput) bool { return in.Model == model })).Return(TrainResult{
			Step:     runctx.Summary{Name: "Train", Status: runctx.StatusCompleted, Tags: map[string]string{TagModel: model, TagAccuracy: accuracies[i]}},
			ModelRef: "file:///runs/fanout/wf/train-" + model + "/model.json",
		}, nil).Once()
	}
}

// champion registers a champion of the default model name.
func (s *WorkflowSuite) champion(accuracy float64) {
	_, err := s.acts.Registry.Register(context.Background(), registry.RegisterRequest{
		Name: DefaultModelName, Model: []byte("{}"), Accuracy: accuracy, Run: registry.RunRef{RunID: "earlier"}, FirstAttempt: true,
	})
	s.Require().NoError(err)
}

func (s *WorkflowSuite) result() Result {
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	var res Result
	s.Require().NoError(s.env.GetWorkflowResult(&res))
	return res
}

// steps returns the pipeline's steps by name, from its query.
func (s *WorkflowSuite) steps() map[string]runctx.StepInfo {
	v, err := s.env.QueryWorkflow(runctx.QuerySteps)
	s.Require().NoError(err)
	var steps []runctx.StepInfo
	s.Require().NoError(v.Get(&steps))
	byName := map[string]runctx.StepInfo{}
	for _, st := range steps {
		byName[st.Name] = st
	}
	return byName
}

func (s *WorkflowSuite) TestRegistersWhenBetter() {
	s.trained("0.9", "0.95", "0.95", "0.9", "0.9333", "0.9667")
	s.champion(0.93)
	s.env.OnActivity(s.acts.Register, mock.Anything, mock.MatchedBy(func(in RegisterInput) bool {
		return in.ModelType == "SVM" && in.Accuracy == 0.9667 && in.ModelRef == "file:///runs/fanout/wf/train-SVM/model.json" && in.Threshold == 0.5
	})).Return(RegisterResult{Registered: true, Version: 2}, nil).Once()

	s.env.ExecuteWorkflow(FanoutPipeline, Input{Threshold: 0.5})
	res := s.result()
	s.Equal(Result{BestModel: "SVM", Accuracy: 0.9667, ModelRef: "file:///runs/fanout/wf/train-SVM/model.json", Registered: true, ModelVersion: 2}, res)

	v, err := s.env.QueryWorkflow(runctx.QueryRun)
	s.Require().NoError(err)
	var rec runctx.ParentRecord
	s.Require().NoError(v.Get(&rec))
	s.Equal(map[string]string{TagBestModel: "SVM", TagAccuracy: "0.9667"}, rec.Tags, "evaluate tagged the pipeline")
	steps := s.steps()
	s.Len(steps, 9, "prepare, six train steps, evaluate, register")
	s.Equal(runctx.StatusCompleted, steps["register"].Status)
}

func (s *WorkflowSuite) TestSkipsWhenNotBetter() {
	tests := []struct {
		name      string
		champion  float64 // 0: none
		threshold float64
	}{
		{"not above the champion", 0.95, 0},
		{"not above the threshold", 0, 0.95},
	}
	for _, tt := range tests {
		s.Run(tt.name, func() {
			s.SetupTest()
			// A tie: the first of ml.Names wins.
			s.trained("0.9", "0.95", "0.95", "0.9", "0.9", "0.9")
			if tt.champion > 0 {
				s.champion(tt.champion)
			}
			// Only a mocked activity has its calls recorded for AssertActivityNotCalled
			// (and the environment's AssertNotCalled never fails the test).
			s.env.OnActivity(s.acts.Register, mock.Anything, mock.Anything).Return(RegisterResult{}, nil).Maybe()
			s.env.ExecuteWorkflow(FanoutPipeline, Input{Threshold: tt.threshold})
			res := s.result()
			s.Equal("LDA", res.BestModel)
			s.Equal(0.95, res.Accuracy)
			s.False(res.Registered)
			s.Zero(res.ModelVersion)
			s.Contains(res.Reason, "not above")
			s.env.AssertActivityNotCalled(s.T(), "Register", mock.Anything, mock.Anything)
			st := s.steps()["register"]
			s.Equal(runctx.StatusSkipped, st.Status)
			s.Equal(res.Reason, st.Reason)
		})
	}
}

func (s *WorkflowSuite) TestBadDataFailsFast() {
	s.env.OnActivity(s.acts.Prepare, mock.Anything, mock.Anything).Return(PrepareResult{},
		temporal.NewNonRetryableApplicationError("iris.csv:7: expected 5 fields, got 4", ErrTypeBadData, nil)).Once()
	// Only a mocked activity has its calls recorded for AssertActivityNotCalled
	// (and the environment's AssertNotCalled never fails the test).
	s.env.OnActivity(s.acts.Train, mock.Anything, mock.Anything).Return(TrainResult{}, nil).Maybe()
	s.env.ExecuteWorkflow(FanoutPipeline, Input{})
	s.True(s.env.IsWorkflowCompleted())
	err := s.env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	s.Require().True(errors.As(err, &appErr), "%v", err)
	s.Equal(ErrTypeBadData, appErr.Type())
	s.Contains(err.Error(), "iris.csv:7")
	s.env.AssertActivityNotCalled(s.T(), "Train", mock.Anything, mock.Anything)
}

func (s *WorkflowSuite) TestBadInputFailsBeforeAnyStep() {
	s.env.ExecuteWorkflow(FanoutPipeline, Input{ModelName: "../etc", Threshold: 0.5})
	err := s.env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	s.Require().True(errors.As(err, &appErr), "%v", err)
	s.Equal(ErrTypeBadData, appErr.Type())
	s.Contains(err.Error(), `model name "../etc"`)
}
