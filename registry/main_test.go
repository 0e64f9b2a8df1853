package registry_test

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/testsuite/harness"
)

// azurite is the real Azurite the Azure Blob runs of the table use.
var azurite *harness.Azurite

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "registry-azurite-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	azurite, err = harness.StartAzurite(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "registry tests need Azurite:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	stopLater(azurite)
	stopAll()
	os.RemoveAll(dir)
	os.Exit(code)
}

// backends are the stores every registry case runs on.
var backends = []struct {
	name     string
	newStore func(t *testing.T) datastore.Store
}{
	{"Local", func(t *testing.T) datastore.Store { return datastore.NewLocal(t.TempDir()) }},
	{"AzureBlob", func(t *testing.T) datastore.Store {
		s, err := datastore.NewAzureBlob(datastore.AzureOptions{ConnectionString: azurite.ConnectionString()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

var (
	stopMu sync.Mutex
	toStop []*harness.Azurite
)

// stopLater queues a to be stopped by TestMain. Azurite 3.37 lingers for
// many seconds after SIGTERM once it has served requests, so the harness's
// Stop takes its full grace period; TestMain stops all instances at once.
func stopLater(a *harness.Azurite) {
	if a == nil {
		return
	}
	stopMu.Lock()
	defer stopMu.Unlock()
	toStop = append(toStop, a)
}

func stopAll() {
	var wg sync.WaitGroup
	for _, a := range toStop {
		wg.Add(1)
		go func() { defer wg.Done(); a.Discard() }()
	}
	wg.Wait()
}
