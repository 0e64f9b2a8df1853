package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// PipelineSuite tests TrainingPipeline's decisions with the SDK's test
// environment; the steps are mocked, so only the workflow is under test.
type PipelineSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
}

func TestPipelineSuite(t *testing.T) { suite.Run(t, new(PipelineSuite)) }

var a *activities.Activities

func (s *PipelineSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.SetWorkerOptions(worker.Options{Interceptors: nil})
	s.env.RegisterWorkflow(TrainingPipeline)
	s.env.RegisterActivity(a)
}

func (s *PipelineSuite) AfterTest(_, _ string) { s.env.AssertExpectations(s.T()) }

// trained mocks a training step that returns the given tags.
func (s *PipelineSuite) trained(bestModel, accuracy string) {
	s.env.OnActivity(a.Train, mock.Anything, mock.Anything).Return(activities.TrainResult{
		Step:      runctx.Summary{Name: "Train", Status: runctx.StatusCompleted, Tags: map[string]string{"best_model": bestModel, "accuracy": accuracy}},
		ModelRef:  "azblob://runs/iris/wf/train/model.json",
		ModelType: bestModel,
	}, nil).Once()
}

func (s *PipelineSuite) champion(c activities.Champion) {
	s.env.OnActivity(a.LookupChampion, mock.Anything, activities.LookupInput{ModelName: DefaultModelName}).Return(c, nil).Once()
}

func (s *PipelineSuite) result() PipelineResult {
	s.True(s.env.IsWorkflowCompleted())
	s.NoError(s.env.GetWorkflowError())
	var res PipelineResult
	s.NoError(s.env.GetWorkflowResult(&res))
	return res
}

func (s *PipelineSuite) TestRegistersWhenBetterThanThresholdAndChampion() {
	s.trained("SVM", "0.9666666666666667")
	s.champion(activities.Champion{Exists: true, Version: 3, Accuracy: 0.9})
	s.env.OnActivity(a.RegisterModel, mock.Anything, mock.MatchedBy(func(in activities.RegisterInput) bool {
		return in.ModelType == "SVM" && in.Accuracy == 0.9666666666666667 && in.Threshold == 0.5
	})).Return(activities.RegisterResult{Registered: true, Version: 4, Champion: activities.Champion{Exists: true, Version: 4, Accuracy: 0.9666666666666667}}, nil).Once()

	s.env.ExecuteWorkflow(TrainingPipeline, PipelineInput{Threshold: 0.5})
	res := s.result()
	s.Equal("SVM", res.BestModel)
	s.True(res.Registered)
	s.Equal(4, res.ModelVersion)
}

func (s *PipelineSuite) TestSkipsRegistration() {
	tests := []struct {
		name      string
		accuracy  string
		threshold float64
		champ     activities.Champion
	}{
		{"accuracy equal to the threshold", "0.9", 0.9, activities.Champion{}},
		{"below the threshold", "0.8", 0.9, activities.Champion{}},
		{"threshold above one", "1", 1.01, activities.Champion{}},
		{"not above the champion", "0.95", 0.5, activities.Champion{Exists: true, Version: 2, Accuracy: 0.95}},
	}
	for _, tt := range tests {
		s.Run(tt.name, func() {
			s.SetupTest()
			s.trained("LDA", tt.accuracy)
			s.champion(tt.champ)
			s.env.ExecuteWorkflow(TrainingPipeline, PipelineInput{Threshold: tt.threshold})
			res := s.result()
			s.False(res.Registered)
			s.Zero(res.ModelVersion)
			s.NotEmpty(res.Reason)
			s.env.AssertNotCalled(s.T(), "RegisterModel", mock.Anything, mock.Anything)
		})
	}
}

func (s *PipelineSuite) TestRegistrationLostToAnotherPipeline() {
	s.trained("SVM", "0.97")
	s.champion(activities.Champion{})
	s.env.OnActivity(a.RegisterModel, mock.Anything, mock.Anything).Return(activities.RegisterResult{
		Registered: false, Reason: "not registered: champion is now v2 (accuracy 0.99)",
		Champion: activities.Champion{Exists: true, Version: 2, Accuracy: 0.99},
	}, nil).Once()
	s.env.ExecuteWorkflow(TrainingPipeline, PipelineInput{})
	res := s.result()
	s.False(res.Registered)
	s.Equal("not registered: champion is now v2 (accuracy 0.99)", res.Reason)
	s.Equal(2, res.ChampionVersion)
}

func (s *PipelineSuite) TestBadDataFailsWithoutRegistering() {
	s.env.OnActivity(a.Train, mock.Anything, mock.Anything).Return(activities.TrainResult{},
		temporal.NewNonRetryableApplicationError("iris.csv:7: expected 5 fields, got 4", activities.ErrTypeBadData, nil)).Once()
	s.env.ExecuteWorkflow(TrainingPipeline, PipelineInput{})
	s.True(s.env.IsWorkflowCompleted())
	s.env.AssertNotCalled(s.T(), "LookupChampion", mock.Anything, mock.Anything)
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	var appErr *temporal.ApplicationError
	s.True(errors.As(err, &appErr))
	s.Equal(activities.ErrTypeBadData, appErr.Type())
	s.Contains(err.Error(), "iris.csv:7")
}

