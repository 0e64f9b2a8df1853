package script

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
)

// fakeRecorder keeps what the bridge records, for the tests.
type fakeRecorder struct {
	mu    sync.Mutex
	ops   []Op
	props map[string]string
	files map[string][]byte
}

func newFake() *fakeRecorder {
	return &fakeRecorder{props: map[string]string{}, files: map[string][]byte{}}
}

func (f *fakeRecorder) Record(_ context.Context, op Op) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if op.Op == "add_properties" {
		for k, v := range op.Properties {
			if old, ok := f.props[k]; ok && old != v {
				return WithKind(fmt.Errorf("runctx: property already set to a different value: %q is %q, not %q", k, old, v), ErrPropertyExists)
			}
			f.props[k] = v
		}
	}
	f.ops = append(f.ops, op)
	return nil
}

func (f *fakeRecorder) recorded() []Op {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Op(nil), f.ops...)
}

func (f *fakeRecorder) PutFile(_ context.Context, t Target, name, _ string, body io.Reader) (string, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	f.files[string(t)+":"+name] = b
	f.mu.Unlock()
	return "azblob://runs/" + string(t) + "/" + name, nil
}

func (f *fakeRecorder) GetFile(_ context.Context, t Target, name string) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.files[string(t)+":"+name]
	if !ok {
		return nil, fmt.Errorf("%w: file %s", ErrNotFound, name)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (f *fakeRecorder) LogImage(context.Context, string, []byte) error { return nil }

func (f *fakeRecorder) Run(context.Context) (RunView, error) {
	return RunView{ID: "wf_step", Name: "step", Status: "Running"}, nil
}

func (f *fakeRecorder) Parent(context.Context) (ParentView, error) {
	return ParentView{ID: "wf", Tags: map[string]string{"a": "1"}}, nil
}

func (f *fakeRecorder) Children(context.Context) ([]ChildView, error) {
	return []ChildView{{Name: "step", RunID: "wf_step", Status: "Running"}}, nil
}

func (f *fakeRecorder) RunByID(_ context.Context, id string) (RunView, error) {
	return RunView{}, fmt.Errorf("%w: run %s", ErrNotFound, id)
}
