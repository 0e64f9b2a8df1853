package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// RegisterRequest asks to register a model if it beats the champion.
type RegisterRequest struct {
	Name string
	// Model is the model file content.
	Model []byte
	// Accuracy must exceed both Threshold and the champion's accuracy.
	Accuracy, Threshold               float64
	ModelType, Description, Framework string
	Properties, Tags                  map[string]string
	// Run links the version to its run; Run.RunID is the idempotency key:
	// a retried request with the same RunID returns the version it made.
	Run               RunRef
	DataRef, DataHash string
	// FirstAttempt says no earlier attempt of this request can have run
	// (a Temporal activity's first attempt): Register then skips looking
	// for a version this run already made.
	FirstAttempt bool
	// OnClaimed, if set, is called once this call has claimed version n,
	// before it moves the champion: the outcome is decided (should this
	// call fail now, a retry or another registrar completes version n), so
	// the caller may record it while Register finishes.
	OnClaimed func(n int)
}

// Result tells what Register did.
type Result struct {
	Registered bool
	// Version is the version registered for this run (0 when not registered).
	Version int
	// Champion is the champion after the call (nil when there is none).
	Champion *Version
	Reason   string
}

// maxAttempts bounds Register's loop; every lost attempt means another
// registrar made progress, so it is only reached under pathological load.
const maxAttempts = 500

// Register registers req.Model as the next version of req.Name if its
// accuracy beats both req.Threshold and the champion's, atomically with
// respect to concurrent registrars and retries.
//
// Versions are claimed only at champion+1 by a create-only write of their
// meta.json; a registrar that finds such a claim completes it (copies the
// staged model, moves champion.json by compare-and-swap) before it goes on,
// so a registrar that died after claiming never blocks the others and
// numbers never skip. Store errors other than lost conditions are returned
// as they are (not ErrPreconditionFailed or ErrNotFound), so the caller
// retries; the retry finds its own claim by run ID and completes it.
func (r *Registry) Register(ctx context.Context, req RegisterRequest) (Result, error) {
	if err := checkRequest(req); err != nil {
		return Result{}, err
	}
	// Stage the model while the champion and the claim are read: a claim
	// needs it staged first, and most registrations claim.
	staging := make(chan error, 1)
	go func() { staging <- r.stage(ctx, req) }()
	res, staged, err := r.register(ctx, req, staging)
	if !staged {
		<-staging
	}
	if err == nil && !res.stagingDeleted {
		// Nothing of this run is left to complete: the staged model goes.
		_ = r.store.Delete(ctx, Container, stagingPath(req.Name, req.Run.RunID)) // best effort
	}
	return res.Result, err
}

// outcome is a Result and whether the staged model was deleted already.
type outcome struct {
	Result
	stagingDeleted bool
}

// register is Register's loop; staging yields the error of staging the
// model, and staged says whether it was received.
func (r *Registry) register(ctx context.Context, req RegisterRequest, staging <-chan error) (res outcome, staged bool, err error) {
	if !req.FirstAttempt {
		if res, ok, err := r.resume(ctx, req); err != nil || ok {
			return outcome{Result: res}, false, err
		}
	}
	for range maxAttempts {
		if err := ctx.Err(); err != nil {
			return outcome{}, staged, err
		}
		ch, etag, exists, err := r.readChampion(ctx, req.Name)
		if err != nil {
			return outcome{}, staged, err
		}
		if exists && ch.RunID == req.Run.RunID {
			res, err := r.registered(ctx, req.Name, ch.Version)
			return outcome{Result: res}, staged, err
		}
		n := ch.Version + 1
		claim, found, err := r.readClaim(ctx, req.Name, n)
		if err != nil {
			return outcome{}, staged, err
		}
		if found {
			if err := r.complete(ctx, claim); err != nil {
				return outcome{}, staged, err
			}
			if claim.Run.RunID == req.Run.RunID {
				res, err := r.registered(ctx, req.Name, n)
				return outcome{Result: res}, staged, err
			}
			continue
		}
		if reason := notBetter(req, ch, exists); reason != "" {
			res, err := r.notRegistered(ctx, req, ch.Version, exists, reason)
			return outcome{Result: res}, staged, err
		}
		if !staged {
			staged = true
			if err := <-staging; err != nil {
				return outcome{}, staged, err
			}
		}
		v := r.newVersion(req, n)
		if err := r.claim(ctx, v); errors.Is(err, datastore.ErrPreconditionFailed) {
			continue // another registrar took n; help it on the next turn
		} else if err != nil {
			return outcome{}, staged, err
		}
		if req.OnClaimed != nil {
			req.OnClaimed(n)
		}
		if err := r.completeOwn(ctx, v, req.Model, etag, exists); err != nil {
			return outcome{}, staged, err
		}
		return outcome{Result: Result{Registered: true, Version: n, Champion: v, Reason: fmt.Sprintf("registered as v%d", n)}, stagingDeleted: true}, staged, nil
	}
	return outcome{}, staged, fmt.Errorf("registry: register %s for run %s: gave up after %d attempts", req.Name, req.Run.RunID, maxAttempts)
}

