package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
)

// DevServer is a running Temporal dev server (SQLite, optional Web UI).
type DevServer struct {
	HostPort  string
	UIPort    int
	Namespace string
	proc      *process
	args      []string // the command line, to restart on the same file and ports
}

// DevServerOptions configure StartDevServer.
type DevServerOptions struct {
	// UI starts the Web UI on a free port; tests that do not look at it leave it off.
	UI bool
	// RollbackJournal keeps SQLite's default journal (a rollback journal,
	// synced on every commit) instead of WAL; the benchmark compares them.
	RollbackJournal bool
}

// walPragmas put the dev server's SQLite file in write-ahead-log mode, synced
// at checkpoints rather than on every commit: the server commits several
// times per workflow task, and on this machine's disk that sync, not the
// CPU, bounds how many pipelines it runs per second. A crash of the machine
// (not of the server) may lose the last commits; the file stays consistent.
// `make up` starts its dev server with the same pragmas.
var walPragmas = []string{"--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal"}

// StartDevServer starts `temporal server start-dev` on free ports with its
// SQLite file in dir, and waits until the frontend answers.
func StartDevServer(dir string, opt DevServerOptions) (*DevServer, error) {
	bin, err := tool("bin/temporal")
	if err != nil {
		return nil, err
	}
	ports := make([]int, 4)
	for i := range ports {
		if ports[i], err = FreePort(); err != nil {
			return nil, err
		}
	}
	args := []string{"server", "start-dev",
		"--ip", "127.0.0.1",
		"--port", fmt.Sprint(ports[0]),
		"--http-port", fmt.Sprint(ports[1]),
		"--metrics-port", fmt.Sprint(ports[2]),
		"--db-filename", filepath.Join(dir, "temporal.db"),
		"--log-level", "error",
		"--dynamic-config-value", "system.enableActivityEagerExecution=true",
		"--dynamic-config-value", "system.enableEagerWorkflowStart=true",
		"--dynamic-config-value", "frontend.enableUpdateWorkflowExecution=true",
		"--dynamic-config-value", "frontend.workerVersioningWorkflowAPIs=true",
	}
	if !opt.RollbackJournal {
		args = append(args, walPragmas...)
	}
	if opt.UI {
		args = append(args, "--ui-port", fmt.Sprint(ports[3]))
	} else {
		args = append(args, "--headless")
	}
	p, err := startProcess("temporal dev server", bin, args...)
	if err != nil {
		return nil, err
	}
	s := &DevServer{HostPort: hostPort(ports[0]), Namespace: "default", proc: p, args: args}
	if opt.UI {
		s.UIPort = ports[3]
	}
	if err := p.waitUntil(90*time.Second, s.ready); err != nil {
		p.stop()
		return nil, err
	}
	return s, nil
}

func (s *DevServer) ready(ctx context.Context) error {
	c, err := client.DialContext(ctx, client.Options{HostPort: s.HostPort, Namespace: s.Namespace})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

// UIURL returns the base address of the Web UI ("" when it was not started).
func (s *DevServer) UIURL() string {
	if s.UIPort == 0 {
		return ""
	}
	return "http://" + hostPort(s.UIPort)
}

// Client dials the dev server.
func (s *DevServer) Client() (client.Client, error) {
	return client.Dial(s.ClientOptions())
}

// ClientOptions are the options of a client of the dev server; the SDK
// logs warnings and errors only, so test and benchmark output stays
// readable, and requests go uncompressed, as to any server on the same
// machine (PIPELINE_GRPC_COMPRESSION=none).
func (s *DevServer) ClientOptions() client.Options {
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return client.Options{HostPort: s.HostPort, Namespace: s.Namespace, Logger: log.NewStructuredLogger(quiet),
		ConnectionOptions: client.ConnectionOptions{GrpcCompression: &client.GrpcCompressionNone{}}}
}

// Kill ends the dev server at once (SIGKILL), as a crash would: its SQLite
// file stays, for Restart.
func (s *DevServer) Kill() { s.proc.kill() }

// Restart starts the dev server again with the same command line: the same
// SQLite file (the workflows it ran are still there) and the same ports,
// so clients reconnect on their own. It waits until the frontend answers.
// The server must have stopped (Kill or Stop).
func (s *DevServer) Restart() error {
	if !s.proc.exited() {
		return fmt.Errorf("harness: restart the dev server: it is still running (pid %d)", s.Pid())
	}
	bin, err := tool("bin/temporal")
	if err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		// The ports were just released; another process may not take
		// them in between on a test machine, but the old listener's
		// socket may linger a moment.
		p, err := startProcess("temporal dev server", bin, s.args...)
		if err != nil {
			return err
		}
		if err = p.waitUntil(90*time.Second, s.ready); err == nil {
			s.proc = p
			return nil
		}
		p.stop()
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// Stop stops the dev server.
func (s *DevServer) Stop() { s.proc.stop() }

// Pid returns the dev server's process ID.
func (s *DevServer) Pid() int { return s.proc.Pid() }
