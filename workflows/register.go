package workflows

import (
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/activities"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// stepOptions are the activity options of the pipeline's and the sweep's
// own steps (training, registration). The runctx plugin heartbeats every
// step that has a heartbeat timeout (a third of it apart): a step whose
// worker dies is retried after StepHeartbeatTimeout, not after
// StartToCloseTimeout. Bad data is never retried; other failures
// (storage, Temporal) are, with backoff.
var stepOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 10 * time.Minute,
	HeartbeatTimeout:    StepHeartbeatTimeout,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		MaximumInterval:        time.Minute,
		NonRetryableErrorTypes: []string{activities.ErrTypeBadData},
	},
}

// registration is what registerOrSkip decided and did.
type registration struct {
	Registered bool
	Version    int
	// Reason explains a skip, or a registration the registry refused.
	Reason string
	// Champion is the champion after the step: the one looked up, or the
	// one the registry reports.
	Champion activities.Champion
}

// registerOrSkip runs the register step when in.Accuracy beats the
// threshold and the champion (shouldRegister), or records the step as
// skipped, and tags the parent run with the outcome (model_registered,
// model_version).
func registerOrSkip(ctx workflow.Context, p *runctx.Pipeline, champ activities.Champion, in activities.RegisterInput) (registration, error) {
	out := registration{Champion: champ}
	ok, reason := shouldRegister(in.Accuracy, in.Threshold, champ)
	if ok {
		var a *activities.Activities
		var rr activities.RegisterResult
		step := runctx.StepOptions{Name: activities.StepRegister, Summary: "register-model: " + in.ModelName}
		if err := runctx.ExecuteStep(ctx, step, a.RegisterModel, in).Get(ctx, &rr); err != nil {
			return out, err
		}
		out = registration{Registered: rr.Registered, Version: rr.Version, Reason: rr.Reason, Champion: rr.Champion}
	} else {
		if err := runctx.SkipStep(ctx, activities.StepRegister, reason); err != nil {
			return out, err
		}
		out.Reason = reason
	}
	tags := map[string]string{TagModelRegistered: strconv.FormatBool(out.Registered)}
	if out.Registered {
		tags[TagModelVersion] = strconv.Itoa(out.Version)
	}
	return out, p.Apply(ctx, runctx.ParentChange{Tags: tags})
}
