package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// clock is a fake time.Now that moves when told.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func steps(pairs ...string) []runctx.StepInfo {
	var out []runctx.StepInfo
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, runctx.StepInfo{Name: pairs[i], Status: pairs[i+1]})
	}
	return out
}

func TestStepProgressPlainPrintsStartAndEndWithDuration(t *testing.T) {
	var b bytes.Buffer
	clk := &clock{time.Unix(0, 0)}
	p := &stepProgress{w: &b, now: clk.now, byName: map[string]*stepLine{}}

	p.update(steps("train", runctx.StatusRunning))
	clk.t = clk.t.Add(250 * time.Millisecond)
	p.update(steps("train", runctx.StatusRunning)) // no change, no line
	clk.t = clk.t.Add(1250 * time.Millisecond)
	done := steps("train", runctx.StatusCompleted, "lookup-champion", runctx.StatusCompleted, "register-model", runctx.StatusRunning)
	done[0].Tags = map[string]string{"best_model": "svc"}
	p.update(done)
	clk.t = clk.t.Add(2 * time.Second)
	p.update(steps("train", runctx.StatusCompleted, "lookup-champion", runctx.StatusCompleted, "register-model", runctx.StatusSkipped))

	assert.Equal(t, strings.Join([]string{
		"  train              Running",
		"  train              Completed in 1.5s (best_model=svc)",
		"  lookup-champion    Completed in 1.3s", // ran between two polls: since the previous one
		"  register-model     Running",
		"  register-model     Skipped", // it did not run: no duration
		"",
	}, "\n"), b.String())
}

func TestStepProgressTerminalRedrawsOneLinePerStep(t *testing.T) {
	var b bytes.Buffer
	clk := &clock{time.Unix(0, 0)}
	p := &stepProgress{w: &b, tty: true, width: 40, now: clk.now, byName: map[string]*stepLine{}}

	p.update(steps("train", runctx.StatusRunning))
	assert.Equal(t, "\r\x1b[2K  train              Running 0s\n", b.String())
	b.Reset()
	clk.t = clk.t.Add(3 * time.Second)
	p.update(steps("train", runctx.StatusFailed, "a-step-with-a-very-long-name-indeed", runctx.StatusRunning))
	assert.Equal(t, "\x1b[1A"+
		"\r\x1b[2K  train              Failed in 3s\n"+
		"\r\x1b[2K  a-step-with-a-very-long-name-indeed R\n", b.String(), "moves up over the drawn lines; cuts lines to the width")
}

func TestByteProgressShowsBytesSent(t *testing.T) {
	var b bytes.Buffer
	clk := &clock{time.Unix(0, 0)}
	data := strings.NewReader(strings.Repeat("x", 3<<20))
	p := &byteProgress{r: data, w: &b, what: "uploading big.csv", total: 3 << 20, now: clk.now}
	buf := make([]byte, 1<<20)
	for i := 0; i < 3; i++ {
		_, _ = p.Read(buf)
		clk.t = clk.t.Add(3 * time.Second)
	}
	p.done()
	assert.Equal(t, "uploading big.csv: 3.0 MiB of 3.0 MiB sent (100%)\n", b.String(), "a line once 5 s have passed, when not on a terminal")
	assert.Equal(t, int64(3<<20), p.sent)
	assert.Equal(t, "1023 B", bytesString(1023))
	assert.Equal(t, "1.5 KiB", bytesString(1536))
}

// TestStepProgressUsesTheWorkflowsTimes: where the pipeline records when a
// step started and ended, the duration is exact, not the polls'.
func TestStepProgressUsesTheWorkflowsTimes(t *testing.T) {
	var b bytes.Buffer
	clk := &clock{time.Unix(0, 0)}
	p := &stepProgress{w: &b, now: clk.now, byName: map[string]*stepLine{}}
	clk.t = clk.t.Add(time.Second)
	s := steps("lookup-champion", runctx.StatusCompleted)
	s[0].Started, s[0].Ended = time.Unix(0, 0).Add(200*time.Millisecond), time.Unix(0, 0).Add(207*time.Millisecond)
	p.update(s)
	assert.Equal(t, "  lookup-champion    Completed in 7ms\n", b.String())
}
