package extstore

import (
	"os"
	"testing"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/testsuite/harness"
)

// azurite is the real Azurite the driver tests store into.
var azurite *harness.Azurite

func TestMain(m *testing.M) {
	os.Exit(harness.MainWithAzurite(m, func(a *harness.Azurite) { azurite = a }))
}

func azureOptions() datastore.AzureOptions {
	return datastore.AzureOptions{ConnectionString: azurite.ConnectionString()}
}
