package activities

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// Train is the training step, the Go form of iris_supervised_model.py: it
// loads the data behind in.Data, cross-validates and fits the six
// classifiers, logs each one's accuracy and confusion matrix, writes the
// best model's file under the run's outputs, and tags the step and the
// pipeline with best_model and accuracy.
func (a *Activities) Train(ctx context.Context, in TrainInput) (TrainResult, error) {
	run, err := runctx.FromContext(ctx)
	if err != nil {
		return TrainResult{}, err
	}
	if in.Data == "" && run.IsOffline() {
		in.Data = DefaultLocalData // as the Azure ML tip: offline, fall back to local data
	}
	ds, err := a.load(ctx, in.Data)
	if err != nil {
		return TrainResult{}, err
	}
	start := time.Now()
	report, err := ml.TrainAllContext(ctx, ds, ml.Options{Folds: in.Folds, Seed: in.Seed, ValidationSize: in.ValidationSize})
	if ctx.Err() != nil {
		return TrainResult{}, err // cancelled or timed out: not bad data
	}
	if err != nil {
		return TrainResult{}, badData(err)
	}
	run.Log("train_seconds", time.Since(start).Seconds())
	if err := logReport(run, ds, report); err != nil {
		return TrainResult{}, err
	}
	// The pictures draw and upload while the rest of the step goes on; the
	// record waits for them.
	images := &pictures{g: new(errgroup.Group)}
	if !in.NoPictures {
		images = logImages(ctx, run, ds, report)
	}
	defer images.g.Wait() //nolint:errcheck // an early return's error is the step's
	best := report.BestResult()
	var model bytes.Buffer
	if err := ml.Save(&model, best.Name, best.Model, ds); err != nil {
		return TrainResult{}, fmt.Errorf("save model %s: %w", best.Name, err)
	}
	acc := strconv.FormatFloat(best.ValidationAccuracy, 'f', -1, 64)
	tags := map[string]string{TagBestModel: best.Name, TagAccuracy: acc}
	if err := run.SetTags(tags); err != nil {
		return TrainResult{}, err
	}
	if err := run.AddProperties(tags); err != nil {
		return TrainResult{}, err
	}

	// The pipeline's tags ride in the step's summary: a short step costs
	// the pipeline no workflow task of its own.
	if err := run.Parent().Apply(runctx.ParentChange{Tags: tags, Properties: tags, Metrics: map[string]float64{"accuracy": best.ValidationAccuracy}}); err != nil {
		return TrainResult{}, err
	}

	// Upload the files and store the run's record at once: neither waits
	// for the other. Should an upload fail, the step fails and the
	// interceptor rewrites the record as failed.
	var modelRef string
	var summary runctx.Summary
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		_, err := run.Upload(gctx, "outputs/output.txt", "text/plain", strings.NewReader(output(report)))
		return err
	})
	g.Go(func() (err error) {
		modelRef, err = run.Upload(gctx, "model.json", "application/json", &model)
		return err
	})
	g.Go(func() (err error) {
		if err := images.wait(run); err != nil {
			return err
		}
		summary, err = run.Complete(gctx, nil)
		return err
	})
	if err := g.Wait(); err != nil {
		return TrainResult{}, err
	}
	return TrainResult{Step: summary, ModelRef: modelRef, ModelType: best.Name, DataHash: ml.Hash(ds), Warnings: report.Warnings()}, nil
}

// output is what the reference script prints, the step's outputs/output.txt:
// one line per model, then scikit-learn's warnings.
func output(r *ml.Report) string {
	out := r.Summary()
	for _, w := range r.Warnings() {
		out += w + "\n"
	}
	return out
}

// logReport records what the reference script logs: each model's accuracy
// and confusion matrix, the cross-validation table, and the best accuracy.
func logReport(run *runctx.Run, ds *ml.Dataset, r *ml.Report) error {
	for _, m := range r.Results {
		run.Log(m.Name+"_accuracy", m.ValidationAccuracy)
		if err := run.LogConfusionMatrix("Confusion matrix "+m.Name, ds.Classes, m.Confusion); err != nil {
			return err
		}
		if err := run.LogRow("cross-validation", map[string]any{"model": m.Name, "mean": m.Mean, "std": m.Std}); err != nil {
			return err
		}
	}
	run.Log("accuracy", r.BestResult().ValidationAccuracy)
	return nil
}

// pictures are the step's images being drawn and uploaded.
type pictures struct {
	g     *errgroup.Group
	start time.Time
	mu    sync.Mutex
	drawn time.Time // when the last picture was drawn
}

// wait waits for the pictures and logs how long drawing them took
// ("plot_seconds": compute, as "train_seconds" is, which make bench tells
// apart from the run context's own cost).
func (p *pictures) wait(run *runctx.Run) error {
	if err := p.g.Wait(); err != nil {
		return err
	}
	if !p.drawn.IsZero() {
		run.Log("plot_seconds", p.drawn.Sub(p.start).Seconds())
	}
	return nil
}

func (p *pictures) draw(draw func() ([]byte, error)) ([]byte, error) {
	png, err := draw()
	p.mu.Lock()
	if now := time.Now(); now.After(p.drawn) {
		p.drawn = now
	}
	p.mu.Unlock()
	return png, err
}

// logImages logs, each drawn and uploaded on its own goroutine, what the
// reference script plots: a confusion-matrix heatmap per model ("Confusion
// matrix <NAME>") and the box plot of the cross-validation scores
// ("Algorithm comparison").
func logImages(ctx context.Context, run *runctx.Run, ds *ml.Dataset, r *ml.Report) *pictures {
	g, ctx := errgroup.WithContext(ctx)
	p := &pictures{g: g, start: time.Now()}
	names := make([]string, len(r.Results))
	scores := make([][]float64, len(r.Results))
	for i, m := range r.Results {
		names[i], scores[i] = m.Name, m.Folds
		g.Go(func() error {
			right, all := 0, 0
			for i, row := range m.Confusion {
				for j, v := range row {
					all += v
					if i == j {
						right += v
					}
				}
			}
			title := fmt.Sprintf("Confusion matrix %s: accuracy %.4f (%d of %d)", m.Name, m.ValidationAccuracy, right, all)
			png, err := p.draw(func() ([]byte, error) { return ml.ConfusionMatrixPNG(title, ds.Classes, m.Confusion) })
			if err != nil {
				return fmt.Errorf("confusion matrix of %s: %w", m.Name, err)
			}
			return run.LogImage(ctx, "Confusion matrix "+m.Name, png)
		})
	}
	g.Go(func() error {
		png, err := p.draw(func() ([]byte, error) { return ml.CVBoxPlotPNG(names, scores) })
		if err != nil {
			return fmt.Errorf("algorithm comparison: %w", err)
		}
		return run.LogImage(ctx, "Algorithm comparison", png)
	})
	return p
}

// load reads and parses the CSV behind a data reference. Its errors name
// the reference; the worker classifies them (internal/failure): a bad
// reference, a path outside the roots, a missing file or bad data fail the
// pipeline at once, storage faults are retried.
func (a *Activities) load(ctx context.Context, data string) (*ml.Dataset, error) {
	ref, err := datastore.ParseRef(data)
	if err != nil {
		return nil, err
	}
	rc, _, err := a.Data.Read(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("data %s: %w", data, err)
	}
	defer rc.Close()
	return ml.LoadCSV(rc, data)
}

// badData marks err as bad input: the pipeline fails at once and registers
// nothing. The message names the file and line; it is the whole error.
func badData(err error) error {
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeBadData, nil)
}
