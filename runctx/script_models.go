package runctx

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/script"
	"github.com/temporal-ml/runctx-pipeline/registry"
)

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

// RegisterModel is not served yet: the registry registers a version only
// as a new champion (better than the last), which is not Azure ML's
// register_model.
func (r *scriptRecorder) RegisterModel(context.Context, script.ModelRequest) (script.ModelView, error) {
	return script.ModelView{}, fmt.Errorf("%w: register_model from a script step is not implemented yet (the registry registers only a new champion)", script.ErrNotImplemented)
}
