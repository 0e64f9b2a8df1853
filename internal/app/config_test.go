package app

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ml/runctx-pipeline/internal/settings"
)

func TestLoadConfigFromEnvironment(t *testing.T) {
	tests := []struct {
		name                  string
		env                   map[string]string
		wantHost, wantNS, url string
	}{
		{"defaults", nil, "", "default", "http://localhost:8233/namespaces/default/workflows/wf/run/history"},
		{"from the environment",
			map[string]string{"TEMPORAL_ADDRESS": "temporal.internal:7233", "TEMPORAL_NAMESPACE": "ml", EnvUIURL: "https://ui.example"},
			"temporal.internal:7233", "ml", "https://ui.example/namespaces/ml/workflows/wf/run/history"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", EnvUIURL, settings.EnvConnectionString, settings.EnvAccountURL} {
				t.Setenv(k, tt.env[k])
			}
			cfg, err := LoadConfig()
			require.NoError(t, err)
			assert.Equal(t, tt.wantHost, cfg.Client.HostPort)
			assert.Equal(t, tt.wantNS, cfg.Namespace())
			assert.Equal(t, tt.url, cfg.RunURL("wf", "run"))
		})
	}
}

func TestLoadConfigGRPCCompression(t *testing.T) {
	tests := []struct {
		value   string
		want    client.GrpcCompression
		wantErr string
	}{
		{"", nil, ""},
		{"gzip", nil, ""},
		{"none", &client.GrpcCompressionNone{}, ""},
		{"zstd", nil, `PIPELINE_GRPC_COMPRESSION="zstd": want gzip or none`},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Setenv(EnvGRPCCompression, tt.value)
			cfg, err := LoadConfig()
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg.Client.ConnectionOptions.GrpcCompression)
		})
	}
}

func TestLoadConfigStopTimeout(t *testing.T) {
	tests := []struct {
		value   string
		want    time.Duration
		wantErr string
	}{
		{"", DefaultStopTimeout, ""},
		{"2m", 2 * time.Minute, ""},
		{"0s", 0, ""},
		{"soon", 0, `PIPELINE_WORKER_STOP_TIMEOUT="soon": want a duration such as 30s (0s stops at once)`},
		{"-1s", 0, `PIPELINE_WORKER_STOP_TIMEOUT="-1s": want a duration such as 30s (0s stops at once)`},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Setenv(EnvStopTimeout, tt.value)
			cfg, err := LoadConfig()
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg.StopTimeout)
			assert.Equal(t, tt.want, cfg.WorkerOptions().WorkerStopTimeout, "the worker stops gracefully")
		})
	}
	assert.Equal(t, 30*time.Second, DefaultStopTimeout)
}

func TestLoadConfigScriptSteps(t *testing.T) {
	tests := []struct {
		name, roots, snapshots, client string
		wantRoots                      []string
		wantSnapshots                  bool
		wantErr                        string
	}{
		{"off by default", "", "", "/opt/client", nil, false, ""},
		{"roots", "/srv/scripts:/opt/team", "", "/opt/client", []string{"/srv/scripts", "/opt/team"}, false, ""},
		{"snapshots on", "", "on", "/opt/client", nil, true, ""},
		{"snapshots off", "/srv/scripts", "off", "/opt/client", []string{"/srv/scripts"}, false, ""},
		{"bad snapshots", "", "yes", "/opt/client", nil, false, `PIPELINE_SCRIPT_SNAPSHOTS="yes": want on or off`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(settings.EnvScriptRoots, tt.roots)
			t.Setenv(settings.EnvScriptSnapshots, tt.snapshots)
			t.Setenv(settings.EnvScriptClient, tt.client)
			cfg, err := LoadConfig()
			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantRoots, cfg.Script.Roots)
			assert.Equal(t, tt.wantSnapshots, cfg.Script.Snapshots)
			assert.Equal(t, tt.client, cfg.Script.Client)
		})
	}
}
