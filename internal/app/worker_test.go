package app

import (
	"fmt"
	"testing"

	"go.temporal.io/sdk/worker"
)

func TestWithPollerAutoscaling(t *testing.T) {
	autoscaling := fmt.Sprintf("%T", worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{}))
	fixed := worker.NewPollerBehaviorSimpleMaximum(worker.PollerBehaviorSimpleMaximumOptions{MaximumNumberOfPollers: 4})
	tests := []struct {
		name                       string
		in                         worker.Options
		autoWorkflow, autoActivity bool
	}{
		{"nothing set: both scale", worker.Options{}, true, true},
		{"workflow poller count kept", worker.Options{MaxConcurrentWorkflowTaskPollers: 4}, false, true},
		{"activity poller count kept", worker.Options{MaxConcurrentActivityTaskPollers: 4}, true, false},
		{"behaviors kept", worker.Options{WorkflowTaskPollerBehavior: fixed, ActivityTaskPollerBehavior: fixed}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := WithPollerAutoscaling(tt.in)
			check := func(kind string, in, out worker.PollerBehavior, auto bool) {
				switch {
				case auto && fmt.Sprintf("%T", out) != autoscaling:
					t.Errorf("%s: behavior %v, want one that autoscales", kind, out)
				case !auto && out != in:
					t.Errorf("%s: behavior %v, want the caller's %v", kind, out, in)
				}
			}
			check("workflow", tt.in.WorkflowTaskPollerBehavior, got.WorkflowTaskPollerBehavior, tt.autoWorkflow)
			check("activity", tt.in.ActivityTaskPollerBehavior, got.ActivityTaskPollerBehavior, tt.autoActivity)
			if got.MaxConcurrentWorkflowTaskPollers != tt.in.MaxConcurrentWorkflowTaskPollers ||
				got.MaxConcurrentActivityTaskPollers != tt.in.MaxConcurrentActivityTaskPollers {
				t.Errorf("poller counts changed: %+v", got)
			}
		})
	}
}
