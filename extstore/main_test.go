package extstore

import (
	"fmt"
	"os"
	"testing"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/testsuite/harness"
)

// azurite is the real Azurite the driver tests store into.
var azurite *harness.Azurite

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "extstore-azurite-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	azurite, err = harness.StartAzurite(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "extstore tests need Azurite:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	azurite.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

func azureOptions() datastore.AzureOptions {
	return datastore.AzureOptions{ConnectionString: azurite.ConnectionString()}
}
