package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
	"github.com/temporal-ml/runctx-pipeline/internal/pipelinefile"
	"github.com/temporal-ml/runctx-pipeline/runctx"
	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// showOutput is what `starter show -o json` prints.
type showOutput struct {
	WorkflowID string               `json:"workflow_id"`
	RunID      string               `json:"run_id"`
	Status     string               `json:"status"`
	Tags       map[string]string    `json:"tags"`
	Properties map[string]string    `json:"properties"`
	Metrics    map[string][]float64 `json:"metrics"`
	Steps      []showStep           `json:"steps"`
	// SavedImages are the files --save-images wrote.
	SavedImages []string `json:"saved_images,omitempty"`
}

type showStep struct {
	Name              string                            `json:"name"`
	RunID             string                            `json:"run_id"`
	Status            string                            `json:"status"`
	Reason            string                            `json:"reason,omitempty"`
	ReusedFrom        string                            `json:"reused_from,omitempty"`
	Tags              map[string]string                 `json:"tags"`
	Properties        map[string]string                 `json:"properties"`
	Metrics           map[string][]float64              `json:"metrics"`
	Tables            map[string]map[string][]any       `json:"tables"`
	ConfusionMatrices map[string]runctx.ConfusionMatrix `json:"confusion_matrices"`
	Images            map[string]string                 `json:"images"` // name → reference of the PNG
	Record            string                            `json:"record,omitempty"`
}

func newShowCmd(c *cli) *cobra.Command {
	var saveImages string
	cmd := &cobra.Command{
		Use:   "show <workflow-id>",
		Short: "A pipeline's tags, properties, metrics and steps",
		Long: `Shows a pipeline's tags, properties and metrics, and each step's own, with
confusion matrices as grids and the references of the images the steps
logged (a confusion-matrix heatmap per model and the algorithm comparison);
--save-images DIR writes those to DIR as <workflow-id>_<step>_<image>.png.
While the pipeline runs, the answers come from
its queries (a worker must be up); once it has closed, from its memo, its
result and the stored step records (no worker needed).

The pipeline's status is Running, Completed, Failed, Canceled, Terminated,
ContinuedAsNew or TimedOut; a step's is Running, Completed, Failed, Skipped
or Reused. With -o json: one object with workflow_id, run_id,
status, tags, properties, metrics and steps (each with its images, name to
reference), and saved_images with --save-images.`,
		Example: `  starter show iris-20250101-120000-1a2b3c4d
  starter show iris-20250101-120000-1a2b3c4d -o json
  starter show --namespace ml iris-20250101-120000-1a2b3c4d --save-images plots`,
		Args:              exactArgs(1, "<workflow-id>"),
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(_ *cobra.Command, args []string) error {
			return c.show(args[0], saveImages)
		},
	}
	cmd.Flags().StringVar(&saveImages, "save-images", "", "write the steps' images to this folder (made if missing)")
	return cmd
}

// show prints a pipeline's tags, properties and metrics and each step's
// own: from the workflow's queries while it runs, from the memo, the result
// and the stored step records once it has closed (no worker needed).
func (c *cli) show(workflowID, saveImages string) error {
	cfg, tc, err := c.connect()
	if err != nil {
		return err
	}
	defer tc.Close()
	ctx := context.Background()
	out, err := loadShow(ctx, tc, cfg.Plugin, workflowID)
	if err != nil {
		return err
	}
	if saveImages != "" {
		if out.SavedImages, err = saveShowImages(ctx, cfg.Plugin.Store(), out, saveImages); err != nil {
			return err
		}
	}
	if c.json() {
		return c.printJSON(out)
	}
	printShow(c.stdout, out)
	return nil
}

// saveShowImages writes each step's images to dir as
// <workflow-id>_<step>_<image>.png, each part sanitised, and returns the
// files' paths.
func saveShowImages(ctx context.Context, store datastore.Resolver, out *showOutput, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("--save-images: %w", err)
	}
	var saved []string
	for _, s := range out.Steps {
		for _, name := range slices.Sorted(maps.Keys(s.Images)) {
			file := filepath.Join(dir, fileSafe(out.WorkflowID)+"_"+fileSafe(s.Name)+"_"+fileSafe(name)+".png")
			if err := copyImage(ctx, store, s.Images[name], file); err != nil {
				return saved, fmt.Errorf("image %q of step %s: %w", name, s.Name, err)
			}
			saved = append(saved, file)
		}
	}
	return saved, nil
}

func copyImage(ctx context.Context, store datastore.Resolver, ref, file string) error {
	parsed, err := datastore.ParseRef(ref)
	if err != nil {
		return err
	}
	rc, _, err := store.Read(ctx, parsed)
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return fmt.Errorf("read %s: %w", ref, err)
	}
	return f.Close()
}

