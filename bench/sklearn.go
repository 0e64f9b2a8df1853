package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/temporal-ml/runctx-pipeline/internal/devstack"
	"github.com/temporal-ml/runctx-pipeline/ml"
)

// python is Debian's interpreter, where apt's python3-sklearn installs
// scikit-learn 1.2.1 (not a pyenv python on PATH).
const python = "/usr/bin/python3"

// sklearnSet is one data set of the comparison: a CSV both sides read.
type sklearnSet struct {
	name string
	path string
	d    *ml.Dataset
}

// sklearnTimes is what scripts/sklearn_bench.py prints for one file.
type sklearnTimes struct {
	Rows       int                `json:"rows"`
	Features   int                `json:"features"`
	FitPredict map[string]float64 `json:"fit_predict"`
	TrainAll   float64            `json:"train_all"`
}

// compareSklearn times, on each data set, fit+predict of each model (fit on
// the training part of the reference split, predict its validation part)
// and the whole six-model training (ml.TrainAll), in Go and, in the same
// run, in scikit-learn through scripts/sklearn_bench.py when
// python3-sklearn is installed; it writes a Markdown table to w. sizes lists
// the data: "iris", "digits" and synthetic iris-shaped row counts.
func compareSklearn(w io.Writer, sizes string) error {
	root, err := devstack.RepoRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "sklearn-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var sets []sklearnSet
	for _, s := range strings.Split(sizes, ",") {
		switch s = strings.TrimSpace(s); s {
		case "":
		case "iris", "150":
			sets = append(sets, sklearnSet{name: "iris 150×4", path: filepath.Join(root, "data", "iris.csv")})
		case "digits":
			sets = append(sets, sklearnSet{name: "digits 1797×64, 10 classes", path: filepath.Join(root, "ml", "testdata", "golden", "digits.csv")})
		default:
			k, err := strconv.Atoi(s)
			if err != nil || k < 10 {
				return fmt.Errorf("bench: -sklearn: %q is not iris, digits or a row count", s)
			}
			p := filepath.Join(tmp, fmt.Sprintf("synthetic-%d.csv", k))
			if err := writeCSV(p, ml.SyntheticIris(k, 1)); err != nil {
				return err
			}
			sets = append(sets, sklearnSet{name: fmt.Sprintf("synthetic iris %d×4", k), path: p})
		}
	}
	for i := range sets {
		f, err := os.Open(sets[i].path)
		if err != nil {
			return err
		}
		sets[i].d, err = ml.LoadCSV(f, sets[i].path)
		f.Close()
		if err != nil {
			return err
		}
	}

	// scikit-learn first, then Go, each on an otherwise idle process.
	py, why := runSklearn(root, sets)
	fmt.Fprintf(w, "\n## Against scikit-learn\n\n")
	if py == nil {
		fmt.Fprintf(w, "scikit-learn not measured: %s. Install it with `apt-get install python3-sklearn python3-pandas`; Go's times alone:\n\n", why)
	} else {
		fmt.Fprintf(w, "Same data, same run: fit+predict is fit on the reference split's training part and predict its validation part; training is the whole reference pipeline (split, 3-fold cross-validation, fit, predict, accuracy, confusion matrix of all six models). Best of 5 repeats under 2,000 rows, of 3 under 20,000, else one. Ratio = scikit-learn's time / Go's (above 1: Go is faster).\n\n")
	}
	fmt.Fprintf(w, "| data | work | Go | scikit-learn | ratio | goal |\n|---|---|---|---|---|---|\n")
	for _, s := range sets {
		var sk *sklearnTimes
		if py != nil {
			if t, ok := py[s.path]; ok {
				sk = &t
			}
		}
		rep := repeats(len(s.d.X))
		train, val, err := ml.TrainTestSplit(len(s.d.X), 0.2, 12345)
		if err != nil {
			return err
		}
		xtr, ytr := rows(s.d, train)
		xva, _ := rows(s.d, val)
		for _, name := range ml.Names {
			progress("Go %s: %s", s.name, name)
			var ferr error
			t := best(rep, func() {
				c, _ := ml.New(name)
				if err := c.Fit(xtr, ytr); err != nil {
					ferr = err
					return
				}
				_, ferr = c.Predict(xva)
			})
			if ferr != nil {
				return fmt.Errorf("%s %s: %w", s.name, name, ferr)
			}
			goal := "≤ scikit-learn's time"
			if name == "SVM" && len(s.d.X) >= 100_000 {
				goal = "SVC at 100,000 rows: under scikit-learn's time"
			}
			writeRow(w, s.name, name+" fit+predict", t, sk, func(t *sklearnTimes) float64 { return t.FitPredict[name] }, goal, 1)
		}
		progress("Go %s: training", s.name)
		var terr error
		t := best(rep, func() { _, terr = ml.TrainAll(s.d, ml.DefaultOptions()) })
		if terr != nil {
			return terr
		}
		goal, need := "≤ scikit-learn's time", 1.0
		if strings.HasPrefix(s.name, "iris") {
			goal, need = "≥ 5× faster", 5
		}
		writeRow(w, s.name, "whole training", t, sk, func(t *sklearnTimes) float64 { return t.TrainAll }, goal, need)
	}
	return nil
}

