package activities

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/sweep"
)

// Steps and tags of a sweep (workflows.HyperparameterSweep).
const (
	StepSweepPrepare = "prepare"
	StepSweepSummary = "summary"
	// TagTrial and TagParams are the tags of a trial's run.
	TagTrial  = "trial"
	TagParams = "params"
	// MetricCVScore is a trial's series: its CV score on each fold, in
	// fold order, logged as each fold ends.
	MetricCVScore = "cv_score"
)

// SweepCacheSize is how many prepared data sets (data, hash and split) a
// worker keeps for its trials.
const SweepCacheSize = 4

// Sweep holds the steps of a hyperparameter sweep and a small cache of
// prepared data: a worker reads a sweep's data once per data hash, not
// once per trial.
type Sweep struct {
	Data DataReader

	mu    sync.Mutex
	cache []*prepared // most recently used last
}

// NewSweep returns the sweep's steps reading data through data.
func NewSweep(data DataReader) *Sweep { return &Sweep{Data: data} }

// Split says how a sweep cuts its data: the validation part
// (train_test_split with Seed) and Folds unshuffled k-fold splits of the
// training part.
type Split struct {
	Data           string  `json:"data"`
	Folds          int     `json:"folds"`
	Seed           int64   `json:"seed"`
	ValidationSize float64 `json:"validation_size"`
}

// PrepareInput is the prepare step's input.
type PrepareInput struct {
	Split
}

// PrepareResult describes the sweep's data: its hash (the trials refuse
// other data), its size and the smallest training part of a fold.
type PrepareResult struct {
	Step          runctx.Summary `json:"step"`
	DataHash      string         `json:"data_hash"`
	Rows          int            `json:"rows"`
	Classes       int            `json:"classes"`
	TrainRows     int            `json:"train_rows"`
	MinFoldTrain  int            `json:"min_fold_train"`
	ValidationRow int            `json:"validation_rows"`
}

// RunSummary returns the step's run summary (runctx.Summarizer).
func (r PrepareResult) RunSummary() runctx.Summary { return r.Step }

// TrialInput is one call of a trial: the folds From ≤ f < To, and, when
// Final, the fit on the whole training part scored on the validation part.
// Scores are the trial's scores of the folds before From (for its record).
type TrialInput struct {
	Split
	TrialID  string            `json:"trial_id"`
	Model    string            `json:"model"`
	Params   map[string]string `json:"params"`
	DataHash string            `json:"data_hash"`
	From     int               `json:"from"`
	To       int               `json:"to"`
	Scores   []float64         `json:"scores,omitempty"`
	Final    bool              `json:"final,omitempty"`
}

// TrialResult is what a trial call returns: the new folds' scores and,
// when final, the validation accuracy, the model file and the run summary.
type TrialResult struct {
	Step      runctx.Summary `json:"step"`
	Scores    []float64      `json:"scores"`
	Accuracy  float64        `json:"accuracy,omitempty"`
	ModelRef  string         `json:"model_ref,omitempty"`
	RecordRef string         `json:"record_ref,omitempty"`
}

// RunSummary returns the trial's run summary (runctx.Summarizer).
func (r TrialResult) RunSummary() runctx.Summary { return r.Step }

// SummaryInput is the summary step's input: the trials as columns.
type SummaryInput struct {
	Table map[string][]any `json:"table"`
	Best  string           `json:"best"`
}

// prepared is a data set cut as a sweep cuts it.
type prepared struct {
	key    string
	once   sync.Once
	err    error
	ds     *ml.Dataset
	hash   string
	xtr    [][]float64
	ytr    []int
	xva    [][]float64
	yva    []int
	splits [][2][]int
}