func checkRequest(req RegisterRequest) error {
	if err := checkName(req.Name); err != nil {
		return fmt.Errorf("registry: register: %w", err)
	}
	if err := datastore.ValidateName("run ID", req.Run.RunID); err != nil {
		return fmt.Errorf("registry: register %s: %w", req.Name, err)
	}
	if math.IsNaN(req.Accuracy) || math.IsInf(req.Accuracy, 0) || math.IsNaN(req.Threshold) {
		return fmt.Errorf("registry: register %s: accuracy %v or threshold %v is not a number", req.Name, req.Accuracy, req.Threshold)
	}
	if len(req.Model) == 0 {
		return fmt.Errorf("registry: register %s: empty model file", req.Name)
	}
	return nil
}

// notBetter returns why req does not beat the champion, or "".
func notBetter(req RegisterRequest, ch Champion, exists bool) string {
	if req.Accuracy <= req.Threshold {
		return fmt.Sprintf("not registered: below threshold (accuracy %g does not exceed %g)", req.Accuracy, req.Threshold)
	}
	if exists && req.Accuracy <= ch.Accuracy {
		return fmt.Sprintf("not registered: champion is now v%d (accuracy %g)", ch.Version, ch.Accuracy)
	}
	return ""
}

func (r *Registry) newVersion(req RegisterRequest, n int) *Version {
	return &Version{Name: req.Name, Version: n, Created: r.now(), Accuracy: req.Accuracy,
		ModelType: req.ModelType, Description: req.Description, Framework: req.Framework,
		Properties: copyMap(req.Properties), Tags: copyMap(req.Tags), Run: req.Run,
		DataRef: req.DataRef, DataHash: req.DataHash}
}

// stage writes the model where a registrar completing this run's claim
// finds it.
func (r *Registry) stage(ctx context.Context, req RegisterRequest) error {
	if _, err := r.store.Write(ctx, Container, stagingPath(req.Name, req.Run.RunID), bytes.NewReader(req.Model),
		datastore.WriteOptions{ContentType: jsonType}); err != nil {
		return fmt.Errorf("registry: stage %s for run %s: %w", req.Name, req.Run.RunID, err)
	}
	return nil
}

// claim creates versions/<n>/meta.json create-only; the model is staged.
func (r *Registry) claim(ctx context.Context, v *Version) error {
	_, err := r.writeJSON(ctx, metaPath(v.Name, v.Version), v, datastore.WriteOptions{IfNoneMatch: true, Metadata: claimMetadata(v)})
	if err != nil {
		return fmt.Errorf("registry: claim %s v%d for run %s: %w", v.Name, v.Version, v.Run.RunID, err)
	}
	return nil
}

func claimMetadata(v *Version) map[string]string {
	return map[string]string{"run_id": v.Run.RunID, "accuracy": strconv.FormatFloat(v.Accuracy, 'g', -1, 64)}
}

// resume finds a version this run already claimed (a retry) and completes it.
func (r *Registry) resume(ctx context.Context, req RegisterRequest) (Result, bool, error) {
	infos, err := r.store.List(ctx, Container, versionsPrefix(req.Name))
	if err != nil {
		return Result{}, false, fmt.Errorf("registry: versions of %s: %w", req.Name, err)
	}
	for _, info := range infos {
		n, ok := metaVersion(req.Name, info.Name)
		if !ok || info.Metadata["run_id"] != req.Run.RunID {
			continue
		}
		claim, found, err := r.readClaim(ctx, req.Name, n)
		if err != nil {
			return Result{}, false, err
		}
		if !found {
			return Result{}, false, fmt.Errorf("registry: resume %s v%d for run %s: listed claim vanished", req.Name, n, req.Run.RunID)
		}
		if err := r.complete(ctx, claim); err != nil {
			return Result{}, false, err
		}
		res, err := r.registered(ctx, req.Name, n)
		return res, err == nil, err
	}
	return Result{}, false, nil
}

// notRegistered reports a refusal, after making sure this run did not
// register meanwhile through a concurrent duplicate of the same request.
func (r *Registry) notRegistered(ctx context.Context, req RegisterRequest, champ int, exists bool, reason string) (Result, error) {
	if !req.FirstAttempt {
		if res, ok, err := r.resume(ctx, req); err != nil || ok {
			return res, err
		}
	}
	res := Result{Reason: reason}
	if exists {
		v, err := r.Get(ctx, req.Name, champ)
		if err != nil {
			return Result{}, err
		}
		res.Champion = v
	}
	return res, nil
}

func (r *Registry) registered(ctx context.Context, name string, n int) (Result, error) {
	champ, err := r.Champion(ctx, name)
	if err != nil {
		return Result{}, err
	}
	return Result{Registered: true, Version: n, Champion: champ, Reason: fmt.Sprintf("registered as v%d", n)}, nil
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
