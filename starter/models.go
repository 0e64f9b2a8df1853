package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/registry"
)

// modelOutput is one version as `starter models -o json` prints it.
type modelOutput struct {
	Name       string            `json:"name"`
	Version    int               `json:"version"`
	Accuracy   float64           `json:"accuracy"`
	ModelType  string            `json:"model_type"`
	Created    string            `json:"created"`
	Champion   bool              `json:"champion"`
	WorkflowID string            `json:"workflow_id"`
	RunID      string            `json:"run_id"`
	StepRunID  string            `json:"step_run_id"`
	DataRef    string            `json:"data_ref"`
	Properties map[string]string `json:"properties"`
	Tags       map[string]string `json:"tags"`
	UIURL      string            `json:"ui_url"`
}

func newModelsCmd(c *cli) *cobra.Command {
	return &cobra.Command{
		Use:   "models [NAME]",
		Short: "Registered model versions and the runs that made them",
		Long: `Lists registered model versions, as Azure ML's Model.list: version,
accuracy, type, whether it is the champion, and the pipeline run that
produced it. Reads the registry on the datastore; needs no Temporal server.
With -o json: one array.`,
		Example: `  starter models
  starter models iris-classifier
  starter models iris-classifier -o json`,
		Args:              maxArgs(1, "[NAME]"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(_ *cobra.Command, args []string) error {
			return c.models(args)
		},
	}
}

// models lists registered model versions, as Azure ML's Model.list, each
// linked to the pipeline run that produced it.
func (c *cli) models(names []string) error {
	if len(names) == 1 {
		if err := datastore.ValidateName("model", names[0]); err != nil {
			return usagef("%v", err)
		}
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	reg := registry.New(cfg.Plugin.Store().Blob)
	ctx := context.Background()
	if len(names) == 0 {
		if names, err = reg.Names(ctx); err != nil {
			return fmt.Errorf("list models: %w", err)
		}
	}
	out := []modelOutput{}
	for _, name := range names {
		versions, err := reg.Versions(ctx, name)
		if err != nil {
			return fmt.Errorf("versions of %s: %w", name, err)
		}
		champ, err := reg.Champion(ctx, name)
		if err != nil {
			return fmt.Errorf("champion of %s: %w", name, err)
		}
		for _, v := range versions {
			out = append(out, modelOutput{
				Name: v.Name, Version: v.Version, Accuracy: v.Accuracy, ModelType: v.ModelType,
				Created:    v.Created.UTC().Format("2006-01-02T15:04:05Z"),
				Champion:   champ != nil && champ.Version == v.Version,
				WorkflowID: v.Run.WorkflowID, RunID: v.Run.RunID, StepRunID: v.Run.StepRunID,
				DataRef: v.DataRef, Properties: v.Properties, Tags: v.Tags,
				UIURL: cfg.RunURL(v.Run.WorkflowID, v.Run.RunID),
			})
		}
	}
	if c.json() {
		return c.printJSON(out)
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODEL\tVERSION\tACCURACY\tTYPE\tCREATED\tCHAMPION\tRUN")
	for _, m := range out {
		mark := ""
		if m.Champion {
			mark = "*"
		}
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%s\t%s\t%s\t%s\n", m.Name, m.Version, m.Accuracy, m.ModelType, m.Created, mark, m.UIURL)
	}
	return tw.Flush()
}
