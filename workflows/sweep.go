package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/sweep"
)

// TrialHeartbeatTimeout is the heartbeat timeout of a trial: a trial whose
// worker dies runs again on another worker after at most this long, and a
// cancelled trial learns of it within about a third of it.
const TrialHeartbeatTimeout = 10 * time.Second

// HyperparameterSweep is Azure ML's HyperDrive on Temporal: the sweep is the
// parent run, each trial a child run (one model, one set of
// hyperparameters, cross-validated fold by fold, then fitted on the whole
// training part and scored on the validation part). At most MaxConcurrent
// trials run at once, on any worker of the task queue. With an early
// termination policy a trial runs as one activity per evaluation interval
// and the workflow, from the fold scores all trials reported, decides after
// each whether it goes on (sweep.Policy.Decide); without one, a trial is one
// activity. The best trial is tagged on the sweep (search attributes
// BestModel, Accuracy) as it changes; at the end a table of all trials is
// logged, and the best model registered under the pipeline's rules. After
// TrialsPerRun trials a run drains and continues as new.
func HyperparameterSweep(ctx workflow.Context, in SweepInput) (SweepResult, error) {
	in = in.WithDefaults()
	in.Space = in.Space.Normalize()
	if err := in.Validate(); err != nil {
		return SweepResult{}, badData(err)
	}
	ctx, p, err := runctx.StartPipeline(ctx, runctx.PipelineOptions{Experiment: in.Experiment, Outputs: in.Outputs})
	if err != nil {
		return SweepResult{}, err
	}
	// The sweep's own steps (prepare, summary) run eagerly, on the worker
	// that ran the workflow task, saving a dispatch each; trials do not
	// (see runTrial).
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Hour,
		HeartbeatTimeout:    TrialHeartbeatTimeout,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			MaximumInterval:        10 * time.Second,
			NonRetryableErrorTypes: []string{activities.ErrTypeBadData},
		},
	})
	var sw *activities.Sweep
	split := activities.Split{Data: in.Data, Folds: in.Folds, Seed: in.Seed, ValidationSize: in.ValidationSize}
	st := in.State
	if st == nil {
		var prep activities.PrepareResult
		err := runctx.ExecuteStep(ctx, runctx.StepOptions{Name: activities.StepSweepPrepare, Summary: "prepare: " + in.Data},
			sw.PrepareSweep, activities.PrepareInput{Split: split}).Get(ctx, &prep)
		if err != nil {
			return SweepResult{}, err
		}
		if err := checkAgainstData(in.Space, prep); err != nil {
			return SweepResult{}, badData(err)
		}
		st = &SweepState{Prepared: prep}
	}
	st.Runs++
	s := &sweeper{in: in, p: p, st: st, split: split}
	for _, t := range st.Trials {
		s.board.Report(trialIndex(t.TrialID), t.CVScores)
		s.consider(t)
	}
	if s.best != nil {
		if err := s.publishBest(ctx); err != nil {
			return SweepResult{}, err
		}
	}
	if err := workflow.SetQueryHandler(ctx, QuerySweep, func() (SweepProgress, error) { return s.progress(), nil }); err != nil {
		return SweepResult{}, err
	}

	started := 0
	for st.Next < in.Space.Trials && started < TrialsPerRun && s.err == nil {
		if err := workflow.Await(ctx, func() bool { return s.running < in.MaxConcurrent || s.err != nil }); err != nil {
			return SweepResult{}, err
		}
		if s.err != nil {
			break
		}
		i := st.Next
		st.Next++
		started++
		s.running++
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer func() { s.running-- }()
			s.runTrial(ctx, i)
		})
	}
	if err := workflow.Await(ctx, func() bool { return s.running == 0 }); err != nil {
		return SweepResult{}, err
	}
	if s.err != nil {
		return SweepResult{}, s.err
	}
	if st.Next < in.Space.Trials {
		next := in
		next.State = st
		return SweepResult{}, workflow.NewContinueAsNewError(ctx, HyperparameterSweep, next)
	}
	return s.finish(ctx)
}

// checkAgainstData refuses, before the first trial, hyperparameters the
// data cannot take: more neighbours than a fold's training rows.
func checkAgainstData(sp sweep.Space, prep activities.PrepareResult) error {
	for _, p := range sp.Params {
		if p.Name != "n_neighbors" {
			continue
		}
		most := p.Max
		for _, v := range p.Values {
			if n, err := strconv.ParseFloat(v, 64); err == nil {
				most = max(most, n)
			}
		}
		if int(most+0.5) > prep.MinFoldTrain {
			return fmt.Errorf("%w: n_neighbors up to %g, but a fold trains on %d rows (scikit-learn refuses n_neighbors above the rows)", ErrBadInput, most, prep.MinFoldTrain)
		}
	}
	return nil
}

