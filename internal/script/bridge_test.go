package script

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestBridge(t *testing.T) {
	rec := newFake()
	b, err := StartBridge(context.Background(), rec)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !strings.HasPrefix(b.URL(), "http://127.0.0.1:") || len(b.Token()) != 64 {
		t.Fatalf("bridge at %s with token %q", b.URL(), b.Token())
	}
	tests := []struct {
		name, method, path, token, body string
		wantCode                        int
		wantType                        string
		wantApplied                     *int
	}{
		{"no token", "GET", "/v1/run", "", "", 401, "Unauthorized", nil},
		{"wrong token", "GET", "/v1/run", strings.Repeat("0", 64), "", 401, "Unauthorized", nil},
		{"ops", "POST", "/v1/ops", b.Token(), `{"ops":[{"op":"log","name":"acc","value":0.9},{"op":"tag","target":"parent","key":"k","value":"v"},{"op":"add_properties","properties":{"p":"1"}}]}`, 200, "", ptr(3)},
		{"same property again", "POST", "/v1/ops", b.Token(), `{"ops":[{"op":"add_properties","properties":{"p":"1"}}]}`, 200, "", ptr(1)},
		{"property changes", "POST", "/v1/ops", b.Token(), `{"ops":[{"op":"log","name":"x","value":1},{"op":"add_properties","properties":{"p":"2"}}]}`, 409, "PropertyExists", ptr(1)},
		{"unknown op", "POST", "/v1/ops", b.Token(), `{"ops":[{"op":"fly"}]}`, 400, "Invalid", ptr(0)},
		{"log takes a number", "POST", "/v1/ops", b.Token(), `{"ops":[{"op":"log","name":"a","value":"x"}]}`, 400, "Invalid", ptr(0)},
		{"list has no parent", "POST", "/v1/ops", b.Token(), `{"ops":[{"op":"log_list","target":"parent","name":"a","values":[1]}]}`, 400, "Invalid", ptr(0)},
		{"bad json", "POST", "/v1/ops", b.Token(), `{"ops":`, 400, "Invalid", ptr(0)},
		{"over the body limit", "POST", "/v1/ops", b.Token(), `{"ops":[` + strings.Repeat(" ", MaxRequestBytes) + `]}`, 413, "TooLarge", ptr(0)},
		{"file", "PUT", "/v1/files/outputs/model.pkl", b.Token(), "model", 200, "", nil},
		{"file with dots", "PUT", "/v1/files/outputs/%2E%2E/x", b.Token(), "x", 400, "Invalid", nil},
		{"file read", "GET", "/v1/files/outputs/model.pkl", b.Token(), "", 200, "", nil},
		{"missing file", "GET", "/v1/files/outputs/none", b.Token(), "", 404, "NotFound", nil},
		{"parent", "GET", "/v1/parent", b.Token(), "", 200, "", nil},
		{"children", "GET", "/v1/children", b.Token(), "", 200, "", nil},
		{"no such run", "GET", "/v1/runs/other", b.Token(), "", 404, "NotFound", nil},
		{"models", "POST", "/v1/models", b.Token(), `{"model_name":"m"}`, 501, "NotImplemented", nil},
		{"model", "GET", "/v1/models/m", b.Token(), "", 501, "NotImplemented", nil},
		{"status", "POST", "/v1/status", b.Token(), `{"status":"Failed","error":"bad"}`, 200, "", nil},
		{"bad status", "POST", "/v1/status", b.Token(), `{"status":"Done"}`, 400, "Invalid", nil},
		{"no such request", "GET", "/v2/x", b.Token(), "", 404, "NotFound", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, b.URL()+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.token != "" {
				req.Header.Set("Authorization", "Bearer "+tt.token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantCode, body)
			}
			if tt.wantType == "" && tt.wantApplied == nil {
				return
			}
			var got struct {
				Applied *int `json:"applied"`
				Error   struct{ Type, Message string }
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			if got.Error.Type != tt.wantType || (tt.wantType != "" && got.Error.Message == "") {
				t.Errorf("error %+v, want type %q", got.Error, tt.wantType)
			}
			if tt.wantApplied != nil && (got.Applied == nil || *got.Applied != *tt.wantApplied) {
				t.Errorf("applied %v, want %d: %s", got.Applied, *tt.wantApplied, body)
			}
		})
	}
	if st, msg := b.Status(); st != "Failed" || msg != "bad" {
		t.Errorf("status %q %q", st, msg)
	}
	ops := rec.recorded()
	if len(ops) < 3 || ops[0].Number != 0.9 || ops[1].Target != TargetParent || ops[1].Text != "v" {
		t.Errorf("recorded %+v", ops)
	}
	b.Close()
	if _, err := http.Get(b.URL() + "/v1/run"); err == nil {
		t.Error("the bridge answers after Close")
	}
}

func ptr(i int) *int { return &i }
