package main

import (
	"fmt"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/temporal-ml/runctx-pipeline/pipeline"
)

// connect loads the configuration and dials Temporal; the SDK logs only
// warnings and errors, so the command's own output stays readable.
func connect() (pipeline.Config, client.Client, error) {
	cfg, err := pipeline.LoadConfig()
	if err != nil {
		return cfg, nil, err
	}
	zc := zap.NewDevelopmentConfig()
	zc.Level = zap.NewAtomicLevelAt(zapcore.WarnLevel)
	if z, err := zc.Build(); err == nil {
		cfg.Client.Logger = pipeline.NewZapLogger(z)
	}
	if cfg.Client.ExternalStorage, err = pipeline.ExternalStorage(cfg); err != nil {
		return cfg, nil, err
	}
	c, err := client.Dial(cfg.Client)
	if err != nil {
		return cfg, nil, fmt.Errorf("connect to Temporal at %s (set TEMPORAL_ADDRESS, or run `make up`): %w", hostPort(cfg), err)
	}
	return cfg, c, nil
}

func hostPort(cfg pipeline.Config) string {
	if cfg.Client.HostPort == "" {
		return client.DefaultHostPort
	}
	return cfg.Client.HostPort
}
