package runctx

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/temporal-ml/runctx-pipeline/internal/script"
)

// BenchmarkScriptBridgeLog measures the worker's side of a script's
// run.log calls: batches of 1,000 log ops posted to the bridge and
// recorded into the step's run. ns/op is per log call.
func BenchmarkScriptBridgeLog(b *testing.B) {
	const batch = 1000
	run := newRun("wf_s", "s")
	run.parent = &Parent{}
	br, err := script.StartBridge(context.Background(), &scriptRecorder{run: run})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	ops := make([]map[string]any, batch)
	for i := range ops {
		ops[i] = map[string]any{"op": "log", "name": "loss", "value": float64(i) / batch}
	}
	body, _ := json.Marshal(map[string]any{"ops": ops})
	b.SetBytes(int64(len(body)) / batch)
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		req, _ := http.NewRequest("POST", br.URL()+"/v1/ops", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+br.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}