// fileSafe keeps letters, digits, '.', '-' and '_' of s and turns every
// other character into '_' ("Confusion matrix LR" is Confusion_matrix_LR);
// it never returns "", "." or "..".
func fileSafe(s string) string {
	b := []rune(s)
	for i, r := range b {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_') {
			b[i] = '_'
		}
	}
	switch out := string(b); out {
	case "", ".", "..":
		return strings.Repeat("_", len(out)+1)
	default:
		return out
	}
}

func loadShow(ctx context.Context, c client.Client, plugin *runctx.Plugin, workflowID string) (*showOutput, error) {
	d, err := c.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return nil, fmt.Errorf("describe %s: %w", workflowID, err)
	}
	info := d.GetWorkflowExecutionInfo()
	out := &showOutput{
		WorkflowID: workflowID,
		RunID:      info.GetExecution().GetRunId(),
		Status:     info.GetStatus().String(),
		Tags:       map[string]string{},
		Properties: map[string]string{},
		Metrics:    map[string][]float64{},
	}
	dc := converter.GetDefaultDataConverter()
	for key, dst := range map[string]*map[string]string{layout.MemoTags: &out.Tags, layout.MemoProperties: &out.Properties} {
		if p, ok := info.GetMemo().GetFields()[key]; ok {
			if err := dc.FromPayload(p, dst); err != nil {
				return nil, fmt.Errorf("memo %s of %s: %w", key, workflowID, err)
			}
		}
	}

	var steps []runctx.StepInfo
	if info.GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_RUNNING {
		v, err := c.QueryWorkflow(ctx, workflowID, out.RunID, runctx.QueryRun)
		if err != nil {
			return nil, fmt.Errorf("query %s (a running pipeline needs a worker to answer): %w", workflowID, err)
		}
		var rec runctx.ParentRecord
		if err := v.Get(&rec); err != nil {
			return nil, err
		}
		out.Tags, out.Properties, out.Metrics, steps = rec.Tags, rec.Properties, rec.Metrics, rec.Steps
	} else if script, err := closedScriptSteps(ctx, c, workflowID, out.RunID, plugin.Runs()); err != nil {
		return nil, err
	} else if script != nil {
		steps = script
	} else {
		in, res, err := closedRun(ctx, c, workflowID, out.RunID)
		if err != nil {
			return nil, err
		}
		if res.Metrics != nil {
			out.Metrics = res.Metrics
		}
		steps = res.Steps
		if len(steps) == 0 { // failed, or older than the steps in the result
			runs := in.Outputs
			if runs == "" {
				runs = plugin.Runs()
			}
			prefix := layout.PipelineOutputs(runs, in.WithDefaults().Experiment, workflowID)
			for _, name := range []string{activities.StepTrain, activities.StepLookup, activities.StepRegister} {
				steps = append(steps, runctx.StepInfo{Name: name, RunID: layout.StepRunID(workflowID, name), RecordRef: layout.StepRecordRef(prefix, name)})
			}
		}
	}

	rs := plugin.Store()
	for _, s := range steps {
		st := showStep{Name: s.Name, RunID: s.RunID, Status: s.Status, Reason: s.Reason, ReusedFrom: s.ReusedFrom, Tags: s.Tags, Properties: s.Properties, Metrics: map[string][]float64{}, Images: map[string]string{}}
		for k, v := range s.Metrics {
			st.Metrics[k] = []float64{v}
		}
		if s.RecordRef != "" && s.Status != runctx.StatusRunning && s.Status != runctx.StatusSkipped {
			rec, err := runctx.ReadRecord(ctx, rs, s.RecordRef)
			switch {
			case errors.Is(err, datastore.ErrNotFound):
				if st.Status == "" {
					st.Status = runctx.StatusSkipped // a closed pipeline that never ran the step
				}
			case err != nil:
				return nil, err
			default:
				st.Status, st.Tags, st.Properties = rec.Status, rec.Tags, rec.Properties
				st.ReusedFrom = rec.ReusedFrom
				st.Tables, st.ConfusionMatrices, st.Record = rec.Tables, rec.ConfusionMatrices, s.RecordRef
				maps.Copy(st.Images, rec.Images)
				for name, pts := range rec.Metrics {
					vals := make([]float64, len(pts))
					for i, p := range pts {
						vals[i] = p.Value
					}
					st.Metrics[name] = vals
				}
				maps.Copy(st.Metrics, rec.Lists)
			}
		}
		out.Steps = append(out.Steps, st)
	}
	return out, nil
}

