package runctx

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/extstore"
	"github.com/temporal-ml/runctx-pipeline/internal/layout"
	"github.com/temporal-ml/runctx-pipeline/internal/settings"
)

// pluginName is the name the plugin reports to Temporal (worker heartbeats
// list it): "runctx".
const pluginName = "runctx"

// PluginOptions configure NewPlugin.
type PluginOptions struct {
	// Runs is the data reference under which pipelines record: each step's
	// record and artifacts go to <Runs>/<experiment>/<workflow ID>/<step>/.
	// An azblob://container[/path] or file:///path prefix. Default
	// "azblob://runs".
	Runs string
	// Azure is the storage account behind azblob:// references and
	// External Storage. Default: Azurite's development account.
	Azure datastore.AzureOptions
	// Store resolves data references; its zero value is built from Azure
	// (Blob) and the local folders of LocalRoots (Local).
	Store datastore.Resolver
	// LocalRoots are the folders file:// data references may name, when
	// Store.Local is nil: a step reads and writes local files only under
	// them, never through a symbolic link out of them, and only regular
	// files (datastore.NewLocalRoots). Empty means the
	// "data" folder of the working directory. Runs, when it is a file://
	// reference, is a root as well, so runs can record there.
	// NewPluginFromEnv reads PIPELINE_LOCAL_ROOTS.
	LocalRoots []string
	// ExternalStorage offloads large payloads to Azure Blob storage when
	// Enabled (the client's External Storage, extstore's driver). Default:
	// off.
	ExternalStorage extstore.Config
	// ParentLinger is how long a step's parent changes may wait to ride in
	// its result before they are sent as updates: 0 means 2 s, a negative
	// value sends each at once.
	ParentLinger time.Duration

	// Script steps (ExecuteScriptStep) are off unless the worker's
	// operator turns them on, with ScriptRoots for sources on the worker or
	// ScriptSnapshots for sources sent by a starter; until then a script
	// step on this worker fails with a non-retryable error naming the
	// setting. NewPluginFromEnv reads PIPELINE_SCRIPT_*.

	// ScriptRoots are the folders a local source directory may lie under:
	// one with a ".." segment, outside them, or with a symbolic link out of
	// them is refused. Empty: no local source runs (PIPELINE_SCRIPT_ROOTS).
	ScriptRoots []string
	// ScriptSnapshots lets the worker run snapshots sent by a starter.
	// Default: off (PIPELINE_SCRIPT_SNAPSHOTS=on).
	ScriptSnapshots bool
	// ScriptClient is the folder put first on a script's PYTHONPATH (the
	// repository's python/ client). Default: none (PIPELINE_SCRIPT_CLIENT).
	ScriptClient string
	// ScriptDir is where each step's working folder is made. Default: the
	// system's temporary folder.
	ScriptDir string
	// ScriptMaxInputBytes bounds the inputs a step downloads, all together.
	// Default 1 GiB.
	ScriptMaxInputBytes int64
	// ScriptMaxOutputBytes bounds each folder a step uploads (its named
	// outputs, ./outputs, ./logs). Default 1 GiB.
	ScriptMaxOutputBytes int64
	// ScriptKillGrace is how long a stopped script's process group has
	// between SIGTERM and SIGKILL. Default 5 s.
	ScriptKillGrace time.Duration
	// ScriptLogLimit bounds the step's logs/std_log.txt, in bytes.
	// Default 8 MiB: the first and the last 4 MiB.
	ScriptLogLimit int
}

