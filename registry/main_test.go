package registry_test

import (
	"os"
	"testing"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
)

// azurite is the real Azurite the Azure Blob runs of the table use.
var azurite *devstack.Azurite

func TestMain(m *testing.M) {
	os.Exit(devstack.MainWithAzurite(m, func(a *devstack.Azurite) { azurite = a }))
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
