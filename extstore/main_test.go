package extstore

import (
	"os"
	"testing"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
)

// azurite is the real Azurite the driver tests store into.
var azurite *devstack.Azurite

func TestMain(m *testing.M) {
	os.Exit(devstack.MainWithAzurite(m, func(a *devstack.Azurite) { azurite = a }))
}

func azureOptions() datastore.AzureOptions {
	return datastore.AzureOptions{ConnectionString: azurite.ConnectionString()}
}
