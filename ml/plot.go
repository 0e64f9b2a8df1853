package ml

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"strconv"
	"sync"

	"git.sr.ht/~sbinet/gg"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The pictures' sizes: at 96 dots per inch, 624×528 and 720×432 pixels.
const (
	plotDPI         = 96
	confusionWidth  = 6.5 * vg.Inch
	confusionHeight = 5.5 * vg.Inch
	boxWidth        = 7.5 * vg.Inch
	boxHeight       = 4.5 * vg.Inch
)

// ConfusionMatrixPNG draws m (rows are true classes, columns predicted, in
// labels' order) as a heatmap in shades of blue, as scikit-learn's
// plot_confusion_matrix: the count in each cell, true classes down the
// left from the first at the top, predicted ones along the bottom, and
// title above.
func ConfusionMatrixPNG(title string, labels []string, m [][]int) ([]byte, error) {
	n := len(labels)
	if n == 0 {
		return nil, errors.New("confusion matrix: no classes")
	}
	if len(m) != n {
		return nil, fmt.Errorf("confusion matrix: %d rows for %d classes", len(m), n)
	}
	maxCount := 0
	for i, row := range m {
		if len(row) != n {
			return nil, fmt.Errorf("confusion matrix: row %d has %d cells for %d classes", i, len(row), n)
		}
		for _, v := range row {
			if v < 0 {
				return nil, fmt.Errorf("confusion matrix: negative count %d in row %d", v, i)
			}
			maxCount = max(maxCount, v)
		}
	}

	p := newPlot(title, "Predicted class", "True class")
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Tick.Length = 0
		a.Width = 0
		a.Padding = 0
	}
	// Row 0 at the top: grid row r is matrix row n-1-r.
	xt, yt := make([]plot.Tick, n), make([]plot.Tick, n)
	for i, l := range labels {
		xt[i] = plot.Tick{Value: float64(i), Label: l}
		yt[i] = plot.Tick{Value: float64(n - 1 - i), Label: l}
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.Y.Tick.Marker = plot.ConstantTicks(yt)

	g := confusionGrid{m: m}
	hm := plotter.NewHeatMap(g, bluePalette(256))
	hm.Min, hm.Max = 0, float64(max(maxCount, 1))
	p.Add(hm)
	// Thin grey lines between the cells and round them: white cells stay
	// cells on a white page.
	for k := range n + 1 {
		e := float64(k) - 0.5
		for _, pts := range []plotter.XYs{{{X: e, Y: -0.5}, {X: e, Y: float64(n) - 0.5}}, {{X: -0.5, Y: e}, {X: float64(n) - 0.5, Y: e}}} {
			l, err := plotter.NewLine(pts)
			if err != nil {
				return nil, err
			}
			l.Color = color.Gray{Y: 0xa0}
			l.Width = vg.Points(0.75)
			p.Add(l)
		}
	}

	var cells plotter.XYLabels
	for i, row := range m {
		for j, v := range row {
			cells.XYs = append(cells.XYs, plotter.XY{X: float64(j), Y: float64(n - 1 - i)})
			cells.Labels = append(cells.Labels, strconv.Itoa(v))
		}
	}
	counts, err := plotter.NewLabels(cells)
	if err != nil {
		return nil, err
	}
	k := 0
	for _, row := range m {
		for _, v := range row {
			st := &counts.TextStyle[k]
			st.Font.Size = vg.Points(20)
			st.XAlign, st.YAlign = draw.XCenter, draw.YCenter
			st.Color = color.Black
			if float64(v) > hm.Max/2 {
				st.Color = color.White
			}
			k++
		}
	}
	p.Add(counts)
	return renderPNG(p, confusionWidth, confusionHeight)
}

// CVBoxPlotPNG draws the classic "algorithm comparison" figure: one box of
// cross-validation scores per model, names along the bottom, each fold's
// score as a dot over its box.
func CVBoxPlotPNG(names []string, scores [][]float64) ([]byte, error) {
	if len(names) == 0 {
		return nil, errors.New("box plot: no models")
	}
	if len(scores) != len(names) {
		return nil, fmt.Errorf("box plot: %d score lists for %d models", len(scores), len(names))
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, s := range scores {
		if len(s) == 0 {
			return nil, fmt.Errorf("box plot: no scores for %s", names[i])
		}
		for _, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("box plot: score %v of %s", v, names[i])
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}

	p := newPlot("Algorithm comparison", "Model", "Cross-validation accuracy")
	p.Add(plotter.NewGrid())

	for i, s := range scores {
		box, err := plotter.NewBoxPlot(vg.Points(36), float64(i), plotter.Values(s))
		if err != nil {
			return nil, fmt.Errorf("box plot of %s: %w", names[i], err)
		}
		box.FillColor = color.RGBA{R: 0x9e, G: 0xca, B: 0xe1, A: 0xff}
		box.MedianStyle.Width = vg.Points(2)
		box.MedianStyle.Color = color.RGBA{R: 0xe6, G: 0x55, B: 0x0d, A: 0xff}
		p.Add(box)
		pts := make(plotter.XYs, len(s))
		for j, v := range s {
			pts[j] = plotter.XY{X: float64(i), Y: v}
		}
		dots, err := plotter.NewScatter(pts)
		if err != nil {
			return nil, err
		}
		dots.GlyphStyle.Shape = draw.CircleGlyph{}
		dots.GlyphStyle.Radius = vg.Points(2.5)
		dots.GlyphStyle.Color = color.RGBA{R: 0x08, G: 0x30, B: 0x6b, A: 0xff}
		p.Add(dots)
	}
	p.NominalX(names...)
	pad := max((hi-lo)*0.1, 0.01)
	p.Y.Min, p.Y.Max = lo-pad, hi+pad
	return renderPNG(p, boxWidth, boxHeight)
}

// newPlot returns a plot with the pictures' title and axis label styles.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(15)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(12)
		a.Tick.Label.Font.Size = vg.Points(11)
	}
	return p
}

