package fanout

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// Evaluate is the evaluate step: it reads each train step's model and
// accuracy tags, picks the best (the first strictly greater, so ties go to
// the earlier model of ml.Names), tags itself and the pipeline with
// best_model and accuracy, and looks up the registered champion, against
// which the workflow decides.
func (a *Activities) Evaluate(ctx context.Context, in EvaluateInput) (EvaluateResult, error) {
	run, err := runctx.FromContext(ctx)
	if err != nil {
		return EvaluateResult{}, err
	}
	if len(in.Candidates) == 0 {
		return EvaluateResult{}, badData(errors.New("evaluate: no candidates"))
	}
	best, bestModel, bestAcc := -1, "", 0.0
	table := map[string][]any{"model": nil, "accuracy": nil}
	for i, c := range in.Candidates {
		model, err := c.Step.Tag(TagModel)
		if err != nil {
			return EvaluateResult{}, badData(err)
		}
		acc, err := c.Step.FloatTag(TagAccuracy)
		if err != nil {
			return EvaluateResult{}, badData(err)
		}
		table["model"] = append(table["model"], model)
		table["accuracy"] = append(table["accuracy"], acc)
		if best < 0 || acc > bestAcc {
			best, bestModel, bestAcc = i, model, acc
		}
	}
	if err := run.LogTable("candidates", table); err != nil {
		return EvaluateResult{}, err
	}
	run.Log("accuracy", bestAcc)

	ch, exists, err := a.Registry.ChampionPointer(ctx, in.ModelName)
	if err != nil {
		return EvaluateResult{}, fmt.Errorf("champion of %s: %w", in.ModelName, err)
	}

	tags := map[string]string{TagBestModel: bestModel, TagAccuracy: strconv.FormatFloat(bestAcc, 'f', -1, 64)}
	if err := run.SetTags(tags); err != nil {
		return EvaluateResult{}, err
	}
	// The pipeline's tags ride to it in this step's summary.
	if err := run.Parent().SetTags(tags); err != nil {
		return EvaluateResult{}, err
	}
	s, err := run.Complete(ctx, nil)
	if err != nil {
		return EvaluateResult{}, err
	}
	return EvaluateResult{Step: s, ModelRef: in.Candidates[best].ModelRef,
		Champion: Champion{Exists: exists, Version: ch.Version, Accuracy: ch.Accuracy}}, nil
}
