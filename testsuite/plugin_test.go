package testsuite

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/temporal-ml/runctx-pipeline/internal/app"
	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// newNamespace registers a fresh namespace on the dev server, with no
// custom search attributes, and returns its name once it answers.
func newNamespace(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := fmt.Sprintf("ns-%d", time.Now().UnixNano())
	_, err := stack.client.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: name, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := stack.client.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: name})
		return err == nil
	}, 30*time.Second, 200*time.Millisecond, "namespace %s never answered", name)
	return name
}

// pluginClient dials namespace with a run-context plugin of its own
// attached: a plugin serves one namespace.
func pluginClient(t *testing.T, namespace string) client.Client {
	t.Helper()
	plugin, err := runctx.NewPlugin(runctx.PluginOptions{Store: stack.store})
	require.NoError(t, err)
	opts := stack.server.ClientOptions()
	opts.Namespace = namespace
	opts.Plugins = []client.Plugin{plugin}
	c, err := client.Dial(opts)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

func customAttributes(t *testing.T, namespace string) map[string]enums.IndexedValueType {
	t.Helper()
	res, err := stack.client.OperatorService().ListSearchAttributes(context.Background(), &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	require.NoError(t, err)
	return res.GetCustomAttributes()
}

// TestPluginCreatesDeclaredSearchAttributes: on a namespace without them,
// a worker of a client with the plugin creates the search attributes that
// its registered pipeline declares, and a second worker starts on them.
func TestPluginCreatesDeclaredSearchAttributes(t *testing.T) {
	ns := newNamespace(t)
	c := pluginClient(t, ns)
	for i := range 2 {
		w := app.NewWorker(c, fmt.Sprintf("sa-tq-%d", i), stack.store, worker.Options{})
		require.NoError(t, w.Start(), "worker %d", i)
		w.Stop()
	}
	got := customAttributes(t, ns)
	want := map[string]enums.IndexedValueType{
		"Experiment":      enums.INDEXED_VALUE_TYPE_KEYWORD,
		"BestModel":       enums.INDEXED_VALUE_TYPE_KEYWORD,
		"Accuracy":        enums.INDEXED_VALUE_TYPE_DOUBLE,
		"ModelRegistered": enums.INDEXED_VALUE_TYPE_BOOL,
		"ModelVersion":    enums.INDEXED_VALUE_TYPE_INT,
	}
	for name, typ := range want {
		assert.Equal(t, typ, got[name], "search attribute %s", name)
	}
}

// TestPluginRefusesAttributeOfAnotherType: a worker does not start when
// the namespace has one of its pipeline's attributes with another type, and
// says which.
func TestPluginRefusesAttributeOfAnotherType(t *testing.T) {
	ns := newNamespace(t)
	_, err := stack.client.OperatorService().AddSearchAttributes(context.Background(), &operatorservice.AddSearchAttributesRequest{
		Namespace: ns, SearchAttributes: map[string]enums.IndexedValueType{"Accuracy": enums.INDEXED_VALUE_TYPE_KEYWORD},
	})
	require.NoError(t, err)
	w := app.NewWorker(pluginClient(t, ns), "sa-conflict-tq", stack.store, worker.Options{})
	err = w.Start()
	require.Error(t, err)
	t.Cleanup(w.Stop)
	assert.ErrorContains(t, err, "runctx: search attributes")
	assert.ErrorContains(t, err, "Accuracy is Keyword on namespace "+ns+", the pipelines need Double")
}

// TestStepWithoutPluginFailsClearly: an activity that asks for its run on
// a worker whose client has no plugin fails with the cause and the fix,
// rather than recording into a silent offline run.
func TestStepWithoutPluginFailsClearly(t *testing.T) {
	plain, err := client.Dial(stack.server.ClientOptions())
	require.NoError(t, err)
	t.Cleanup(plain.Close)
	const tq = "no-plugin-tq"
	w := worker.New(plain, tq, worker.Options{})
	w.RegisterWorkflowWithOptions(func(ctx workflow.Context) error {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 30 * time.Second, RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
		})
		return workflow.ExecuteActivity(ctx, "Step").Get(ctx, nil)
	}, workflow.RegisterOptions{Name: "NoPlugin"})
	w.RegisterActivityWithOptions(func(ctx context.Context) error {
		_, err := runctx.FromContext(ctx)
		return err
	}, activity.RegisterOptions{Name: "Step"})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	run, err := plain.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: tq}, "NoPlugin")
	require.NoError(t, err)
	err = run.Get(ctx, nil)
	require.Error(t, err)
	assert.ErrorContains(t, err, "the worker runs without the runctx plugin: activity Step has no run; add runctx.NewPlugin")
}

// TestPluginServesOneNamespace: a plugin attached to a client of another
// namespace than its first refuses, naming both, rather than checking (or
// failing) one namespace's search attributes for another's workers.
func TestPluginServesOneNamespace(t *testing.T) {
	opts := stack.server.ClientOptions()
	opts.Namespace = "another"
	opts.Plugins = []client.Plugin{stack.plugin}
	_, err := client.Dial(opts)
	require.ErrorContains(t, err, "runctx: a plugin serves the clients of one namespace")
	assert.ErrorContains(t, err, "serves namespace "+stack.server.Namespace)
}