func trialIndex(id string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(id, "trial-"))
	return n - 1
}

// sweeper is one run of the sweep: its state, the board the policy reads,
// and the best trial so far. Its goroutines are workflow coroutines.
type sweeper struct {
	in      SweepInput
	p       *runctx.Pipeline
	st      *SweepState
	split   activities.Split
	board   sweep.Board
	best    *TrialRecord
	running int
	// err is a failure of the sweep itself (a parent change refused),
	// not of a trial: the sweep stops starting trials.
	err error
}

func (s *sweeper) progress() SweepProgress {
	pr := SweepProgress{Total: s.in.Space.Trials, Running: s.running, Best: s.best}
	for _, t := range s.st.Trials {
		switch t.Status {
		case TrialCompleted:
			pr.Done++
		case TrialEarlyTerminated:
			pr.Stopped++
		case TrialFailed:
			pr.Failed++
		}
	}
	return pr
}

// better orders trials: higher accuracy, then the earlier trial.
func better(a TrialRecord, b *TrialRecord) bool {
	if b == nil {
		return true
	}
	if a.Accuracy != b.Accuracy {
		return a.Accuracy > b.Accuracy
	}
	return trialIndex(a.TrialID) < trialIndex(b.TrialID)
}

// consider makes t the best trial if it is; it reports whether it did.
func (s *sweeper) consider(t TrialRecord) bool {
	if t.Status != TrialCompleted || !better(t, s.best) {
		return false
	}
	b := t
	s.best = &b
	return true
}

func (s *sweeper) publishBest(ctx workflow.Context) error {
	b := s.best
	return s.p.Apply(ctx, runctx.ParentChange{Tags: map[string]string{
		TagBestTrial:            b.TrialID,
		activities.TagAccuracy:  strconv.FormatFloat(b.Accuracy, 'f', -1, 64),
		activities.TagBestModel: s.in.Space.Model,
		TagBestParams:           sweep.FormatParams(b.Params),
	}})
}

// segment returns the folds [from, to) of a trial's next activity and
// whether it ends with the final fit: a trial's activity ends at the next
// fold where the policy is applied, and the final fit rides with the last
// folds unless the policy is applied after the last fold.
func segment(pol sweep.Policy, folds, from int) (to int, final bool) {
	to = folds
	for f := from + 1; f <= folds; f++ {
		if pol.Evaluates(f) {
			to = f
			break
		}
	}
	return to, to == folds && (from == folds || !pol.Evaluates(folds))
}

// runTrial runs trial i to its end: completed, stopped early or failed.
func (s *sweeper) runTrial(ctx workflow.Context, i int) {
	var sw *activities.Sweep
	// Trials are not executed eagerly: an eager trial runs on the worker
	// that ran the workflow task, where CPU-bound trials pile up; through
	// the task queue every worker takes its share.
	ao := workflow.GetActivityOptions(ctx)
	ao.DisableEagerExecution = true
	ctx = workflow.WithActivityOptions(ctx, ao)
	id := TrialID(i)
	rec := TrialRecord{TrialID: id, Params: s.in.Space.Trial(i), CVScores: []float64{}}
	summary := fmt.Sprintf("%s: %s %s", id, s.in.Space.Model, sweep.FormatParams(rec.Params))
	if len(summary) > 200 {
		summary = summary[:200]
	}
	s.p.StepStarted(ctx, id)
	for from := 0; ; {
		to, final := segment(s.in.Policy, s.in.Folds, from)
		ti := activities.TrialInput{Split: s.split, TrialID: id, Model: s.in.Space.Model, Params: rec.Params,
			DataHash: s.st.Prepared.DataHash, From: from, To: to, Scores: rec.CVScores, Final: final}
		var res activities.TrialResult
		var err error
		if final {
			err = runctx.ExecuteStep(ctx, runctx.StepOptions{Name: id, Summary: summary}, sw.SweepTrial, ti).Get(ctx, &res)
		} else {
			ao := workflow.GetActivityOptions(ctx)
			ao.ActivityID = fmt.Sprintf("%s-folds-%d-%d", id, from+1, to)
			ao.Summary = fmt.Sprintf("%s folds %d-%d", summary, from+1, to)
			err = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, ao), sw.SweepTrial, ti).Get(ctx, &res)
			if err != nil {
				_ = s.p.StepEnded(ctx, id, runctx.Summary{}, err)
			}
		}
		if err != nil {
			var canceled *temporal.CanceledError
			if errors.As(err, &canceled) || ctx.Err() != nil {
				return // the sweep is cancelled: no record
			}
			rec.Status, rec.Reason = TrialFailed, rootMessage(err)
			s.st.Trials = append(s.st.Trials, rec)
			return
		}
		rec.CVScores = append(slices.Clone(rec.CVScores), res.Scores...)
		s.board.Report(i, rec.CVScores)
		if final {
			rec.Status, rec.Accuracy, rec.ModelRef, rec.RecordRef = TrialCompleted, res.Accuracy, res.ModelRef, res.RecordRef
			s.st.Trials = append(s.st.Trials, rec)
			if s.consider(rec) {
				if err := s.publishBest(ctx); err != nil && s.err == nil {
					s.err = err
				}
			}
			return
		}
		if stop, reason := s.in.Policy.Decide(&s.board, i); stop {
			rec.Status, rec.Fold, rec.Reason = TrialEarlyTerminated, len(rec.CVScores), reason
			s.st.Trials = append(s.st.Trials, rec)
			_ = runctx.SkipStep(ctx, id, "early terminated: "+reason)
			return
		}
		from = to
	}
}