// closedRun reads a closed pipeline's input (from its first event) and result.
// closedScriptSteps returns the steps of a closed ScriptPipeline (a
// pipeline file, or starter submit's script): one per job, with the
// status and reason of its result when it completed; nil for another
// workflow type.
func closedScriptSteps(ctx context.Context, c client.Client, workflowID, runID, runs string) ([]runctx.StepInfo, error) {
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return nil, fmt.Errorf("history of %s is empty", workflowID)
	}
	first, err := it.Next()
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", workflowID, err)
	}
	attrs := first.GetWorkflowExecutionStartedEventAttributes()
	if attrs.GetWorkflowType().GetName() != "ScriptPipeline" {
		return nil, nil
	}
	var pl pipelinefile.Pipeline
	if err := converter.GetDefaultDataConverter().FromPayloads(attrs.GetInput(), &pl); err != nil {
		return nil, fmt.Errorf("input of %s: %w", workflowID, err)
	}
	var res workflows.ScriptPipelineResult
	_ = c.GetWorkflow(ctx, workflowID, runID).Get(ctx, &res)
	ended := map[string]workflows.JobResult{}
	for _, j := range res.Jobs {
		ended[j.Name] = j
	}
	prefix := layout.PipelineOutputs(runs, pl.Experiment, workflowID)
	var steps []runctx.StepInfo
	for _, j := range pl.Jobs {
		st := runctx.StepInfo{Name: j.Name, RunID: layout.StepRunID(workflowID, j.Name), RecordRef: layout.StepRecordRef(prefix, j.Name)}
		if r, ok := ended[j.Name]; ok && r.Status == workflows.JobSkipped {
			st.Status, st.Reason = r.Status, r.Reason
		}
		steps = append(steps, st)
	}
	return steps, nil
}

func closedRun(ctx context.Context, c client.Client, workflowID, runID string) (workflows.PipelineInput, workflows.PipelineResult, error) {
	var in workflows.PipelineInput
	var res workflows.PipelineResult
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	if !it.HasNext() {
		return in, res, fmt.Errorf("history of %s is empty", workflowID)
	}
	first, err := it.Next()
	if err != nil {
		return in, res, fmt.Errorf("history of %s: %w", workflowID, err)
	}
	if err := converter.GetDefaultDataConverter().FromPayloads(first.GetWorkflowExecutionStartedEventAttributes().GetInput(), &in); err != nil {
		return in, res, fmt.Errorf("input of %s: %w", workflowID, err)
	}
	in = in.WithDefaults()
	// The result is there only when the pipeline completed.
	_ = c.GetWorkflow(ctx, workflowID, runID).Get(ctx, &res)
	return in, res, nil
}

func printShow(w io.Writer, out *showOutput) {
	fmt.Fprintf(w, "pipeline %s  %s\n", out.WorkflowID, out.Status)
	printMaps(w, "  ", out.Tags, out.Properties, out.Metrics)
	for _, s := range out.Steps {
		fmt.Fprintf(w, "\nstep %s (%s)  %s", s.Name, s.RunID, s.Status)
		if s.Reason != "" {
			fmt.Fprintf(w, ": %s", s.Reason)
		}
		if s.ReusedFrom != "" {
			fmt.Fprintf(w, ": reused from %s", layout.ReusedFromName(s.Name, s.ReusedFrom))
		}
		fmt.Fprintln(w)
		printMaps(w, "  ", s.Tags, s.Properties, s.Metrics)
		for _, name := range slices.Sorted(maps.Keys(s.Images)) {
			fmt.Fprintf(w, "  image     %s = %s\n", name, s.Images[name])
		}
		for _, name := range slices.Sorted(maps.Keys(s.ConfusionMatrices)) {
			fmt.Fprintf(w, "  %s\n", name)
			printGrid(w, s.ConfusionMatrices[name])
		}
	}
	if len(out.SavedImages) > 0 {
		fmt.Fprintln(w)
		for _, f := range out.SavedImages {
			fmt.Fprintf(w, "saved %s\n", f)
		}
	}
}

func printMaps(w io.Writer, indent string, tags, props map[string]string, metrics map[string][]float64) {
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		fmt.Fprintf(w, "%stag       %s = %s\n", indent, k, tags[k])
	}
	for _, k := range slices.Sorted(maps.Keys(props)) {
		fmt.Fprintf(w, "%sproperty  %s = %s\n", indent, k, props[k])
	}
	for _, k := range slices.Sorted(maps.Keys(metrics)) {
		v := metrics[k]
		if len(v) == 1 {
			fmt.Fprintf(w, "%smetric    %s = %.6g\n", indent, k, v[0])
		} else {
			fmt.Fprintf(w, "%smetric    %s = %d values, last %.6g\n", indent, k, len(v), v[len(v)-1])
		}
	}
}

// printGrid draws a confusion matrix: rows are true classes, columns predicted.
func printGrid(w io.Writer, cm runctx.ConfusionMatrix) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "    true \\ predicted\t")
	for _, l := range cm.Data.ClassLabels {
		fmt.Fprintf(tw, "%s\t", l)
	}
	fmt.Fprintln(tw)
	for i, row := range cm.Data.Matrix {
		fmt.Fprintf(tw, "    %s\t", cm.Data.ClassLabels[i])
		for _, v := range row {
			fmt.Fprintf(tw, "%d\t", v)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}
