// Command train runs the training step as a plain Go program, outside any
// pipeline: its run is offline (OfflineRun_…), records under --outputs, and
// its parent does nothing, as an Azure ML script run without submitting.
//
//	go run ./activities/cmd/train --data data/iris.csv
//
// The --data file and the --outputs folder are the user's: any path,
// relative to the working directory or absolute, symbolic links followed.
// Only the default data (no --data) is looked for under the local roots
// (PIPELINE_LOCAL_ROOTS, else ./data), as a worker would.
//
// With --json it records nothing and prints the figures as one JSON object
// (the split, each model's cross-validation scores, accuracy and confusion
// matrix, the best model), the form `scripts/golden.py --figures FILE`
// prints from scikit-learn, so the two can be compared:
//
//	go run ./activities/cmd/train --data data/iris.csv --json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/ml"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

func main() {
	in := activities.TrainInput{}
	flag.StringVar(&in.Data, "data", "", "data reference or local path of the CSV (default "+activities.DefaultLocalData+")")
	flag.IntVar(&in.Folds, "folds", activities.DefaultFolds, "cross-validation folds")
	flag.Int64Var(&in.Seed, "seed", activities.DefaultSeed, "seed of the train/validation split (numpy RandomState, 0 to 2^32-1)")
	flag.Float64Var(&in.ValidationSize, "validation-size", activities.DefaultValidationSize, "share of rows held out for validation")
	outputs := flag.String("outputs", "outputs", "folder the offline run records into")
	asJSON := flag.Bool("json", false, "print the figures as one JSON object; record nothing")
	label := flag.String("label", "", "name of the label column in the header (default: the last column; needs --json)")
	flag.Parse()

	data, resolver, err := namedData(in.Data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
	in.Data = data
	if *asJSON {
		if err := figures(resolver, in, *label); err != nil {
			fmt.Fprintln(os.Stderr, "train:", err)
			os.Exit(1)
		}
		return
	}
	if *label != "" {
		fmt.Fprintln(os.Stderr, "train: --label needs --json (the pipeline's step takes the label in the last column)")
		os.Exit(2)
	}
	// The outputs folder, like the data, is the user's: any folder,
	// relative to the working directory; the record names it in full.
	dir, err := filepath.Abs(*outputs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "train: --outputs:", err)
		os.Exit(2)
	}
	run := runctx.NewOffline(dir)
	ctx := runctx.WithRun(context.Background(), run)
	a := &activities.Activities{Data: resolver}
	res, err := a.Train(ctx, in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(os.Stderr, "train:", w)
	}
	fmt.Printf("%s: best model %s, accuracy %s\nrecord %s\nmodel  %s\n",
		run.ID(), res.Step.Tags["best_model"], res.Step.Tags["accuracy"], res.Step.RecordRef, res.ModelRef)
}

// figures trains on the data behind in.Data and prints the report's figures.
func figures(r datastore.Resolver, in activities.TrainInput, label string) error {
	ref, err := datastore.ParseRef(in.Data)
	if err != nil {
		return err
	}
	rc, _, err := r.Read(context.Background(), ref)
	if err != nil {
		return fmt.Errorf("data %s: %w", in.Data, err)
	}
	defer rc.Close()
	ds, err := ml.LoadCSVWith(rc, in.Data, ml.LoadOptions{Label: label})
	if err != nil {
		return err
	}
	rep, err := ml.TrainAll(ds, ml.Options{Folds: in.Folds, Seed: in.Seed, ValidationSize: in.ValidationSize})
	if err != nil {
		return err
	}
	for _, w := range rep.Warnings() {
		fmt.Fprintln(os.Stderr, "train:", w)
	}
	return json.NewEncoder(os.Stdout).Encode(rep.Figures())
}
