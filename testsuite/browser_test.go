package testsuite

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/workflows"
)

// chromiumPath is where Debian's chromium package puts the browser;
// scripts/tools.sh (run by `make test`) installs it when it is missing.
const chromiumPath = "/usr/bin/chromium"

// browserBudget bounds all waiting on the Web UI in one test.
const browserBudget = 60 * time.Second

// TestWebUIShowsPipeline opens a finished pipeline in the dev server's Web UI
// with headless Chromium, as a person would after `make demo`, and checks
// that the page shows the step summaries and the search attributes the
// pipeline set. It saves screenshots of both views for people to look at.
func TestWebUIShowsPipeline(t *testing.T) {
	browserRequireChromium(t)
	require.NotEmpty(t, stack.server.UIURL(), "the integration stack must start the dev server with its Web UI")

	// Data of its own, so that the first run trains and the second reuses.
	in := workflows.PipelineInput{Experiment: "iris", ModelName: "it-browser", Data: reuseData(t)}
	run, res, err := runPipeline(t, workflows.TaskQueue, in)
	require.NoError(t, err)

	b := newBrowser(t)
	page := fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s", stack.server.UIURL(),
		url.PathEscape(stack.server.Namespace), url.PathEscape(run.GetID()), url.PathEscape(run.GetRunID()))

	// The history view: status, and each step's summary (workflows/pipeline.go's
	// step(...) calls) in the timeline and the event table.
	b.open(page + "/history")
	want := []string{
		run.GetID(),
		"Completed",
		"train: six classifiers on " + in.Data,
		"lookup-champion: " + in.ModelName,
	}
	if res.Registered {
		want = append(want, "register-model: "+in.ModelName)
	}
	b.waitForText("history", want...)
	b.screenshot("")

	// The Search Attributes tab lists the indexed fields as JSON. Reach it as
	// a person does, by the tab, not by its address.
	b.click("search-attributes-tab")
	b.waitForText("search attributes",
		`"BestModel": `+strconv.Quote(res.BestModel),
		`"Accuracy": `+strconv.FormatFloat(res.Accuracy, 'f', -1, 64), // as JavaScript prints a double in [0, 1]
		`"Experiment": "iris"`,
	)
	b.screenshot("-search-attributes")

	// The same pipeline again: its training step is reused, and its line
	// in the history says from where, so a person sees why it took no time.
	again, _, err := runPipeline(t, workflows.TaskQueue, in)
	require.NoError(t, err)
	b.open(fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s/history", stack.server.UIURL(),
		url.PathEscape(stack.server.Namespace), url.PathEscape(again.GetID()), url.PathEscape(again.GetRunID())))
	b.waitForText("reused history", again.GetID(), "train: reused from "+run.GetID()+"/train")
	b.screenshot("-reused")
}

// browserRequireChromium fails the test, never skips it, when the browser is
// missing: a skipped check is a check nobody runs.
func browserRequireChromium(t *testing.T) {
	t.Helper()
	fi, err := os.Stat(chromiumPath)
	if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("the browser test needs headless Chromium at %s (Debian's chromium package), which is missing: "+
			"run `make tools` (scripts/tools.sh installs it), or `apt-get install chromium` as root (stat: %v)", chromiumPath, err)
	}
}

// browser is one headless Chromium tab and the deadline its waits share.
type browser struct {
	t        *testing.T
	ctx      context.Context // the tab; lives until the test ends
	deadline time.Time       // for waits and actions, browserBudget from the start
	name     string          // file name stem of screenshots
	dir      string          // where screenshots go
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	profile := t.TempDir() // a fresh profile; removed after the browser has stopped (cleanups run last-in first-out)
	// The hard stop: the browser is killed when this ends, so it outlasts the
	// waits' budget to leave time for a failure's page dump and screenshot.
	root, stop := context.WithTimeout(context.Background(), browserBudget+30*time.Second)
	t.Cleanup(stop)
	alloc, cancelAlloc := chromedp.NewExecAllocator(root,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// Without these Chromium's own connections to the internet are
		// refused on a closed network, and they slow or break start-up.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1400, 1000), // browserFullPage starts from the same size
	)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)
	b := &browser{
		t:        t,
		ctx:      ctx,
		deadline: time.Now().Add(browserBudget),
		name:     strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()),
		dir:      browserOutputDir(t),
	}
	// A failure's files from an earlier run would mislead.
	for _, ext := range []string{".txt", ".png"} {
		os.Remove(filepath.Join(b.dir, b.name+"-failure"+ext))
	}
	// The first action starts the browser; it must not run under a context
	// that ends before the browser should.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting headless Chromium (%s): %v", chromiumPath, err)
	}
	return b
}

