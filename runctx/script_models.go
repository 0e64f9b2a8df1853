package runctx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/script"
	"github.com/temporal-ml/runctx-pipeline/registry"
)

// maxModelBytes bounds a model file a script registers.
const maxModelBytes = 256 << 20

var _ script.Models = (*scriptRecorder)(nil)

// GetModel reads a version of a model from the registry on the worker's
// blob store (the registry package): the champion, the latest version,
// when version is 0.
func (r *scriptRecorder) GetModel(ctx context.Context, name string, version int) (script.ModelView, error) {
	if r.models == nil {
		return script.ModelView{}, fmt.Errorf("%w: this worker has no blob store for the model registry", script.ErrNotImplemented)
	}
	if err := datastore.ValidateName("model", name); err != nil {
		return script.ModelView{}, script.WithKind(err, script.ErrInvalid)
	}
	ch, ok, err := r.models.ChampionPointer(ctx, name)
	switch {
	case err != nil:
		return script.ModelView{}, fmt.Errorf("model %s: %w", name, err)
	case !ok || version > ch.Version:
		return script.ModelView{}, fmt.Errorf("%w: no model %s%s", script.ErrNotFound, name, versionSuffix(version))
	case version == 0:
		version = ch.Version
	}
	v, err := r.models.Get(ctx, name, version)
	if errors.Is(err, datastore.ErrNotFound) {
		return script.ModelView{}, fmt.Errorf("%w: no model %s%s", script.ErrNotFound, name, versionSuffix(version))
	}
	if err != nil {
		return script.ModelView{}, err
	}
	ref := ""
	if v.ModelBlob != "" {
		ref = "azblob://" + registry.Container + "/" + v.ModelBlob
	}
	return script.ModelView{
		Name: v.Name, Version: v.Version, RunID: v.Run.StepRunID, Ref: ref,
		Tags: v.Tags, Properties: v.Properties, Framework: v.Framework, Description: v.Description,
		SampleInputDataset: v.DataRef, Created: v.Created.UTC().Format(time.RFC3339),
	}, nil
}

func versionSuffix(version int) string {
	if version == 0 {
		return ""
	}
	return fmt.Sprintf(" version %d", version)
}

// RegisterModel registers the file model_path names (a file of the run,
// or "parent:<name>" of the pipeline) as a new version of model_name,
// linked to this step's run, with the framework, description, sample
// dataset and resource configuration among its properties. The registry
// keeps "register if better than the champion" safe under concurrent
// pipelines, so the version's accuracy is its tag or property "accuracy"
// (a number; none is 0): a model that does not beat the champion is
// refused (409) with the registry's reason.
func (r *scriptRecorder) RegisterModel(ctx context.Context, req script.ModelRequest) (script.ModelView, error) {
	if r.models == nil {
		return script.ModelView{}, fmt.Errorf("%w: this worker has no blob store for the model registry", script.ErrNotImplemented)
	}
	target, name := script.TargetRun, req.ModelPath
	if p, ok := strings.CutPrefix(name, "parent:"); ok {
		target, name = script.TargetParent, p
	}
	rc, err := r.GetFile(ctx, target, name)
	if err != nil {
		return script.ModelView{}, fmt.Errorf("model_path %s: %w", req.ModelPath, err)
	}
	model, err := io.ReadAll(io.LimitReader(rc, maxModelBytes+1))
	rc.Close()
	if err != nil {
		return script.ModelView{}, err
	}
	if len(model) > maxModelBytes {
		return script.ModelView{}, script.WithKind(fmt.Errorf("model_path %s: over %d bytes", req.ModelPath, maxModelBytes), script.ErrTooLarge)
	}
	accuracy, err := modelAccuracy(req)
	if err != nil {
		return script.ModelView{}, err
	}
	props := map[string]string{}
	for k, v := range req.Properties {
		props[k] = v
	}
	extra := map[string]string{"framework_version": req.ModelFrameworkVersion, "sample_input_dataset": req.SampleInputDataset, "model_path": req.ModelPath}
	if rcfg := req.ResourceConfiguration; rcfg != nil {
		extra["resource_cpu"] = strconv.FormatFloat(rcfg.CPU, 'g', -1, 64)
		extra["resource_memory_in_gb"] = strconv.FormatFloat(rcfg.MemoryInGB, 'g', -1, 64)
		extra["resource_gpu"] = strconv.Itoa(rcfg.GPU)
	}
	for k, v := range extra {
		if v != "" {
			props[k] = v
		}
	}
	res, err := r.models.Register(ctx, registry.RegisterRequest{
		Name: req.ModelName, Model: model, Accuracy: accuracy, Threshold: math.Inf(-1),
		Description: req.Description, Framework: req.ModelFramework, ModelType: req.ModelFramework,
		Properties: props, Tags: req.Tags,
		Run:     registry.RunRef{WorkflowID: r.run.workflowID, RunID: r.run.wfRunID, StepRunID: r.run.id},
		DataRef: req.SampleInputDataset,
	})
	if err != nil {
		return script.ModelView{}, kind(err)
	}
	if !res.Registered {
		return script.ModelView{}, script.WithKind(fmt.Errorf("model %s %s", req.ModelName, res.Reason), script.ErrPropertyExists)
	}
	return r.GetModel(ctx, req.ModelName, res.Version)
}

// modelAccuracy is the model's accuracy tag or property, 0 without one.
func modelAccuracy(req script.ModelRequest) (float64, error) {
	s, ok := req.Tags["accuracy"]
	if !ok {
		s, ok = req.Properties["accuracy"]
	}
	if !ok {
		return 0, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, script.WithKind(fmt.Errorf("model %s: accuracy %q is not a number", req.ModelName, s), script.ErrInvalid)
	}
	return v, nil
}