// finish logs the table of trials, registers the best model under the
// pipeline's rules, and tags the sweep.
func (s *sweeper) finish(ctx workflow.Context) (SweepResult, error) {
	var sw *activities.Sweep
	trials := slices.Clone(s.st.Trials)
	slices.SortFunc(trials, func(a, b TrialRecord) int { return strings.Compare(a.TrialID, b.TrialID) })
	res := SweepResult{Trials: trials, Best: s.best, Policy: s.in.Policy.String(), Runs: s.st.Runs}

	table := map[string][]any{"trial_id": {}, "params": {}, "status": {}, "accuracy": {}, "cv_mean": {}, "fold": {}}
	for _, t := range trials {
		var mean float64
		for _, v := range t.CVScores {
			mean += v / float64(len(t.CVScores))
		}
		table["trial_id"] = append(table["trial_id"], t.TrialID)
		table["params"] = append(table["params"], sweep.FormatParams(t.Params))
		table["status"] = append(table["status"], t.Status)
		table["accuracy"] = append(table["accuracy"], t.Accuracy)
		table["cv_mean"] = append(table["cv_mean"], mean)
		table["fold"] = append(table["fold"], len(t.CVScores))
	}
	best := ""
	if s.best != nil {
		best = s.best.TrialID
	}
	err := runctx.ExecuteStep(ctx, runctx.StepOptions{Name: activities.StepSweepSummary, Summary: fmt.Sprintf("summary: %d trials", len(trials))},
		sw.SweepSummary, activities.SummaryInput{Table: table, Best: best}).Get(ctx, nil)
	if err != nil {
		return SweepResult{}, err
	}
	if s.best == nil {
		return SweepResult{}, badData(fmt.Errorf("no trial of %d completed; the first failure: %s", len(trials), firstReason(trials)))
	}

	var a *activities.Activities
	var champ activities.Champion
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		ScheduleToCloseTimeout: lookupTimeout,
		StartToCloseTimeout:    time.Minute,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second,
			NonRetryableErrorTypes: []string{activities.ErrTypeBadData}},
	})
	if err := runctx.ExecuteLocalStep(lctx, runctx.StepOptions{Name: activities.StepLookup, Summary: "lookup-champion: " + s.in.ModelName},
		a.LookupChampion, activities.LookupInput{ModelName: s.in.ModelName}).Get(ctx, &champ); err != nil {
		return SweepResult{}, err
	}
	reg, err := registerOrSkip(workflow.WithActivityOptions(ctx, stepOptions), s.p, champ, activities.RegisterInput{
		ModelName: s.in.ModelName, ModelRef: s.best.ModelRef, ModelType: s.in.Space.Model,
		Accuracy: s.best.Accuracy, Threshold: s.in.Threshold,
		Data: s.in.Data, DataHash: s.st.Prepared.DataHash, Experiment: s.in.Experiment,
	})
	if err != nil {
		return SweepResult{}, err
	}
	res.Registered, res.ModelVersion, res.Reason = reg.Registered, reg.Version, reg.Reason
	return res, nil
}

func firstReason(trials []TrialRecord) string {
	for _, t := range trials {
		if t.Reason != "" {
			return t.TrialID + ": " + t.Reason
		}
	}
	return "none recorded"
}

// rootMessage is the message of the innermost application error of err,
// or err's own.
func rootMessage(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	return err.Error()
}
