package ml

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"
)

var irisLabels = []string{"Iris-setosa", "Iris-versicolor", "Iris-virginica"}

func decodePNG(t *testing.T, b []byte) image.Image {
	t.Helper()
	require.True(t, bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")), "a PNG")
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	return img
}

// savePNG keeps the picture when PLOT_DIR is set, to look at it.
func savePNG(t *testing.T, name string, b []byte) {
	if dir := os.Getenv("PLOT_DIR"); dir != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
}

func TestConfusionMatrixPNG(t *testing.T) {
	m := [][]int{{11, 0, 0}, {0, 7, 2}, {0, 1, 9}}
	b, err := ConfusionMatrixPNG("Confusion matrix SVM (accuracy 0.9000)", irisLabels, m)
	require.NoError(t, err)
	savePNG(t, "confusion.png", b)
	img := decodePNG(t, b)
	assert.Equal(t, image.Rect(0, 0, 624, 528), img.Bounds())
	assert.Greater(t, colours(img), 50, "not blank: text is anti-aliased over several fills")

	// The cells' fills: sample each cell's centre, away from its count.
	cell := cellCentres(t, img, 3)
	seen := map[int]color.Color{}
	for i, row := range m {
		for j, v := range row {
			c := cell[i][j]
			if prev, ok := seen[v]; ok {
				assert.Equal(t, prev, c, "count %d: one colour", v)
			}
			for w, pc := range seen {
				if w != v {
					assert.NotEqual(t, pc, c, "counts %d and %d: distinct colours", v, w)
				}
			}
			seen[v] = c
		}
	}
	// The largest count is the darkest.
	assert.Less(t, lum(cell[0][0]), lum(cell[2][1]))
	assert.Less(t, lum(cell[2][2]), lum(cell[1][2]))
}

func TestConfusionMatrixPNGBadInput(t *testing.T) {
	for _, m := range [][][]int{nil, {{1, 2}, {3, 4}}, {{1, 2, 3}, {1, 2}, {1, 2, 3}}, {{-1, 0, 0}, {0, 0, 0}, {0, 0, 0}}} {
		_, err := ConfusionMatrixPNG("x", irisLabels, m)
		assert.Error(t, err, "%v", m)
	}
	_, err := ConfusionMatrixPNG("x", nil, nil)
	assert.Error(t, err)
	// All zero: drawn, one colour.
	_, err = ConfusionMatrixPNG("x", irisLabels, [][]int{{0, 0, 0}, {0, 0, 0}, {0, 0, 0}})
	assert.NoError(t, err)
}

func TestCVBoxPlotPNG(t *testing.T) {
	scores := [][]float64{{0.95, 0.975, 0.9}, {0.975, 0.975, 0.95}, {0.925, 0.95, 0.9}, {0.9, 0.925, 0.9}, {0.95, 0.95, 0.925}, {0.975, 1, 0.975}}
	b, err := CVBoxPlotPNG(Names, scores)
	require.NoError(t, err)
	savePNG(t, "boxplot.png", b)
	img := decodePNG(t, b)
	assert.Equal(t, image.Rect(0, 0, 720, 432), img.Bounds())
	assert.Greater(t, colours(img), 20)

	// All equal scores still draw.
	_, err = CVBoxPlotPNG([]string{"A", "B"}, [][]float64{{1, 1, 1}, {1, 1, 1}})
	assert.NoError(t, err)
	_, err = CVBoxPlotPNG([]string{"A"}, [][]float64{{}})
	assert.Error(t, err)
	_, err = CVBoxPlotPNG([]string{"A", "B"}, [][]float64{{1}})
	assert.Error(t, err)
	_, err = CVBoxPlotPNG(nil, nil)
	assert.Error(t, err)
}

func colours(img image.Image) int {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}] = true
		}
	}
	return len(seen)
}

func lum(c color.Color) uint32 {
	r, g, b, _ := c.RGBA()
	return r + g + b
}

// cellCentres finds the heatmap's n×n cells: the bounding box of the
// pixels that are neither white nor grey, cut in n×n, each sampled a
// quarter of a cell to the left of its centre (clear of the count).
func cellCentres(t *testing.T, img image.Image, n int) [][]color.Color {
	t.Helper()
	b := img.Bounds()
	x0, y0, x1, y1 := b.Max.X, b.Max.Y, b.Min.X, b.Min.Y
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if bl > r+0x0400 || bl > g+0x0400 { // bluish: a cell
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
			}
		}
	}
	require.Less(t, x0, x1)
	w, h := float64(x1-x0+1)/float64(n), float64(y1-y0+1)/float64(n)
	out := make([][]color.Color, n)
	for i := range out {
		out[i] = make([]color.Color, n)
		for j := range out[i] {
			out[i][j] = img.At(x0+int((float64(j)+0.2)*w), y0+int((float64(i)+0.2)*h))
		}
	}
	return out
}

// BenchmarkTrainingPictures draws what a training step logs: six confusion
// matrices and the box plot, one after the other.
func BenchmarkTrainingPictures(b *testing.B) {
	m := [][]int{{11, 0, 0}, {0, 7, 2}, {0, 1, 9}}
	scores := [][]float64{{0.95, 0.975, 0.9}, {0.975, 0.975, 0.95}, {0.925, 0.95, 0.9}, {0.9, 0.925, 0.9}, {0.95, 0.95, 0.925}, {0.975, 1, 0.975}}
	for b.Loop() {
		for _, name := range Names {
			if _, err := ConfusionMatrixPNG("Confusion matrix "+name, irisLabels, m); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := CVBoxPlotPNG(Names, scores); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainingPicturesParallel draws them as the training step does,
// each on a goroutine of its own.
func BenchmarkTrainingPicturesParallel(b *testing.B) {
	m := [][]int{{11, 0, 0}, {0, 7, 2}, {0, 1, 9}}
	scores := [][]float64{{0.95, 0.975, 0.9}, {0.975, 0.975, 0.95}, {0.925, 0.95, 0.9}, {0.9, 0.925, 0.9}, {0.95, 0.95, 0.925}, {0.975, 1, 0.975}}
	for b.Loop() {
		var g errgroup.Group
		for _, name := range Names {
			g.Go(func() error {
				_, err := ConfusionMatrixPNG("Confusion matrix "+name, irisLabels, m)
				return err
			})
		}
		g.Go(func() error {
			_, err := CVBoxPlotPNG(Names, scores)
			return err
		})
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
}
