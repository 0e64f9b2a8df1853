package ml

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestTrainAllContextStops: a context cancelled while training stops it
// before the next fit, with the context's error (uncancelled, this training
// completes); an expired one stops it before the first.
func TestTrainAllContextStops(t *testing.T) {
	d := SyntheticIris(20000, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := TrainAllContext(ctx, d, DefaultOptions())
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}

	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if _, err := TrainAllContext(expired, d, DefaultOptions()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expired: err = %v, want context.DeadlineExceeded", err)
	}
}