func renderPNG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	p.BackgroundColor = nil // the canvas starts white: no second fill
	img := canvases.get(image.Pt(int(w.Dots(plotDPI)+0.5), int(h.Dots(plotDPI)+0.5)))
	defer canvases.put(img)
	ctx := gg.NewContextForRGBA(img) // vgimg would copy img into one of its own
	ctx.SetLineCapButt()
	ctx.InvertY()
	c := vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(plotDPI)) // cleared to white
	dc := draw.New(c)
	m := vg.Points(10)
	p.Draw(draw.Crop(dc, m, -m, m, -m))
	// Fast compression: the pictures are mostly flat colour, and the
	// training step waits for them.
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngBuffers}
	if err := enc.Encode(&b, paletted(img)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// paletted returns img with a palette of its 256 most frequent colours
// (a chart's flat fills and lines are among them; the rarer shades of
// anti-aliased edges take the nearest): a third of the bytes to compress
// and no per-row filters, several times faster to encode than RGB.
func paletted(img image.Image) image.Image {
	src, ok := img.(*image.RGBA)
	if !ok {
		return img
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	key := func(p []uint8) uint32 { return binary.BigEndian.Uint32(p) }

	// Count the colours, a run of one colour at a time.
	count := map[uint32]int{}
	for y := range h {
		row := src.Pix[y*src.Stride : y*src.Stride+4*w]
		for x := 0; x < w; {
			k, n := key(row[4*x:]), 1
			for x+n < w && key(row[4*(x+n):]) == k {
				n++
			}
			count[k] += n
			x += n
		}
	}
	keys := make([]uint32, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b uint32) int {
		if c := cmp.Compare(count[b], count[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	pal := make(color.Palette, 0, 256)
	index := make(map[uint32]uint8, len(keys))
	for i, k := range keys {
		if i < 256 {
			index[k] = uint8(i)
			pal = append(pal, color.RGBA{R: uint8(k >> 24), G: uint8(k >> 16), B: uint8(k >> 8), A: uint8(k)})
			continue
		}
		index[k] = uint8(pal.Index(color.RGBA{R: uint8(k >> 24), G: uint8(k >> 16), B: uint8(k >> 8), A: uint8(k)}))
	}

	dst := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for y := range h {
		row := src.Pix[y*src.Stride : y*src.Stride+4*w]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+w]
		prev, prevIdx := key(row), index[key(row)]
		for x := range w {
			if k := key(row[4*x:]); k != prev {
				prev, prevIdx = k, index[k]
			}
			out[x] = prevIdx
		}
	}
	return dst
}

// canvases keeps the pictures' RGBA images (a megabyte and more each) from
// one picture to the next, one pool per size.
var canvases rgbaPools

type rgbaPools struct{ m sync.Map } // image.Point → *sync.Pool

func (p *rgbaPools) get(size image.Point) *image.RGBA {
	pool, _ := p.m.LoadOrStore(size, &sync.Pool{})
	if img, ok := pool.(*sync.Pool).Get().(*image.RGBA); ok {
		return img
	}
	return image.NewRGBA(image.Rectangle{Max: size})
}

func (p *rgbaPools) put(img *image.RGBA) {
	if pool, ok := p.m.Load(img.Bounds().Size()); ok {
		pool.(*sync.Pool).Put(img)
	}
}

// pngBuffers keeps the PNG encoders' compressors (a megabyte each) from one
// picture to the next.
var pngBuffers pngPool

type pngPool struct{ sync.Pool }

func (p *pngPool) Get() *png.EncoderBuffer {
	b, _ := p.Pool.Get().(*png.EncoderBuffer)
	return b
}

func (p *pngPool) Put(b *png.EncoderBuffer) { p.Pool.Put(b) }

// confusionGrid is a confusion matrix as a heatmap's grid: column c, grid
// row r is the count of matrix row n-1-r, column c, so the first true class
// is at the top.
type confusionGrid struct{ m [][]int }

func (g confusionGrid) Dims() (c, r int)   { return len(g.m), len(g.m) }
func (g confusionGrid) Z(c, r int) float64 { return float64(g.m[len(g.m)-1-r][c]) }
func (g confusionGrid) X(c int) float64    { return float64(c) }
func (g confusionGrid) Y(r int) float64    { return float64(r) }

// bluePalette is matplotlib's "Blues" (ColorBrewer's nine steps, from near
// white to dark blue), interpolated to n colours.
type bluePalette int

var blues = [...][3]float64{
	{0xf7, 0xfb, 0xff}, {0xde, 0xeb, 0xf7}, {0xc6, 0xdb, 0xef}, {0x9e, 0xca, 0xe1}, {0x6b, 0xae, 0xd6},
	{0x42, 0x92, 0xc6}, {0x21, 0x71, 0xb5}, {0x08, 0x51, 0x9c}, {0x08, 0x30, 0x6b},
}

func (n bluePalette) Colors() []color.Color {
	out := make([]color.Color, n)
	for i := range out {
		t := float64(i) / float64(n-1) * float64(len(blues)-1)
		k := min(int(t), len(blues)-2)
		f := t - float64(k)
		var c [3]uint8
		for j := range c {
			c[j] = uint8(math.Round(blues[k][j] + f*(blues[k+1][j]-blues[k][j])))
		}
		out[i] = color.RGBA{R: c[0], G: c[1], B: c[2], A: 0xff}
	}
	return out
}
