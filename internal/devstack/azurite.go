package devstack

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// Azurite is a running Azurite blob service.
type Azurite struct {
	Port     int
	Location string
	proc     *process
}

// ConnectionString returns the connection string for this instance.
func (a *Azurite) ConnectionString() string {
	return datastore.AzuriteConnectionString(hostPort(a.Port))
}

// StartAzurite starts azurite-blob on a free port with its data in dir.
func StartAzurite(dir string) (*Azurite, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	return StartAzuriteOn(dir, port)
}

// StartAzuriteOn starts azurite-blob on the given port (used to restart it
// on the same endpoint).
func StartAzuriteOn(dir string, port int) (*Azurite, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return startAzurite(port, dir, "--location", dir)
}

// StartAzuriteInMemory starts azurite-blob on a free port with its data
// in memory only: no metadata database saved to disk every five seconds,
// no file per blob. The benchmarks use it, so that they measure the
// pipeline and Temporal rather than the emulator's persistence, which
// Azure Blob does not put on the worker's machine.
func StartAzuriteInMemory() (*Azurite, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	return startAzurite(port, "", "--inMemoryPersistence")
}

// startAzurite starts azurite-blob on port with store, the flags that say
// where it keeps its data (dir, or "" in memory).
func startAzurite(port int, dir string, store ...string) (*Azurite, error) {
	bin, err := tool("azurite/node_modules/.bin/azurite-blob")
	if err != nil {
		return nil, err
	}
	args := append([]string{"--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port),
		"--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry"}, store...)
	p, err := startProcess("azurite", bin, args...)
	if err != nil {
		return nil, err
	}
	a := &Azurite{Port: port, Location: dir, proc: p}
	if err := p.waitUntil(60*time.Second, func(ctx context.Context) error {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", hostPort(port))
		if err == nil {
			c.Close()
		}
		return err
	}); err != nil {
		p.stop()
		return nil, err
	}
	return a, nil
}

// Pid returns Azurite's process ID.
func (a *Azurite) Pid() int { return a.proc.Pid() }

// Restart starts Azurite again on the same port and folder, after Stop:
// clients reconnect to the same endpoint and find the same blobs.
func (a *Azurite) Restart() error {
	if !a.proc.exited() {
		return fmt.Errorf("harness: restart Azurite: it is still running (pid %d)", a.Pid())
	}
	if a.Location == "" {
		return fmt.Errorf("harness: restart Azurite: it kept its data in memory")
	}
	b, err := StartAzuriteOn(a.Location, a.Port)
	if err != nil {
		return err
	}
	a.proc = b.proc
	return nil
}

// Stop stops Azurite; its data stays in Location.
func (a *Azurite) Stop() { a.proc.stop() }

// Discard stops Azurite at once, its data thrown away with its folder.
// (Azurite 3.37 takes about 20 s to exit on SIGTERM after serving requests.)
func (a *Azurite) Discard() {
	a.proc.kill()
	os.RemoveAll(a.Location)
}

// MainWithAzurite runs a package's tests against a fresh Azurite in a
// temporary folder: set receives it before the tests run. It returns the
// exit code for os.Exit.
func MainWithAzurite(m interface{ Run() int }, set func(*Azurite)) int {
	dir, err := os.MkdirTemp("", "azurite-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	a, err := StartAzurite(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "these tests need Azurite:", err)
		os.RemoveAll(dir)
		return 1
	}
	defer a.Discard()
	set(a)
	return m.Run()
}
