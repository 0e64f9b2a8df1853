package datastore_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/temporal-ml/runctx-pipeline/datastore"
)

// BenchmarkAzureBlobRoundTrip measures one small write and one read on
// Azurite: the unit every storage step of the pipeline pays.
func BenchmarkAzureBlobRoundTrip(b *testing.B) {
	s, err := datastore.NewAzureBlob(azureOptions())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	body := bytes.Repeat([]byte("x"), 1024)
	b.Run("write", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Write(ctx, "bench", "a/b.json", bytes.NewReader(body), datastore.WriteOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			rc, _, err := s.Read(ctx, "bench", "a/b.json")
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, rc)
			rc.Close()
		}
	})
	b.Run("stat", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Stat(ctx, "bench", "a/b.json"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