// Plugin is the run context as a Temporal plugin. Added once to
// client.Options.Plugins it gives every worker of that client the run
// context of its activities and pipelines, gives the client External
// Storage when configured, and at worker start makes sure the search
// attributes of the registered pipelines (Declare) exist on the namespace.
// A plugin serves the clients of one namespace: make one per namespace.
// It is also a worker.Plugin, for worker.Options.Plugins, the workflow
// replayer and the SDK's test environment.
type Plugin struct {
	// The simple plugin gives the methods this one does not override.
	*temporal.SimplePlugin

	opts  PluginOptions
	store datastore.Resolver
	ext   converter.ExternalStorage

	mu sync.Mutex
	// client are the options of the client the plugin is attached to,
	// kept to reach its namespace's operator service at worker start;
	// nil until a client is made with it.
	client *client.Options
	// workers holds the search attributes each worker's registered
	// pipelines declare, by worker instance key.
	workers map[string]attributeSet
	// ensured are the sets of search attributes (attributeSet.String)
	// checked on the client's namespace.
	ensured map[string]bool
}

var (
	_ client.Plugin = (*Plugin)(nil)
	_ worker.Plugin = (*Plugin)(nil)
)

// NewPlugin returns the plugin configured by opts.
func NewPlugin(opts PluginOptions) (*Plugin, error) {
	if opts.Runs == "" {
		opts.Runs = settings.DefaultRuns
	}
	if _, err := datastore.ParsePrefix(opts.Runs); err != nil {
		return nil, fmt.Errorf("runctx: runs %q: %w", opts.Runs, err)
	}
	simple, err := temporal.NewSimplePlugin(temporal.SimplePluginOptions{Name: pluginName})
	if err != nil {
		return nil, err
	}
	p := &Plugin{SimplePlugin: simple, opts: opts, store: opts.Store, workers: map[string]attributeSet{}, ensured: map[string]bool{}}
	if p.store.Blob == nil {
		blob, err := datastore.NewAzureBlob(opts.Azure)
		if err != nil {
			return nil, fmt.Errorf("runctx: azure blob storage: %w", err)
		}
		p.store.Blob = blob
	}
	if p.store.Local == nil {
		p.store.Local = datastore.NewLocalRoots(opts.localRoots()...)
	}
	if p.ext, err = extstore.ExternalStorage(opts.ExternalStorage, opts.Azure); err != nil {
		return nil, fmt.Errorf("runctx: external storage: %w", err)
	}
	return p, nil
}

// Store returns the resolver of data references the plugin records into;
// steps read and write their data through the same one.
func (p *Plugin) Store() datastore.Resolver { return p.store }

// Runs returns the data reference under which pipelines record.
func (p *Plugin) Runs() string { return p.opts.Runs }

// errPluginShared is returned (wrapped) when one plugin is attached to
// clients of different namespaces or servers: make one plugin per client.
var errPluginShared = errors.New("runctx: a plugin serves the clients of one namespace")

// ConfigureClient gives the client External Storage, when configured and
// the client has none of its own. A plugin serves one namespace: attached
// to a client of another namespace or server than the first, it refuses
// (errPluginShared), since a worker does not tell its plugins which client
// it belongs to, and the plugin could not tell which namespace's search
// attributes to check.
func (p *Plugin) ConfigureClient(_ context.Context, o client.PluginConfigureClientOptions) error {
	host, ns := endpoint(*o.ClientOptions)
	p.mu.Lock()
	first := p.client
	p.mu.Unlock()
	if first != nil {
		if h, n := endpoint(*first); h != host || n != ns {
			return fmt.Errorf("%w: this one serves namespace %s on %s, not %s on %s; make one with NewPlugin for each", errPluginShared, n, h, ns, host)
		}
	}
	if len(p.ext.Drivers) > 0 && len(o.ClientOptions.ExternalStorage.Drivers) == 0 {
		o.ClientOptions.ExternalStorage = p.ext
	}
	return nil
}

// NewClient remembers the client's options, to check its namespace's
// search attributes when a worker starts.
func (p *Plugin) NewClient(ctx context.Context, o client.PluginNewClientOptions, next func(context.Context, client.PluginNewClientOptions) error) error {
	if err := next(ctx, o); err != nil {
		return err
	}
	p.mu.Lock()
	if p.client == nil {
		co := o.ClientOptions
		p.client = &co
	}
	p.mu.Unlock()
	return nil
}

