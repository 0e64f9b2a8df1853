package datastore_test

import (
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"

	"github.com/temporal-ml/runctx-pipeline/datastore"

	"github.com/temporal-ml/runctx-pipeline/testsuite/harness"
)

// azurite is the real Azurite every Azure Blob test in this package uses.
var azurite *harness.Azurite

func TestMain(m *testing.M) {
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
	// Azurite waits for open keep-alive connections before it exits.
	transport.CloseIdleConnections()
	st := time.Now()
	azurite.Stop()
	fmt.Fprintln(os.Stderr, "stop took", time.Since(st))
	os.RemoveAll(dir)
	os.Exit(code)
}

// transport is the HTTP transport of every test client, so its idle
// connections can be closed before Azurite is stopped.
var transport = http.DefaultTransport.(*http.Transport).Clone()

// azureOptions are the options of a test client of the shared Azurite.
func azureOptions() datastore.AzureOptions {
	return datastore.AzureOptions{ConnectionString: azurite.ConnectionString(),
		ClientOptions: &azblob.ClientOptions{ClientOptions: azcore.ClientOptions{
			Transport: &http.Client{Transport: transport}}}}
}
