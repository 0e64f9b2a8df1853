package main

import (
	"fmt"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/temporal-ml/runctx-pipeline/internal/app"
)

// connect loads the configuration and dials Temporal; the SDK logs only
// warnings and errors, so the command's own output stays readable.
func (c *cli) connect() (app.Config, client.Client, error) {
	cfg, err := c.config()
	if err != nil {
		return cfg, nil, err
	}
	zc := zap.NewDevelopmentConfig()
	zc.Level = zap.NewAtomicLevelAt(zapcore.WarnLevel)
	if z, err := zc.Build(); err == nil {
		cfg.Client.Logger = app.NewZapLogger(z)
	}
	tc, err := client.Dial(cfg.Client)
	if err != nil {
		return cfg, nil, fmt.Errorf("connect to Temporal at %s (set --address or TEMPORAL_ADDRESS, or run `make up`): %w", hostPort(cfg), err)
	}
	return cfg, tc, nil
}

func hostPort(cfg app.Config) string {
	if cfg.Client.HostPort == "" {
		return client.DefaultHostPort
	}
	return cfg.Client.HostPort
}
