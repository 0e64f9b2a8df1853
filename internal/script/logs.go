package script

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// DefaultLogLimit is the most of a script's stdout and stderr a step
// keeps in logs/std_log.txt when Options.LogLimit is zero: the first and
// the last 4 MiB.
const DefaultLogLimit = 8 << 20

// MaxLoggedLines is how many lines of a script's output a step hands to
// Options.LogLine (the worker's log); the rest is only in std_log.txt.
const MaxLoggedLines = 1000

// stderrTail is how much of stderr's end a step keeps for its error.
const stderrTail = 8 << 10

// logBuffer keeps the head and the tail of what is written to it, up to
// half of limit each, and counts what falls between; it also remembers
// the last complete non-empty line, for progress.
type logBuffer struct {
	mu      sync.Mutex
	limit   int
	head    []byte
	tail    []byte // a ring of at most limit/2 bytes once full
	start   int    // where the ring's oldest byte is
	dropped int64
	line    []byte // the line being written
	last    string // the last complete non-empty line
	onLine  func(string)
	logged  int // lines handed to onLine
}

func newLogBuffer(limit int) *logBuffer {
	if limit <= 0 {
		limit = DefaultLogLimit
	}
	return &logBuffer{limit: limit}
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	b.noteLines(p)
	half := b.limit / 2
	if room := half - len(b.head); room > 0 {
		k := min(room, len(p))
		b.head = append(b.head, p[:k]...)
		p = p[k:]
	}
	tailMax := b.limit - half
	for len(p) > 0 {
		if len(b.tail) < tailMax {
			k := min(tailMax-len(b.tail), len(p))
			b.tail = append(b.tail, p[:k]...)
			p = p[k:]
			continue
		}
		// The ring is full: what is overwritten is dropped. Write at most
		// one ring's length; the rest of p overwrites it again.
		if len(p) > tailMax {
			b.dropped += int64(len(p) - tailMax)
			p = p[len(p)-tailMax:]
		}
		for len(p) > 0 {
			k := copy(b.tail[b.start:], p)
			b.dropped += int64(k)
			b.start = (b.start + k) % tailMax
			p = p[k:]
		}
	}
	return n, nil
}

// noteLines keeps the last complete non-empty line of what was written.
func (b *logBuffer) noteLines(p []byte) {
	const maxLine = 1024
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(b.line) < maxLine {
				b.line = append(b.line, p[:min(len(p), maxLine-len(b.line))]...)
			}
			return
		}
		if len(b.line) < maxLine {
			b.line = append(b.line, p[:min(i, maxLine-len(b.line))]...)
		}
		if l := bytes.TrimSpace(b.line); len(l) > 0 {
			b.last = string(l)
			if b.onLine != nil && b.logged <= MaxLoggedLines {
				b.logged++
				if b.logged > MaxLoggedLines {
					b.onLine(fmt.Sprintf("[runctx: more than %d lines; the rest are only in %s]", MaxLoggedLines, LogFile))
				} else {
					b.onLine(b.last)
				}
			}
		}
		b.line = b.line[:0]
		p = p[i+1:]
	}
}

// LastLine returns the last complete non-empty line written.
func (b *logBuffer) LastLine() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// Dropped returns how many bytes fell between the head and the tail.
func (b *logBuffer) Dropped() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

// WriteTo writes the head, a marker counting the dropped bytes when there
// are any, and the tail.
func (b *logBuffer) WriteTo(w io.Writer) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var buf bytes.Buffer
	buf.Write(b.head)
	if b.dropped > 0 {
		fmt.Fprintf(&buf, "\n[runctx: %d bytes of output dropped here; the log keeps the first and last %d bytes]\n", b.dropped, b.limit/2)
	}
	buf.Write(b.tail[b.start:])
	buf.Write(b.tail[:b.start])
	return buf.WriteTo(w)
}

// Bytes returns what WriteTo writes.
func (b *logBuffer) Bytes() []byte {
	var buf bytes.Buffer
	_, _ = b.WriteTo(&buf)
	return buf.Bytes()
}
