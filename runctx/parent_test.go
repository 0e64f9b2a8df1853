package runctx

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
)

// fakeUpdater stands in for the Temporal client: it records the updates
// sent, and refuses those refuse names.
type fakeUpdater struct {
	mu     sync.Mutex
	sent   []ParentChange
	ids    []string
	refuse func(ParentChange) error
}

func (f *fakeUpdater) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	c := o.Args[0].(ParentChange)
	f.mu.Lock()
	f.sent = append(f.sent, c)
	f.ids = append(f.ids, o.UpdateID)
	f.mu.Unlock()
	var err error
	if f.refuse != nil {
		err = f.refuse(c)
	}
	return updateHandle{err}, nil
}

func (f *fakeUpdater) updateIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ids...)
}

type updateHandle struct{ err error }

func (updateHandle) WorkflowID() string               { return "wf" }
func (updateHandle) RunID() string                    { return "r1" }
func (updateHandle) UpdateID() string                 { return "" }
func (h updateHandle) Get(context.Context, any) error { return h.err }

// result is a step result that carries its run's summary.
type result struct{ Step Summary }

func (r result) RunSummary() Summary { return r.Step }

func stepRun(t *testing.T, u *fakeUpdater, linger time.Duration) *Run {
	r := newRun("wf_train", "Train")
	r.outputs, r.store = t.TempDir(), localStorage{}
	r.parent = &Parent{client: u, ctx: context.Background(), workflowID: "wf", runID: "r1", stepRunID: r.id, linger: linger}
	return r
}

func TestParentChangesRideInTheSummary(t *testing.T) {
	u := &fakeUpdater{}
	r := stepRun(t, u, time.Hour)
	require.NoError(t, r.Parent().Tag("accuracy", "0.9"))
	require.NoError(t, r.Parent().Log("loss", 0.1))
	s, err := r.Complete(context.Background(), nil)
	require.NoError(t, err)
	assert.Equal(t, []ParentChange{
		{ID: "wf_train/parent/1", Step: "wf_train", Tags: map[string]string{"accuracy": "0.9"}},
		{ID: "wf_train/parent/2", Step: "wf_train", Metrics: map[string]float64{"loss": 0.1}},
	}, s.Parent)
	require.NoError(t, r.sendUndelivered(result{s}, true))
	assert.Empty(t, u.updateIDs(), "a result that carries the summary needs no update")
}

func TestParentChangesNotInTheResultAreSent(t *testing.T) {
	tests := []struct {
		name      string
		result    any
		succeeded bool
	}{
		{"result without a summary", "done", true},
		{"step failed", nil, false},
		{"result carries other changes of the run", result{Summary{RunID: "wf_train", Parent: []ParentChange{{ID: "wf_train/parent/9"}}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := &fakeUpdater{}
			r := stepRun(t, u, time.Hour)
			require.NoError(t, r.Parent().Tag("a", "1"))
			_, err := r.Complete(context.Background(), nil)
			require.NoError(t, err)
			require.NoError(t, r.Parent().Tag("b", "2"), "a change after Complete")
			require.NoError(t, r.sendUndelivered(tt.result, tt.succeeded))
			assert.Equal(t, []string{"wf_train/parent/1", "wf_train/parent/2"}, u.updateIDs(), "each change once, in order, its ID the update ID")
		})
	}
}

func TestParentLingerSendsALongStepsChanges(t *testing.T) {
	u := &fakeUpdater{}
	r := stepRun(t, u, 20*time.Millisecond)
	require.NoError(t, r.Parent().Tag("stage", "training"))
	require.Eventually(t, func() bool { return len(u.updateIDs()) == 1 }, 5*time.Second, 5*time.Millisecond)
	s, err := r.Complete(context.Background(), nil)
	require.NoError(t, err)
	assert.Empty(t, s.Parent, "what was sent does not ride again")
}

func TestParentRefusal(t *testing.T) {
	refused := errors.New(`"accuracy" is "0.9", not "0.5"`)
	u := &fakeUpdater{refuse: func(c ParentChange) error {
		if c.Properties["accuracy"] == "0.5" {
			return refused
		}
		return nil
	}}
	r := stepRun(t, u, -1)
	require.NoError(t, r.Parent().AddProperties(map[string]string{"accuracy": "0.9"}))
	assert.Len(t, u.updateIDs(), 1, "a negative linger sends at once")
	err := r.Parent().AddProperties(map[string]string{"accuracy": "0.5"})
	require.ErrorIs(t, err, refused)
	assert.ErrorIs(t, r.Parent().Tag("later", "x"), refused, "a refusal sticks")
	_, err = r.Complete(context.Background(), nil)
	assert.ErrorIs(t, err, refused, "and fails the step")
}

func TestParentRefusesEmptyNames(t *testing.T) {
	u := &fakeUpdater{}
	r := stepRun(t, u, time.Hour)
	tests := []ParentChange{
		{Tags: map[string]string{"": "x"}},
		{Properties: map[string]string{"": "x"}},
		{Metrics: map[string]float64{"": 1}},
	}
	for _, c := range tests {
		assert.ErrorIs(t, r.Parent().Apply(c), ErrInvalid)
	}
	s, err := r.Complete(context.Background(), nil)
	require.NoError(t, err)
	assert.Empty(t, s.Parent)
}
