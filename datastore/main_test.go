package datastore_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/testsuite/harness"
)

// azurite is the real Azurite every Azure Blob test in this package uses.
var azurite *harness.Azurite

func TestMain(m *testing.M) {
	if os.Getenv("DATASTORE_LOCAL_HELPER") != "" {
		os.Exit(m.Run()) // a child of TestLocalCreateOnlyAcrossProcesses: no Azurite
	}
	dir, err := os.MkdirTemp("", "datastore-azurite-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	azurite, err = harness.StartAzurite(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "datastore tests need Azurite:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	azurite.Stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

// azureOptions are the options of a client of the shared Azurite.
func azureOptions() datastore.AzureOptions {
	return datastore.AzureOptions{ConnectionString: azurite.ConnectionString()}
}
