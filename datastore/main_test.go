package datastore_test

import (
	"os"
	"testing"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
)

// azurite is the real Azurite every Azure Blob test in this package uses.
var azurite *devstack.Azurite

func TestMain(m *testing.M) {
	if os.Getenv("DATASTORE_LOCAL_HELPER") != "" {
		os.Exit(m.Run()) // a child of TestLocalCreateOnlyAcrossProcesses: no Azurite
	}
	os.Exit(devstack.MainWithAzurite(m, func(a *devstack.Azurite) { azurite = a }))
}

// azureOptions are the options of a client of the shared Azurite.
func azureOptions() datastore.AzureOptions {
	return datastore.AzureOptions{ConnectionString: azurite.ConnectionString()}
}
