// Command train runs the training step as a plain Go program, outside any
// pipeline: its run is offline (OfflineRun_…), records under --outputs, and
// its parent does nothing, as an Azure ML script run without submitting.
//
//	go run ./activities/cmd/train --data data/iris.csv
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

func main() {
	in := activities.TrainInput{}
	flag.StringVar(&in.Data, "data", "", "data reference or local path of the iris CSV (default "+activities.DefaultLocalData+")")
	flag.IntVar(&in.Folds, "folds", activities.DefaultFolds, "cross-validation folds")
	flag.Int64Var(&in.Seed, "seed", activities.DefaultSeed, "seed of the train/validation split")
	flag.Float64Var(&in.ValidationSize, "validation-size", activities.DefaultValidationSize, "share of rows held out for validation")
	outputs := flag.String("outputs", "outputs", "folder the offline run records into")
	flag.Parse()

	run := runctx.NewOffline(*outputs)
	ctx := runctx.WithRun(context.Background(), run)
	a := &activities.Activities{Data: datastore.Resolver{Local: datastore.NewLocal("/")}}
	res, err := a.Train(ctx, in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
	fmt.Printf("%s: best model %s, accuracy %s\nrecord %s\nmodel  %s\n",
		run.ID(), res.Step.Tags["best_model"], res.Step.Tags["accuracy"], res.Step.RecordRef, res.ModelRef)
}
