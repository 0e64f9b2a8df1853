package testsuite

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
)

// golden is the part of a scikit-learn golden file (ml/testdata/golden,
// made by scripts/golden.py) that a pipeline's result shows.
type golden struct {
	Models map[string]struct {
		Accuracy float64 `json:"accuracy"`
	} `json:"models"`
}

// bestOf applies the reference script's rule to scikit-learn's figures:
// the first model, in the script's order, strictly better than the best so
// far.
func (g golden) bestOf(t *testing.T) (string, float64) {
	t.Helper()
	best, acc := "", -1.0
	for _, name := range []string{"LR", "LDA", "KNN", "CART", "NB", "SVM"} {
		m, ok := g.Models[name]
		require.True(t, ok, "golden figures of %s", name)
		if m.Accuracy > acc {
			best, acc = name, m.Accuracy
		}
	}
	return best, acc
}

func readGolden(t *testing.T, root, name string) golden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "ml", "testdata", "golden", name+".json"))
	require.NoError(t, err)
	var g golden
	require.NoError(t, json.Unmarshal(b, &g))
	return g
}

// TestTabularFormsTrainThroughStarter: the forms users bring — a UTF-8
// byte-order mark, CRLF line ends, no header with the seed's Iris- labels,
// and 64 features in 10 classes — train end to end through `starter run`,
// with scikit-learn's best model and accuracy.
func TestTabularFormsTrainThroughStarter(t *testing.T) {
	root, err := devstack.RepoRoot()
	require.NoError(t, err)
	iris, err := os.ReadFile(filepath.Join(root, "data", "iris.csv"))
	require.NoError(t, err)
	digits, err := os.ReadFile(filepath.Join(root, "ml", "testdata", "golden", "digits.csv"))
	require.NoError(t, err)
	irisText := strings.TrimSpace(string(iris))
	var headerless []string
	for _, l := range strings.Split(irisText, "\n")[1:] {
		i := strings.LastIndex(l, ",")
		headerless = append(headerless, l[:i+1]+"Iris-"+l[i+1:])
	}
	irisBest, irisAcc := readGolden(t, root, "iris").bestOf(t)
	digitsBest, digitsAcc := readGolden(t, root, "digits").bestOf(t)

	tests := []struct {
		name, body string
		best       string
		accuracy   float64
	}{
		{"bom", "\ufeff" + irisText + "\n", irisBest, irisAcc},
		{"crlf", strings.ReplaceAll(irisText, "\n", "\r\n") + "\r\n", irisBest, irisAcc},
		{"headerless", strings.Join(headerless, "\n"), irisBest, irisAcc},
		{"digits-64-features-10-classes", string(digits), digitsBest, digitsAcc},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := fmt.Sprintf("azblob://datasets/forms/%s-%d.csv", tt.name, time.Now().UnixNano())
			require.NoError(t, put(ref, tt.body))
			stdout, stderr, code := starter(t, "run", "-o", "json", "--threshold", "1.01", "--experiment", "itforms",
				"--model-name", "it-forms", "--data", ref)
			require.Equal(t, 0, code, stderr)
			var out struct {
				Status    string  `json:"status"`
				BestModel string  `json:"best_model"`
				Accuracy  float64 `json:"accuracy"`
			}
			require.NoError(t, json.Unmarshal([]byte(stdout), &out), stdout)
			assert.Equal(t, "Completed", out.Status)
			assert.Equal(t, tt.best, out.BestModel, "scikit-learn's best model")
			assert.Equal(t, tt.accuracy, out.Accuracy, "scikit-learn's accuracy")
		})
	}
}