func (s *PipelineSuite) TestParentTagBecomesSearchAttribute() {
	s.trained("KNN", "0.93")
	s.champion(activities.Champion{Exists: true, Version: 1, Accuracy: 0.99})
	sa := map[string]any{}
	s.env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil).Run(func(args mock.Arguments) {
		for k, v := range args.Get(0).(temporal.SearchAttributes).GetUntypedValues() {
			sa[k.GetName()] = v
		}
	})
	// A step's parent update, as runctx sends it while the step runs.
	s.env.RegisterDelayedCallback(func() {
		s.env.UpdateWorkflow("runctx.parent", "u1", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { s.Fail("rejected", err.Error()) },
			OnAccept:   func() {},
			OnComplete: func(_ any, err error) { s.NoError(err) },
		}, runctx.ParentChange{Step: "wf_train", Tags: map[string]string{"best_model": "KNN", "accuracy": "0.93"}, Properties: map[string]string{"accuracy": "0.93"}})
		s.env.UpdateWorkflow("runctx.parent", "u2", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { s.ErrorContains(err, `"accuracy" is "0.93", not "0.5"`) },
			OnAccept:   func() { s.Fail("a second, different property must be refused") },
			OnComplete: func(any, error) {},
		}, runctx.ParentChange{Step: "wf_train", Properties: map[string]string{"accuracy": "0.5"}})
	}, 0)
	s.env.ExecuteWorkflow(TrainingPipeline, PipelineInput{})
	s.result()
	s.Equal(map[string]any{"Accuracy": 0.93, "BestModel": "KNN", "ModelRegistered": false}, sa)
}

func (s *PipelineSuite) TestBadInputFailsBeforeAnyStep() {
	tests := []struct {
		name string
		in   PipelineInput
		want string
	}{
		{"experiment escaping its folder", PipelineInput{Experiment: "../etc"}, `experiment name "../etc"`},
		{"model name with a slash", PipelineInput{ModelName: "a/b"}, `model name "a/b"`},
		{"one fold", PipelineInput{Folds: 1}, "folds = 1"},
		{"more folds than the limit", PipelineInput{Folds: 80000}, "folds = 80000, more than the limit of 100"},
		{"data escaping its folder", PipelineInput{Data: "azblob://datasets/a/../../models/x"}, "data: "},
		{"data of an unknown scheme", PipelineInput{Data: "s3://bucket/x.csv"}, `data: datastore: bad reference: "s3://bucket/x.csv": unknown scheme`},
		{"outputs escaping its folder", PipelineInput{Outputs: "azblob://runs/../registry"}, "outputs: "},
		{"validation size of one", PipelineInput{ValidationSize: 1}, "validation size = 1"},
	}
	for _, tt := range tests {
		s.Run(tt.name, func() {
			s.SetupTest()
			s.env.ExecuteWorkflow(TrainingPipeline, tt.in)
			s.True(s.env.IsWorkflowCompleted())
			err := s.env.GetWorkflowError()
			s.Require().Error(err)
			s.Contains(err.Error(), tt.want)
			var appErr *temporal.ApplicationError
			s.Require().True(errors.As(err, &appErr))
			s.True(appErr.NonRetryable())
		})
	}
}

// TestParentChangesInTheSummary: the changes a step's summary carries are
// applied when the step ends, once even if the same change (same ID) came
// by update first; a change the pipeline refuses fails it.
func (s *PipelineSuite) TestParentChangesInTheSummary() {
	change := runctx.ParentChange{ID: "wf_train/parent/1", Step: "wf_train",
		Tags: map[string]string{"best_model": "KNN", "accuracy": "0.93"}, Properties: map[string]string{"accuracy": "0.93"},
		Metrics: map[string]float64{"accuracy": 0.93}}
	tests := []struct {
		name        string
		sentBefore  *runctx.ParentChange // by update, while the step runs
		wantMetrics []float64
		wantErr     string
	}{
		{name: "in the summary only", wantMetrics: []float64{0.93}},
		{name: "also sent by update", sentBefore: &change, wantMetrics: []float64{0.93}},
		{name: "refused", sentBefore: &runctx.ParentChange{ID: "wf_train/parent/0", Properties: map[string]string{"accuracy": "0.5"}},
			wantErr: `"accuracy" is "0.5", not "0.93"`},
	}
	for _, tt := range tests {
		s.Run(tt.name, func() {
			s.SetupTest()
			s.env.OnActivity(a.Train, mock.Anything, mock.Anything).After(100*time.Millisecond).Return(activities.TrainResult{
				Step: runctx.Summary{Name: "Train", Status: runctx.StatusCompleted,
					Tags: map[string]string{"best_model": "KNN", "accuracy": "0.93"}, Parent: []runctx.ParentChange{change}},
				ModelType: "KNN",
			}, nil).Once()
			if tt.wantErr == "" {
				s.champion(activities.Champion{Exists: true, Version: 1, Accuracy: 0.99})
			}
			sa := map[string]any{}
			if tt.wantErr == "" {
				s.env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil).Run(func(args mock.Arguments) {
					for k, v := range args.Get(0).(temporal.SearchAttributes).GetUntypedValues() {
						sa[k.GetName()] = v
					}
				})
			}
			if tt.sentBefore != nil {
				s.env.RegisterDelayedCallback(func() {
					s.env.UpdateWorkflow("runctx.parent", tt.sentBefore.ID, &testsuite.TestUpdateCallback{
						OnReject: func(err error) { s.Fail("rejected", err.Error()) }, OnAccept: func() {},
						OnComplete: func(_ any, err error) { s.NoError(err) },
					}, *tt.sentBefore)
				}, 0)
			}
			s.env.ExecuteWorkflow(TrainingPipeline, PipelineInput{})
			if tt.wantErr != "" {
				s.Require().Error(s.env.GetWorkflowError())
				s.ErrorContains(s.env.GetWorkflowError(), tt.wantErr)
				return
			}
			res := s.result()
			s.Equal(tt.wantMetrics, res.Metrics["accuracy"])
			s.Equal(map[string]any{"Accuracy": 0.93, "BestModel": "KNN", "ModelRegistered": false}, sa)
		})
	}
}
