// Package devstack starts the real components that integration tests run
// against: a Temporal dev server and Azurite, each on free loopback ports,
// with their state in a temporary folder.
package devstack

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// RepoRoot returns the module root, found by walking up from the working
// directory to the folder that holds go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("harness: no go.mod above the working directory")
		}
		dir = parent
	}
}

// tool returns the path of a pinned tool installed by `make tools` under
// .tools/, or an error that says how to install it.
func tool(rel string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, ".tools", rel)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("harness: %s is missing: run `make tools` (or `make test`, which installs it)", p)
	}
	return p, nil
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
