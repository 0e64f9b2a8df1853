package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"

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
// The run's model file is written first, create-only. Versions are then
// claimed only at champion+1 by a create-only write of their meta.json,
// which names the model file; a registrar that finds version n taken
// completes that claim (moves champion.json by compare-and-swap) before it
// goes on, so a registrar that died after claiming never blocks a better
// one and numbers never skip. Store errors other than lost conditions are
// returned as they are (not ErrPreconditionFailed or ErrNotFound), so the
// caller retries; the retry finds its own claim by run ID and completes it.
func (r *Registry) Register(ctx context.Context, req RegisterRequest) (Result, error) {
	if err := checkRequest(req); err != nil {
		return Result{}, err
	}
	// Write the run's model file while the champion is read: a claim needs
	// it written first, and most registrations claim.
	var created bool
	staging := make(chan error, 1)
	go func() {
		var err error
		created, err = r.stage(ctx, req)
		staging <- err
	}()
	staged := sync.OnceValue(func() error { return <-staging })
	res, own, err := r.register(ctx, req, staged)
	_ = staged() // wait for the write; its error matters only to a claim
	if created && err == nil && !own && !r.namesModel(ctx, req, res) {
		// This call wrote the model file and no version needs it.
		_ = r.store.Delete(ctx, Container, runModelPath(req.Name, req.Run.RunID)) // best effort
	}
	return res, err
}

// namesModel reports whether the version res registered for req's run
// names the run's model file (a version of the first layout does not);
// when it cannot tell, it says yes, so that nothing needed is deleted.
func (r *Registry) namesModel(ctx context.Context, req RegisterRequest, res Result) bool {
	if !res.Registered {
		return false
	}
	if res.Champion != nil && res.Champion.Version == res.Version {
		return res.Champion.ModelBlob == runModelPath(req.Name, req.Run.RunID) // read already
	}
	v, err := r.Get(ctx, req.Name, res.Version)
	return err != nil || v.ModelBlob == runModelPath(req.Name, req.Run.RunID)
}

// register is Register's loop. staged waits for the run's model file to
// be written; own says the version was claimed by this call.
func (r *Registry) register(ctx context.Context, req RegisterRequest, staged func() error) (res Result, own bool, err error) {
	if !req.FirstAttempt {
		if res, ok, err := r.resume(ctx, req); err != nil || ok {
			return res, false, err
		}
	}
	for range maxAttempts {
		if err := ctx.Err(); err != nil {
			return Result{}, false, err
		}
		ch, etag, exists, err := r.readChampion(ctx, req.Name)
		if err != nil {
			return Result{}, false, err
		}
		if exists && ch.RunID == req.Run.RunID {
			res, err := r.registered(ctx, req.Name, ch.Version)
			return res, false, err
		}
		if reason := notBetter(req, ch, exists); reason != "" {
			res, err := r.notRegistered(ctx, req, ch.Version, exists, reason)
			return res, false, err
		}
		if err := staged(); err != nil {
			return Result{}, false, err
		}
		n := ch.Version + 1
		v := r.newVersion(req, n)
		if err := r.claim(ctx, v); errors.Is(err, datastore.ErrPreconditionFailed) {
			// n is taken: complete that claim (its registrar may have
			// died), then look again.
			if res, done, err := r.help(ctx, req, n); err != nil || done {
				return res, false, err
			}
			continue
		} else if err != nil {
			return Result{}, false, err
		}
		if req.OnClaimed != nil {
			req.OnClaimed(n)
		}
		if err := r.completeOwn(ctx, v, etag, exists); err != nil {
			return Result{}, true, err
		}
		return Result{Registered: true, Version: n, Champion: v, Reason: fmt.Sprintf("registered as v%d", n)}, true, nil
	}
	return Result{}, false, fmt.Errorf("registry: register %s for run %s: gave up after %d attempts", req.Name, req.Run.RunID, maxAttempts)
}

// help completes the claim on version n that another call made; done says
// the claim was req's own (an earlier attempt of its run), now registered.
func (r *Registry) help(ctx context.Context, req RegisterRequest, n int) (res Result, done bool, err error) {
	claim, found, err := r.readClaim(ctx, req.Name, n)
	if err != nil || !found { // not found cannot happen (claims are never deleted): look again
		return Result{}, false, err
	}
	if err := r.complete(ctx, claim); err != nil {
		return Result{}, false, err
	}
	if claim.Run.RunID != req.Run.RunID {
		return Result{}, false, nil
	}
	res, err = r.registered(ctx, req.Name, n)
	return res, err == nil, err
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
		DataRef: req.DataRef, DataHash: req.DataHash, ModelBlob: runModelPath(req.Name, req.Run.RunID)}
}

// stage writes the run's model file, create-only: once a version names
// it, it never changes (a retry of the run has the same model). It reports
// whether this call created it.
func (r *Registry) stage(ctx context.Context, req RegisterRequest) (bool, error) {
	_, err := r.store.Write(ctx, Container, runModelPath(req.Name, req.Run.RunID), bytes.NewReader(req.Model),
		datastore.WriteOptions{ContentType: jsonType, IfNoneMatch: true})
	if errors.Is(err, datastore.ErrPreconditionFailed) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("registry: write model of %s for run %s: %w", req.Name, req.Run.RunID, err)
	}
	return true, nil
}

// claim creates versions/<n>/meta.json create-only; the model file exists.
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