func writeRow(w io.Writer, set, work string, goT time.Duration, sk *sklearnTimes, pick func(*sklearnTimes) float64, goal string, need float64) {
	if sk == nil {
		fmt.Fprintf(w, "| %s | %s | %s | | | %s |\n", set, work, dur(goT), goal)
		return
	}
	skT := pick(sk)
	ratio := skT / goT.Seconds()
	met := "met"
	if ratio < need {
		met = fmt.Sprintf("**not met** (%.2f×, need %.0f×)", ratio, need)
	}
	fmt.Fprintf(w, "| %s | %s | %s | %s | %.2f | %s: %s |\n", set, work, dur(goT), dur(time.Duration(skT*float64(time.Second))), ratio, goal, met)
}

// runSklearn runs scripts/sklearn_bench.py on the sets' files and returns
// its times by file, or nil and why not.
func runSklearn(root string, sets []sklearnSet) (map[string]sklearnTimes, string) {
	if _, err := os.Stat(python); err != nil {
		return nil, python + " not found"
	}
	if out, err := exec.Command(python, "-c", "import sklearn, pandas").CombinedOutput(); err != nil {
		return nil, "python3-sklearn or python3-pandas not installed (" + strings.TrimSpace(string(out)) + ")"
	}
	args := []string{filepath.Join(root, "scripts", "sklearn_bench.py")}
	for _, s := range sets {
		args = append(args, s.path)
	}
	progress("scikit-learn: %s", strings.Join(args[1:], " "))
	cmd := exec.Command(python, args...)
	cmd.Stderr = os.Stderr
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.Output()
	if err != nil {
		return nil, "scripts/sklearn_bench.py failed: " + err.Error()
	}
	var res struct {
		Sklearn string                  `json:"sklearn"`
		Results map[string]sklearnTimes `json:"results"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &res); err != nil {
		return nil, "scripts/sklearn_bench.py printed no JSON: " + err.Error()
	}
	return res.Results, ""
}

// repeats is how many times a measure is taken (the best is kept): the same
// rule as scripts/sklearn_bench.py.
func repeats(n int) int {
	switch {
	case n < 2000:
		return 5
	case n < 20000:
		return 3
	}
	return 1
}

func best(n int, f func()) time.Duration {
	var b time.Duration
	for i := range n {
		t := time.Now()
		f()
		if d := time.Since(t); i == 0 || d < b {
			b = d
		}
	}
	return b
}

func rows(d *ml.Dataset, idx []int) ([][]float64, []int) {
	X, y := make([][]float64, len(idx)), make([]int, len(idx))
	for k, i := range idx {
		X[k], y[k] = d.X[i], d.Y[i]
	}
	return X, y
}

func dur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", float64(d.Nanoseconds())/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1e3)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// writeCSV writes d to the file path (encodeCSV).
func writeCSV(path string, d *ml.Dataset) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := encodeCSV(f, d); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// encodeCSV writes d with a header, the label last, in shortest round-trip
// decimal form, so every reader gets the same float64 values.
func encodeCSV(w io.Writer, d *ml.Dataset) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, strings.Join(d.Features, ","))
	var buf []byte
	for i, r := range d.X {
		buf = buf[:0]
		for _, v := range r {
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
			buf = append(buf, ',')
		}
		buf = append(buf, d.Classes[d.Y[i]]...)
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	return bw.Flush()
}