// endpoint returns the server and namespace of client options, defaults
// filled in.
func endpoint(co client.Options) (string, string) {
	host, ns := co.HostPort, co.Namespace
	if host == "" {
		host = client.DefaultHostPort
	}
	if ns == "" {
		ns = client.DefaultNamespace
	}
	return host, ns
}

// ConfigureWorker adds the run-context interceptors (the run of each
// step; the lookup of a reusable step before it is scheduled) and notes the search
// attributes that the pipelines registered on the worker declare.
func (p *Plugin) ConfigureWorker(_ context.Context, o worker.PluginConfigureWorkerOptions) error {
	o.WorkerOptions.Interceptors = append(o.WorkerOptions.Interceptors, p.interceptor(), &reuseInterceptor{})
	key := o.WorkerInstanceKey
	prev := o.WorkerRegistryOptions.OnRegisterWorkflow
	o.WorkerRegistryOptions.OnRegisterWorkflow = func(wf any, ro workflow.RegisterOptions) {
		if prev != nil {
			prev(wf, ro)
		}
		attrs := declaredFor(wf, ro.Name)
		p.mu.Lock()
		if p.workers[key] == nil {
			p.workers[key] = attributeSet{}
		}
		p.workers[key].add(attrs)
		p.mu.Unlock()
	}
	return nil
}

// StartWorker registers the activity of script steps (scriptActivityName)
// and the local activity that looks reusable steps up
// (layout.ReuseLookupActivity), makes sure the search attributes the worker's
// pipelines declare exist on the namespace of the plugin's client, then
// starts the worker. A worker whose plugin is on no client (worker.Options.Plugins,
// the test environment) checks nothing.
func (p *Plugin) StartWorker(ctx context.Context, o worker.PluginStartWorkerOptions, next func(context.Context, worker.PluginStartWorkerOptions) error) error {
	p.mu.Lock()
	attrs := p.workers[o.WorkerInstanceKey]
	co := p.client
	p.mu.Unlock()
	if len(attrs) > 0 && co != nil {
		if err := p.ensureOnce(ctx, *co, attrs); err != nil {
			return err
		}
	}
	if o.WorkerRegistry != nil {
		o.WorkerRegistry.RegisterActivityWithOptions(p.scriptActivity().run, activity.RegisterOptions{Name: scriptActivityName})
		lookup := reuseLookup{runs: p.opts.Runs, u: reuser{data: p.store}}
		o.WorkerRegistry.RegisterActivityWithOptions(lookup.lookUp, activity.RegisterOptions{Name: layout.ReuseLookupActivity})
	}
	return next(ctx, o)
}

// ConfigureWorkflowReplayer adds the workflow half of the interceptors, so
// that histories of pipelines replay as they ran.
func (p *Plugin) ConfigureWorkflowReplayer(_ context.Context, o worker.PluginConfigureWorkflowReplayerOptions) error {
	o.WorkflowReplayerOptions.Interceptors = append(o.WorkflowReplayerOptions.Interceptors, p.interceptor(), &reuseInterceptor{})
	return nil
}

func (p *Plugin) interceptor() *workerInterceptor {
	return &workerInterceptor{opts: interceptorOptions{
		Runs:         p.opts.Runs,
		ParentLinger: p.opts.ParentLinger,
		Data:         p.store,
	}}
}

// ensureOnce checks attrs on co's namespace once per set of attributes
// (the plugin serves one namespace).
func (p *Plugin) ensureOnce(ctx context.Context, co client.Options, attrs attributeSet) error {
	key := attrs.String()
	p.mu.Lock()
	done := p.ensured[key]
	p.mu.Unlock()
	if done {
		return nil
	}
	if err := ensureSearchAttributes(ctx, co, attrs); err != nil {
		return err
	}
	p.mu.Lock()
	p.ensured[key] = true
	p.mu.Unlock()
	return nil
}
