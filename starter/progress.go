package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/temporal-ml/runctx-pipeline/runctx"
)

// terminalWidth returns the width of w when it is a terminal, and false
// otherwise: progress then redraws lines in place instead of scrolling.
func terminalWidth(w io.Writer) (int, bool) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		width = 80
	}
	return width, true
}

// stepProgress shows a running pipeline's steps, each as it starts and as
// it ends with its duration. On a terminal it keeps one line per step and
// redraws them; elsewhere it prints a line per change. Durations are as
// seen from here, between polls of the steps query.
type stepProgress struct {
	w     io.Writer
	tty   bool
	width int
	now   func() time.Time

	lines  []*stepLine // in order of appearance
	byName map[string]*stepLine
	drawn  int       // lines drawn on the terminal
	polled time.Time // the previous poll
}

type stepLine struct {
	name, status, detail string
	started, ended       time.Time
}

func newStepProgress(w io.Writer) *stepProgress {
	width, tty := terminalWidth(w)
	return &stepProgress{w: w, tty: tty, width: width, now: time.Now, byName: map[string]*stepLine{}}
}

// finished reports whether a step status is final.
func finished(status string) bool {
	return status != runctx.StatusRunning && status != ""
}

// update takes one answer of the steps query.
func (p *stepProgress) update(steps []runctx.StepInfo) {
	now := p.now()
	if p.polled.IsZero() {
		p.polled = now
	}
	for _, s := range steps {
		l, ok := p.byName[s.Name]
		if !ok {
			l = &stepLine{name: s.Name}
			p.byName[s.Name] = l
			p.lines = append(p.lines, l)
		}
		if l.status == s.Status {
			continue
		}
		switch {
		case s.Status == runctx.StatusRunning:
			l.started = now
		case finished(s.Status) && l.started.IsZero():
			l.started = p.polled // it ran between two polls
		}
		if finished(s.Status) {
			l.ended = now
		}
		// The workflow's own times, where it records them, are exact; the
		// polls' are within one poll.
		if !s.Started.IsZero() {
			l.started = s.Started
		}
		if !s.Ended.IsZero() {
			l.ended = s.Ended
		}
		l.status, l.detail = s.Status, headline(s)
		if !p.tty {
			fmt.Fprintln(p.w, p.text(l, now))
		}
	}
	p.polled = now
	if p.tty {
		p.redraw(now)
	}
}

// redraw rewrites the steps' lines in place.
func (p *stepProgress) redraw(now time.Time) {
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	for _, l := range p.lines {
		line := p.text(l, now)
		if r := []rune(line); p.width > 1 && len(r) >= p.width {
			line = string(r[:p.width-1])
		}
		b.WriteString("\r\x1b[2K" + line + "\n")
	}
	p.drawn = len(p.lines)
	io.WriteString(p.w, b.String())
}

func (p *stepProgress) text(l *stepLine, now time.Time) string {
	s := fmt.Sprintf("  %-18s %s", l.name, l.status)
	switch {
	case finished(l.status) && l.status != runctx.StatusSkipped && !l.started.IsZero():
		s += " in " + duration(l.ended.Sub(l.started))
	case l.status == runctx.StatusRunning && p.tty:
		s += " " + duration(now.Sub(l.started))
	}
	if finished(l.status) {
		s += l.detail
	}
	return s
}

// duration rounds d for people: 850ms, 1.2s, 1m3s.
func duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// byteProgress counts the bytes read from r, and shows them: on a terminal
// on one line redrawn at most ten times a second, elsewhere a line every
// few seconds, so a short upload says nothing until it is done.
type byteProgress struct {
	r     io.Reader
	w     io.Writer
	what  string
	total int64
	tty   bool
	now   func() time.Time

	sent         int64
	start, shown time.Time
	drawn        bool
}

func newByteProgress(r io.Reader, w io.Writer, what string, total int64) *byteProgress {
	_, tty := terminalWidth(w)
	return &byteProgress{r: r, w: w, what: what, total: total, tty: tty, now: time.Now}
}

func (p *byteProgress) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.sent += int64(n)
	now := p.now()
	if p.start.IsZero() {
		p.start, p.shown = now, now
	}
	every := 5 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if now.Sub(p.shown) >= every {
		p.shown = now
		p.show()
	}
	return n, err
}

func (p *byteProgress) show() {
	s := fmt.Sprintf("%s: %s of %s sent", p.what, bytesString(p.sent), bytesString(p.total))
	if p.total > 0 {
		s += fmt.Sprintf(" (%d%%)", p.sent*100/p.total)
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[2K%s", s)
		p.drawn = true
		return
	}
	fmt.Fprintln(p.w, s)
}

// done ends the progress line on a terminal.
func (p *byteProgress) done() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[2K")
	}
}

// bytesString is n in B, KiB, MiB or GiB.
func bytesString(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 2 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMG"[i])
}