// get returns the data of split, read and cut once per worker; the key
// holds the data hash when known, so changed data is read again.
func (s *Sweep) get(ctx context.Context, sp Split, hash string) (*prepared, error) {
	keyOf := func(hash string) string {
		return fmt.Sprintf("%s|%s|%d|%d|%g", sp.Data, hash, sp.Folds, sp.Seed, sp.ValidationSize)
	}
	key := keyOf(hash)
	s.mu.Lock()
	var p *prepared
	for i, c := range s.cache {
		if c.key == key {
			p = c
			s.cache = append(append(s.cache[:i:i], s.cache[i+1:]...), c)
			break
		}
	}
	if p == nil {
		p = &prepared{key: key}
		s.cache = append(s.cache, p)
		if len(s.cache) > SweepCacheSize {
			s.cache = s.cache[1:]
		}
	}
	s.mu.Unlock()
	p.once.Do(func() { p.err = s.load(ctx, p, sp) })
	if p.err != nil {
		s.mu.Lock()
		for i, c := range s.cache {
			if c == p {
				s.cache = append(s.cache[:i:i], s.cache[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
		return nil, p.err
	}
	if hash == "" {
		// Read without a hash (the prepare step), the data is now known
		// by its hash: the sweep's trials find it under it.
		s.mu.Lock()
		p.key = keyOf(p.hash)
		s.mu.Unlock()
	}
	if hash != "" && p.hash != hash {
		return nil, badData(fmt.Errorf("data %s changed since the sweep started: hash %s, the sweep prepared %s", sp.Data, p.hash, hash))
	}
	return p, nil
}

func (s *Sweep) load(ctx context.Context, p *prepared, sp Split) error {
	ref, err := datastore.ParseRef(sp.Data)
	if err != nil {
		return err
	}
	rc, _, err := s.Data.Read(ctx, ref)
	if err != nil {
		return fmt.Errorf("data %s: %w", sp.Data, err)
	}
	defer rc.Close()
	ds, err := ml.LoadCSV(rc, sp.Data)
	if err != nil {
		return err
	}
	train, val, err := ml.TrainTestSplit(len(ds.X), sp.ValidationSize, sp.Seed)
	if err != nil {
		return badData(fmt.Errorf("%s: %w", sp.Data, err))
	}
	if len(train) < sp.Folds {
		return badData(fmt.Errorf("%s: too few rows: %d training rows cannot give %d folds", sp.Data, len(train), sp.Folds))
	}
	splits, err := ml.KFold(len(train), sp.Folds)
	if err != nil {
		return badData(fmt.Errorf("%s: %w", sp.Data, err))
	}
	p.ds, p.hash, p.splits = ds, ml.Hash(ds), splits
	p.xtr, p.ytr = subset(ds.X, ds.Y, train)
	p.xva, p.yva = subset(ds.X, ds.Y, val)
	return nil
}

func subset(X [][]float64, y []int, idx []int) ([][]float64, []int) {
	xs, ys := make([][]float64, len(idx)), make([]int, len(idx))
	for k, i := range idx {
		xs[k], ys[k] = X[i], y[i]
	}
	return xs, ys
}

// PrepareSweep reads the sweep's data once, checks that it can be split as
// asked, and returns its hash and sizes, so the workflow can refuse
// hyperparameters the data cannot take (n_neighbors above a fold's
// training rows) before the first trial.
func (s *Sweep) PrepareSweep(ctx context.Context, in PrepareInput) (PrepareResult, error) {
	run, err := runctx.FromContext(ctx)
	if err != nil {
		return PrepareResult{}, err
	}
	p, err := s.get(ctx, in.Split, "")
	if err != nil {
		return PrepareResult{}, err
	}
	res := PrepareResult{DataHash: p.hash, Rows: len(p.ds.X), Classes: len(p.ds.Classes),
		TrainRows: len(p.xtr), ValidationRow: len(p.xva), MinFoldTrain: len(p.xtr)}
	for _, f := range p.splits {
		res.MinFoldTrain = min(res.MinFoldTrain, len(f[0]))
	}
	if err := run.SetTags(map[string]string{"data_hash": p.hash}); err != nil {
		return PrepareResult{}, err
	}
	run.Log("rows", float64(res.Rows))
	res.Step, err = run.Complete(ctx, nil)
	return res, err
}

// foldProgress is a trial's heartbeat: the scores of the folds done, so a
// retry on another worker starts after them.
//
// A trial records its progress only once it has run for progressAfter: a
// retry of a shorter one loses less than the heartbeat costs every trial
// (one call to the server; the run context's own heartbeat keeps a
// trial's worker known and its cancellation delivered).
type foldProgress struct {
	From   int       `json:"from"`
	Scores []float64 `json:"scores"`
}

const progressAfter = time.Second

// SweepTrial runs part of a trial: folds From to To (each logged to the
// trial's run as cv_score as it ends, and heartbeated, so that a retry
// elsewhere resumes after the last fold done), then, when Final, fits the
// model on the whole training part, scores it on the validation part, and
// writes the confusion matrix and the model file. Cancellation is honoured
// between folds.
func (s *Sweep) SweepTrial(ctx context.Context, in TrialInput) (TrialResult, error) {
	run, err := runctx.FromContext(ctx)
	if err != nil {
		return TrialResult{}, err
	}
	model, err := ml.CanonicalName(in.Model)
	if err != nil {
		return TrialResult{}, badData(err)
	}
	if _, err := ml.NewWithParams(model, in.Params); err != nil {
		return TrialResult{}, badData(err)
	}
	p, err := s.get(ctx, in.Split, in.DataHash)
	if err != nil {
		return TrialResult{}, err
	}
	if in.From < 0 || in.To > len(p.splits) || in.From > in.To {
		return TrialResult{}, badData(fmt.Errorf("trial %s: folds %d..%d of %d", in.TrialID, in.From, in.To, len(p.splits)))
	}
	var res TrialResult
	if activity.HasHeartbeatDetails(ctx) {
		var prog foldProgress
		if activity.GetHeartbeatDetails(ctx, &prog) == nil && prog.From == in.From && len(prog.Scores) <= in.To-in.From {
			res.Scores = prog.Scores
		}
	}
	began := time.Now()
	all := append([]float64(nil), in.Scores...)
	all = append(all, res.Scores...)
	for f := in.From + len(res.Scores); f < in.To; f++ {
		if err := ctx.Err(); err != nil {
			return TrialResult{}, err
		}
		c, _ := ml.NewWithSeedParams(model, in.Seed, in.Params)
		split := p.splits[f]
		xtr, ytr := subset(p.xtr, p.ytr, split[0])
		xte, yte := subset(p.xtr, p.ytr, split[1])
		if err := c.Fit(xtr, ytr); err != nil {
			return TrialResult{}, badData(fmt.Errorf("trial %s: fold %d: fit: %w", in.TrialID, f+1, err))
		}
		pred, err := c.Predict(xte)
		if err != nil {
			return TrialResult{}, badData(fmt.Errorf("trial %s: fold %d: predict: %w", in.TrialID, f+1, err))
		}
		score := ml.Accuracy(yte, pred)
		res.Scores = append(res.Scores, score)
		all = append(all, score)
		if time.Since(began) >= progressAfter {
			activity.RecordHeartbeat(ctx, foldProgress{From: in.From, Scores: res.Scores})
		}
	}
	for _, v := range all {
		run.Log(MetricCVScore, v)
	}
	tags := map[string]string{TagTrial: in.TrialID, TagParams: sweep.FormatParams(in.Params), TagBestModel: model}
	if !in.Final {
		if err := run.SetTags(tags); err != nil {
			return TrialResult{}, err
		}
		return res, nil
	}
	if err := ctx.Err(); err != nil {
		return TrialResult{}, err
	}
	c, _ := ml.NewWithSeedParams(model, in.Seed, in.Params)
	if err := c.Fit(p.xtr, p.ytr); err != nil {
		return TrialResult{}, badData(fmt.Errorf("trial %s: fit: %w", in.TrialID, err))
	}
	pred, err := c.Predict(p.xva)
	if err != nil {
		return TrialResult{}, badData(fmt.Errorf("trial %s: predict: %w", in.TrialID, err))
	}
	res.Accuracy = ml.Accuracy(p.yva, pred)
	run.Log(TagAccuracy, res.Accuracy)
	if err := run.LogConfusionMatrix("Confusion matrix "+in.TrialID, p.ds.Classes, ml.ConfusionMatrix(p.yva, pred, len(p.ds.Classes))); err != nil {
		return TrialResult{}, err
	}
	tags[TagAccuracy] = strconv.FormatFloat(res.Accuracy, 'f', -1, 64)
	if err := run.SetTags(tags); err != nil {
		return TrialResult{}, err
	}
	if err := run.AddProperties(map[string]string{TagParams: tags[TagParams], "data_hash": p.hash}); err != nil {
		return TrialResult{}, err
	}
	var buf bytes.Buffer
	if err := ml.Save(&buf, model, c, p.ds); err != nil {
		return TrialResult{}, fmt.Errorf("trial %s: save model: %w", in.TrialID, err)
	}
	if res.ModelRef, err = run.Upload(ctx, "model.json", "application/json", &buf); err != nil {
		return TrialResult{}, err
	}
	if res.Step, err = run.Complete(ctx, nil); err != nil {
		return TrialResult{}, err
	}
	res.RecordRef = res.Step.RecordRef
	return res, nil
}

// SweepSummary records the table of all trials (Azure ML's log_table) in
// the summary step's run, and the best trial as its tag.
func (s *Sweep) SweepSummary(ctx context.Context, in SummaryInput) (runctx.Summary, error) {
	run, err := runctx.FromContext(ctx)
	if err != nil {
		return runctx.Summary{}, err
	}
	if err := run.LogTable("trials", in.Table); err != nil {
		return runctx.Summary{}, badData(err)
	}
	if in.Best != "" {
		if err := run.Tag("best_trial", in.Best); err != nil {
			return runctx.Summary{}, err
		}
	}
	return run.Complete(ctx, nil)
}