// browserOutputDir is where the test writes its screenshots: t.ArtifactDir()
// when `go test -artifacts` asks to keep artifacts (under -outputdir), and
// otherwise the git-ignored testdata/output, because ArtifactDir without the
// flag is a temporary folder that is removed when the test ends.
func browserOutputDir(t *testing.T) string {
	t.Helper()
	if f := flag.Lookup("test.artifacts"); f != nil && f.Value.String() == "true" {
		return t.ArtifactDir()
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "output"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// step bounds one action by what is left of the budget.
func (b *browser) step() (context.Context, context.CancelFunc) {
	return context.WithDeadline(b.ctx, b.deadline)
}

func (b *browser) open(address string) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(address))
	if err != nil {
		b.fail("opening %s: %v", address, err)
	}
	if resp.Status != 200 {
		b.fail("opening %s: HTTP %d %s", address, resp.Status, resp.StatusText)
	}
	b.t.Logf("opened %s", address)
}

func (b *browser) click(id string) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID(id))); err != nil {
		b.fail("clicking #%s: %v", id, err)
	}
}

// waitForText polls the page until its visible text holds every one of want,
// with runs of white space counted as one space on both sides.
func (b *browser) waitForText(view string, want ...string) {
	b.t.Helper()
	ctx, cancel := b.step()
	defer cancel()
	start := time.Now()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](`(...want) => {
		const text = document.body.innerText.replace(/\s+/g, " ");
		return want.every(w => text.includes(w.replace(/\s+/g, " ")));
	}`, chromedp.WithPollingArgs(toAny(want)...), chromedp.WithPollingInterval(100*time.Millisecond),
		chromedp.WithPollingTimeout(time.Until(b.deadline))))
	if err != nil {
		text := b.text()
		flat := strings.Join(strings.Fields(text), " ")
		var missing []string
		for _, w := range want {
			if !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
				missing = append(missing, strconv.Quote(w))
			}
		}
		if errors.Is(err, chromedp.ErrPollingTimeout) || errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("not there after %s", time.Since(start).Round(time.Millisecond))
		}
		b.fail("the Web UI's %s view does not show %s: %v", view, strings.Join(missing, ", "), err)
	}
	b.t.Logf("%s view shows %d expected texts after %s", view, len(want), time.Since(start).Round(time.Millisecond))
}

func toAny(s []string) []any {
	a := make([]any, len(s))
	for i, v := range s {
		a[i] = v
	}
	return a
}

// text returns the page's visible text, for a failure message.
func (b *browser) text() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return fmt.Sprintf("(cannot read the page's text: %v)", err)
	}
	return s
}

// screenshot saves the whole page as <test name><suffix>.png. The Web UI
// scrolls an inner element rather than the document, so the viewport grows
// to the tallest page-level scroller first.
func (b *browser) screenshot(suffix string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	png, err := browserFullPage(ctx)
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	file := filepath.Join(b.dir, b.name+suffix+".png")
	require.NoError(b.t, os.WriteFile(file, png, 0o644))
	b.t.Logf("screenshot: %s", file)
	return file
}

func browserFullPage(ctx context.Context) ([]byte, error) {
	const width, height, maxHeight = 1400, 1000, 10000
	// Start from the window's size, so that a short view after a long one
	// does not keep the long one's height.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, height)); err != nil {
		return nil, err
	}
	for range 4 {
		h, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`(() => {
			let h = document.documentElement.scrollHeight;
			for (const e of document.querySelectorAll("*"))
				if (e.clientHeight >= 0.9 * innerHeight && e.scrollHeight > h) h = e.scrollHeight;
			return h;
		})()`))
		if err != nil {
			return nil, err
		}
		vh, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`innerHeight`))
		if err != nil {
			return nil, err
		}
		if h <= vh || vh >= maxHeight {
			break
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, min(h, maxHeight))); err != nil {
			return nil, err
		}
	}
	return chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG
}

// fail ends the test with the page's text and a screenshot, so that the
// message says what the page showed instead.
func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	text := b.text()
	dump := filepath.Join(b.dir, b.name+"-failure.txt")
	if err := os.WriteFile(dump, []byte(text), 0o644); err == nil {
		msg += "\npage text saved in " + dump
	}
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if png, err := browserFullPage(ctx); err == nil {
		file := filepath.Join(b.dir, b.name+"-failure.png")
		if os.WriteFile(file, png, 0o644) == nil {
			msg += "\nscreenshot saved in " + file
		}
	}
	const excerpt = 3000
	if len(text) > excerpt {
		text = text[:excerpt] + "\n…"
	}
	b.t.Fatalf("%s\n--- page text ---\n%s", msg, text)
}
