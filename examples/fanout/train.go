package fanout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// Train is a train step: it fits one model of ml.Names on the training
// set, scores it on the validation set, logs its accuracy and confusion
// matrix, writes its model file under the run's outputs, and tags the run
// with the model and its accuracy.
func (a *Activities) Train(ctx context.Context, in TrainInput) (TrainResult, error) {
	run, err := runctx.FromContext(ctx)
	if err != nil {
		return TrainResult{}, err
	}
	c, err := ml.NewWithSeed(in.Model, in.Seed)
	if err != nil {
		return TrainResult{}, badData(err)
	}
	train, err := a.readCSV(ctx, in.Train)
	if err != nil {
		return TrainResult{}, err
	}
	val, err := a.readCSV(ctx, in.Validation)
	if err != nil {
		return TrainResult{}, err
	}
	yVal, err := relabel(val, train.Classes)
	if err != nil {
		return TrainResult{}, badData(err)
	}

	start := time.Now()
	if err := c.Fit(train.X, train.Y); err != nil {
		return TrainResult{}, modelError(fmt.Errorf("%s: fit %s: %w", in.Train, in.Model, err))
	}
	pred, err := c.Predict(val.X)
	if err != nil {
		return TrainResult{}, modelError(fmt.Errorf("%s: predict %s: %w", in.Validation, in.Model, err))
	}
	run.Log("fit_seconds", time.Since(start).Seconds())
	accuracy := ml.Accuracy(yVal, pred)
	run.Log("accuracy", accuracy)
	if err := run.LogConfusionMatrix("confusion_matrix", train.Classes, ml.ConfusionMatrix(yVal, pred, len(train.Classes))); err != nil {
		return TrainResult{}, err
	}

	var model bytes.Buffer
	if err := ml.Save(&model, in.Model, c, train); err != nil {
		return TrainResult{}, fmt.Errorf("save model %s: %w", in.Model, err)
	}
	modelRef, err := run.Upload(ctx, "model.json", "application/json", &model)
	if err != nil {
		return TrainResult{}, err
	}
	if err := run.SetTags(map[string]string{TagModel: in.Model, TagAccuracy: strconv.FormatFloat(accuracy, 'f', -1, 64)}); err != nil {
		return TrainResult{}, err
	}
	s, err := run.Complete(ctx, nil)
	if err != nil {
		return TrainResult{}, err
	}
	return TrainResult{Step: s, ModelRef: modelRef}, nil
}

// modelError makes an error of the data (a set a model cannot fit)
// non-retryable; others stay retryable.
func modelError(err error) error {
	if errors.Is(err, ml.ErrBadInput) || errors.Is(err, ml.ErrBadData) {
		return badData(err)
	}
	return err
}
