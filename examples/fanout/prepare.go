package fanout

import (
	"context"
	"fmt"

	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// Prepare is the prepare step: it reads the CSV behind in.Data, splits it
// (ml.TrainTestSplit with in.Seed and in.ValidationSize), checks that the
// training set has every class, and writes the training and validation
// sets under the run's outputs, whose references it returns.
func (a *Activities) Prepare(ctx context.Context, in PrepareInput) (PrepareResult, error) {
	run, err := runctx.FromContext(ctx)
	if err != nil {
		return PrepareResult{}, err
	}
	ds, err := a.readCSV(ctx, in.Data)
	if err != nil {
		return PrepareResult{}, err
	}
	train, val, err := ml.TrainTestSplit(len(ds.X), in.ValidationSize, in.Seed)
	if err != nil {
		return PrepareResult{}, badData(fmt.Errorf("%s: %w", in.Data, err))
	}
	if err := checkClasses(ds, train); err != nil {
		return PrepareResult{}, badData(fmt.Errorf("%s: %w (seed %d, validation size %g)", in.Data, err, in.Seed, in.ValidationSize))
	}
	run.Log("rows", float64(len(ds.X)))
	run.Log("train_rows", float64(len(train)))
	run.Log("validation_rows", float64(len(val)))
	hash := ml.Hash(ds)
	if err := run.AddProperties(map[string]string{"data": in.Data, "data_hash": hash}); err != nil {
		return PrepareResult{}, err
	}

	res := PrepareResult{DataHash: hash}
	for _, out := range []struct {
		name string
		rows []int
		ref  *string
	}{{"train.csv", train, &res.Train}, {"validation.csv", val, &res.Validation}} {
		body, err := writeCSV(ds, out.rows)
		if err != nil {
			return PrepareResult{}, fmt.Errorf("write %s: %w", out.name, err)
		}
		if *out.ref, err = run.Upload(ctx, out.name, "text/csv", body); err != nil {
			return PrepareResult{}, err
		}
	}
	if res.Step, err = run.Complete(ctx, nil); err != nil {
		return PrepareResult{}, err
	}
	return res, nil
}

// checkClasses reports a class of ds that the training rows lack: a model
// cannot predict a class it never saw.
func checkClasses(ds *ml.Dataset, train []int) error {
	seen := make([]bool, len(ds.Classes))
	for _, i := range train {
		seen[ds.Y[i]] = true
	}
	for c, ok := range seen {
		if !ok {
			return fmt.Errorf("class %q has no row in the training set", ds.Classes[c])
		}
	}
	return nil
}
