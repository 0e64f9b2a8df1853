package ml

import (
	"errors"
	"slices"
	"testing"
)

func TestTrainTestSplit(t *testing.T) {
	tests := []struct {
		n        int
		size     float64
		wantTest int
	}{
		{150, 0.20, 30}, {10, 0.20, 2}, {11, 0.20, 3}, {2, 0.5, 1}, {7, 0.01, 1}, {100, 0.33, 33},
	}
	for _, tt := range tests {
		train, test, err := TrainTestSplit(tt.n, tt.size, 12345)
		if err != nil {
			t.Fatalf("n=%d: %v", tt.n, err)
		}
		if len(test) != tt.wantTest || len(train) != tt.n-tt.wantTest {
			t.Errorf("n=%d size=%v: %d/%d, want test %d", tt.n, tt.size, len(train), len(test), tt.wantTest)
		}
		all := slices.Concat(train, test)
		slices.Sort(all)
		for i, v := range all {
			if v != i {
				t.Fatalf("n=%d: not a partition of 0..n-1: %v", tt.n, all)
			}
		}
		train2, test2, _ := TrainTestSplit(tt.n, tt.size, 12345)
		if !slices.Equal(train, train2) || !slices.Equal(test, test2) {
			t.Errorf("n=%d: not deterministic", tt.n)
		}
	}
	a, _, _ := TrainTestSplit(150, 0.2, 1)
	b, _, _ := TrainTestSplit(150, 0.2, 2)
	if slices.Equal(a, b) {
		t.Error("different seeds gave the same split")
	}
	sorted := slices.Sorted(slices.Values(a))
	if slices.Equal(a, sorted) {
		t.Error("split is not shuffled")
	}
}

func TestTrainTestSplitErrors(t *testing.T) {
	for _, tt := range []struct {
		n    int
		size float64
	}{{0, 0.2}, {1, 0.2}, {10, 0}, {10, 1}, {10, -0.1}, {10, 0.99}} {
		if _, _, err := TrainTestSplit(tt.n, tt.size, 0); !errors.Is(err, ErrBadInput) {
			t.Errorf("n=%d size=%v: err = %v", tt.n, tt.size, err)
		}
	}
}

func TestKFold(t *testing.T) {
	tests := []struct {
		n, k  int
		sizes []int
	}{
		{10, 3, []int{4, 3, 3}},
		{120, 3, []int{40, 40, 40}},
		{11, 4, []int{3, 3, 3, 2}},
		{5, 5, []int{1, 1, 1, 1, 1}},
	}
	for _, tt := range tests {
		folds, err := KFold(tt.n, tt.k)
		if err != nil {
			t.Fatal(err)
		}
		start := 0
		for f, fold := range folds {
			train, test := fold[0], fold[1]
			if len(test) != tt.sizes[f] || len(train) != tt.n-tt.sizes[f] {
				t.Errorf("n=%d k=%d fold %d: sizes %d/%d", tt.n, tt.k, f, len(train), len(test))
			}
			for i, v := range test {
				if v != start+i {
					t.Errorf("fold %d test not consecutive: %v", f, test)
					break
				}
			}
			if !slices.IsSorted(train) || slices.Contains(train, start) {
				t.Errorf("fold %d train %v", f, train)
			}
			start += len(test)
		}
	}
	for _, tt := range [][2]int{{10, 1}, {10, 0}, {2, 3}, {0, 2}} {
		if _, err := KFold(tt[0], tt[1]); !errors.Is(err, ErrBadInput) {
			t.Errorf("KFold(%d,%d) err = %v", tt[0], tt[1], err)
		}
	}
}

func TestAccuracyConfusion(t *testing.T) {
	yt := []int{0, 0, 1, 1, 2, 2}
	yp := []int{0, 1, 1, 1, 0, 2}
	if got := Accuracy(yt, yp); !near(got, 4.0/6, 1e-15) {
		t.Errorf("accuracy %v", got)
	}
	want := [][]int{{1, 1, 0}, {0, 2, 0}, {1, 0, 1}}
	got := ConfusionMatrix(yt, yp, 3)
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("confusion %v, want %v", got, want)
		}
	}
	if a := Accuracy(nil, nil); a == a {
		t.Errorf("accuracy of empty = %v, want NaN", a)
	}
	if a := Accuracy([]int{1}, []int{1, 2}); a == a {
		t.Errorf("accuracy of mismatched = %v, want NaN", a)
	}
	m := ConfusionMatrix([]int{0, 5, -1}, []int{0, 0, 0}, 2)
	if m[0][0] != 1 || m[1][0] != 0 {
		t.Errorf("out of range labels counted: %v", m)
	}
}

func TestMeanStd(t *testing.T) {
	// Deviations -1/30, 1/60, 1/60: variance (1/900+2/3600)/3 = 1/1800.
	mean, std := meanStd([]float64{0.925, 0.975, 0.975})
	if !near(mean, 0.9583333333333334, 1e-12) || !near(std, 0.023570226039551584, 1e-12) {
		t.Errorf("mean %v std %v", mean, std)
	}
}

// TestKFoldShuffled checks KFold(3, shuffle=True, random_state=12345) on
// 10 rows, from scikit-learn 1.2.1.
func TestKFoldShuffled(t *testing.T) {
	want := [][]int{{0, 3, 7, 9}, {1, 4, 6}, {2, 5, 8}}
	folds, err := KFoldShuffled(10, 3, 12345)
	if err != nil {
		t.Fatal(err)
	}
	for f, fold := range folds {
		if !slices.Equal(fold[1], want[f]) || len(fold[0])+len(fold[1]) != 10 || !slices.IsSorted(fold[0]) {
			t.Errorf("fold %d: %v, want test %v", f, fold, want[f])
		}
	}
}

// TestTrainTestSplitScikitLearn checks splits of several sizes and seeds
// against scikit-learn 1.2.1's train_test_split: the first validation
// indices and a checksum Σ (i+1)·index over validation then training.
func TestTrainTestSplitScikitLearn(t *testing.T) {
	for _, tt := range []struct {
		n     int
		seed  int64
		size  float64
		first []int
		sum   int
	}{
		{2, 0, 0.2, []int{1}, 1},
		{7, 1, 0.2, []int{6, 2}, 86},
		{1000, 4294967295, 0.2, []int{94, 405, 819, 632, 217}, 250435292},
		{70000, 123456789, 0.33, []int{31089, 12424, 23134, 7535, 69077}, 956396193},
		{1797, 12345, 0.2, []int{622, 1705, 973, 1349, 201}, 449289367},
	} {
		train, val, err := TrainTestSplit(tt.n, tt.size, tt.seed)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0
		for i, v := range slices.Concat(val, train) {
			sum = (sum + (i+1)*v) % 1000000007
		}
		if !slices.Equal(val[:len(tt.first)], tt.first) || sum != tt.sum {
			t.Errorf("n=%d seed=%d: %v… sum %d, want %v… %d", tt.n, tt.seed, val[:len(tt.first)], sum, tt.first, tt.sum)
		}
	}
	if _, _, err := TrainTestSplit(10, 0.2, 1<<32); !errors.Is(err, ErrBadInput) {
		t.Errorf("seed 2^32: %v", err)
	}
}
