package sweep

import (
	"errors"
	"strings"
	"testing"
)

func TestParseParam(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Param
		err  string
	}{
		{in: "C=0.1,1,10", want: Param{Name: "C", Kind: Choice, Values: []string{"0.1", "1", "10"}}},
		{in: "n_neighbors=1..3", want: Param{Name: "n_neighbors", Kind: Choice, Values: []string{"1", "2", "3"}}},
		{in: "gamma=choice(scale, 0.1)", want: Param{Name: "gamma", Kind: Choice, Values: []string{"scale", "0.1"}}},
		{in: "C=uniform(0.5,2)", want: Param{Name: "C", Kind: Uniform, Min: 0.5, Max: 2}},
		{in: "C=loguniform(-3,3)", want: Param{Name: "C", Kind: LogUniform, Min: -3, Max: 3}},
		{in: "C", err: "want NAME=v1,v2"},
		{in: "C=uniform(2,1)", err: "min < max"},
		{in: "C=normal(0,1)", err: "unknown distribution"},
		{in: "C=1,,2", err: "empty value"},
		{in: "k=1..5000", err: "more than the limit"},
	} {
		got, err := ParseParam(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got.Name != tc.want.Name || got.Kind != tc.want.Kind || strings.Join(got.Values, "|") != strings.Join(tc.want.Values, "|") || got.Min != tc.want.Min || got.Max != tc.want.Max {
			t.Errorf("%s: %+v %v, want %+v", tc.in, got, err, tc.want)
		}
	}
}

func space(t *testing.T, model, sampling string, trials int, params ...string) Space {
	t.Helper()
	s := Space{Model: model, Sampling: sampling, Trials: trials, Seed: 7}
	for _, p := range params {
		pp, err := ParseParam(p)
		if err != nil {
			t.Fatal(err)
		}
		s.Params = append(s.Params, pp)
	}
	return s
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		s   Space
		err string
	}{
		{space(t, "SVC", Grid, 0, "C=0.1,1,10", "gamma=scale,0.01,0.1"), ""},
		{space(t, "KNN", Random, 10, "n_neighbors=uniform(1,30)", "weights=uniform,distance"), ""},
		{space(t, "SVC", Grid, 0, "shrinking=true"), `no hyperparameter "shrinking"; valid: C (number > 0; default 1), coef0`},
		{space(t, "SVC", Grid, 0, "degree=2,3", "coef0=0,1", "kernel=poly"), ""},
		{space(t, "SVC", Grid, 0, "degree=11"), `degree="11": out of range`},
		{space(t, "SVC", Grid, 0, "C=0.1,-1"), `C="-1": must be > 0`},
		{space(t, "SVC", Grid, 0, "C=uniform(0.1,1)"), "needs --sampling random"},
		{space(t, "SVC", Random, 5, "kernel=uniform(0,1)"), "not a range"},
		{space(t, "KNN", Random, 5, "n_neighbors=uniform(0,3)"), "reaches 0"},
		{space(t, "SVC", Random, 0, "C=1,2"), "random sampling needs 1..10000 trials"},
		{space(t, "SVC", "bayesian", 5, "C=1,2"), "want grid or random"},
		{space(t, "XGB", Grid, 0, "C=1"), "unknown model"},
		{space(t, "SVC", Grid, 0), "no --param"},
		{space(t, "KNN", Grid, 0, "n_neighbors=1..1000", "leaf_size=1..11"), "more than the limit of 10000"},
	} {
		err := tc.s.Validate()
		if tc.err == "" && err != nil || tc.err != "" && (!errors.Is(err, ErrBadSpace) || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%+v: %v, want %q", tc.s, err, tc.err)
		}
	}
}

func TestGridOrder(t *testing.T) {
	s := space(t, "SVC", Grid, 0, "gamma=scale,0.1", "C=1,10,100").Normalize()
	if s.Trials != 6 {
		t.Fatal(s.Trials)
	}
	// Sorted by name, C before gamma; gamma varies fastest.
	want := []string{"C=1 gamma=scale", "C=1 gamma=0.1", "C=10 gamma=scale", "C=10 gamma=0.1", "C=100 gamma=scale", "C=100 gamma=0.1"}
	for i, w := range want {
		if got := FormatParams(s.Trial(i)); got != w {
			t.Errorf("trial %d: %s, want %s", i, got, w)
		}
	}
}

func TestRandomDeterministic(t *testing.T) {
	s := space(t, "KNN", Random, 50, "n_neighbors=uniform(1,30)", "weights=uniform,distance").Normalize()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := range 50 {
		a, b := s.Trial(i), s.Trial(i)
		if FormatParams(a) != FormatParams(b) {
			t.Fatal("not deterministic")
		}
		if err := (Space{Model: "KNN", Sampling: Grid, Params: []Param{{Name: "n_neighbors", Kind: Choice, Values: []string{a["n_neighbors"]}}}}).Validate(); err != nil {
			t.Fatalf("trial %d drew %v: %v", i, a, err)
		}
		seen[a["weights"]] = true
	}
	if len(seen) != 2 {
		t.Fatal("choice never drew both values")
	}
	l := space(t, "SVC", Random, 20, "C=loguniform(-2,2)").Normalize()
	for i := range 20 {
		c := l.Trial(i)["C"]
		if err := (Space{Model: "SVC", Sampling: Grid, Params: []Param{{Name: "C", Kind: Choice, Values: []string{c}}}}).Validate(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{in: "none", want: "none"},
		{in: "bandit:slack=0.1,interval=1,delay=1", want: "bandit:slack=0.1,interval=1,delay=1"},
		{in: "bandit:slack_amount=0.2", want: "bandit:slack_amount=0.2,interval=1,delay=0"},
		{in: "median:interval=1,delay=1", want: "median:interval=1,delay=1"},
		{in: "median", want: "median:interval=1,delay=0"},
		{in: "truncation:percentage=20,interval=1,delay=1", want: "truncation:percentage=20,interval=1,delay=1"},
		{in: "bandit", err: "one of slack"},
		{in: "bandit:slack=0.1,slack_amount=0.1", err: "one of slack"},
		{in: "truncation", err: "percentage=0"},
		{in: "median:percentage=3", err: "median takes interval, delay"},
		{in: "median:interval=0", err: "interval=0"},
		{in: "median:delay=1.5", err: "integer"},
		{in: "asha", err: "want none, bandit"},
	} {
		p, err := ParsePolicy(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || p.String() != tc.want {
			t.Errorf("%s: %s %v, want %s", tc.in, p, err, tc.want)
		}
	}
}

func TestEvaluates(t *testing.T) {
	for _, tc := range []struct {
		p    Policy
		want string // intervals 1..6 evaluated
	}{
		{Policy{Kind: Median, Interval: 1}, "123456"},
		{Policy{Kind: Median, Interval: 1, Delay: 1}, "123456"},
		{Policy{Kind: Median, Interval: 1, Delay: 5}, "56"}, // Azure ML's example: starting at interval 5
		{Policy{Kind: Median, Interval: 2, Delay: 3}, "46"},
		{Policy{Kind: None, Interval: 1}, ""},
	} {
		var got strings.Builder
		for i := 1; i <= 6; i++ {
			if tc.p.Evaluates(i) {
				got.WriteByte(byte('0' + i))
			}
		}
		if got.String() != tc.want {
			t.Errorf("%+v: %s, want %s", tc.p, got.String(), tc.want)
		}
	}
}

// Each case: trials report in order; the last report is decided.
func TestDecide(t *testing.T) {
	type rep struct {
		trial  int
		values []float64
	}
	for _, tc := range []struct {
		name    string
		policy  string
		reports []rep
		stop    bool
	}{
		// Best at fold 1 is 0.9; 0.9/1.1 = 0.8182: 0.80 stops, 0.82 does not.
		{"bandit factor stops", "bandit:slack=0.1", []rep{{0, []float64{0.9}}, {1, []float64{0.80}}}, true},
		{"bandit factor keeps", "bandit:slack=0.1", []rep{{0, []float64{0.9}}, {1, []float64{0.82}}}, false},
		// Slack amount 0.2 from 0.95: limit 0.75.
		{"bandit amount stops", "bandit:slack_amount=0.2", []rep{{0, []float64{0.95}}, {1, []float64{0.74}}}, true},
		{"bandit amount keeps", "bandit:slack_amount=0.2", []rep{{0, []float64{0.95}}, {1, []float64{0.75}}}, false},
		// The comparison is at the same fold: trial 0's fold 2 is 0.5,
		// so at fold 2 the best is trial 1's 0.6, and 0.6 is kept.
		{"bandit same fold", "bandit:slack=0.1", []rep{{0, []float64{1.0, 0.5}}, {1, []float64{0.7, 0.6}}}, false},
		// Delay 2: fold 1 is not evaluated even far below the best.
		{"bandit delay", "bandit:slack=0.1,delay=2", []rep{{0, []float64{1}}, {1, []float64{0.1}}}, false},
		// Running averages at fold 2: (0.9+0.9)/2=0.9, (0.8+0.6)/2=0.7,
		// (0.5+0.7)/2=0.6; median 0.7. Trial 2's best is 0.7: not below.
		{"median keeps at median", "median", []rep{{0, []float64{0.9, 0.9}}, {1, []float64{0.8, 0.6}}, {2, []float64{0.5, 0.7}}}, false},
		// Same with trial 2 at (0.5, 0.65): best 0.65 < 0.7 (averages
		// 0.9, 0.7, 0.575, median 0.7): stops.
		{"median stops", "median", []rep{{0, []float64{0.9, 0.9}}, {1, []float64{0.8, 0.6}}, {2, []float64{0.5, 0.65}}}, true},
		// Even number of trials: averages 0.9 and 0.7, median 0.8; trial
		// 1's best is 0.8: kept.
		{"median even", "median", []rep{{0, []float64{0.9, 0.9}}, {1, []float64{0.8, 0.6}}}, false},
		// Five values at fold 1, 20%: floor(5·0.2) = 1 cut; the
		// ascending order is 0.5 0.6 0.7 0.8 0.9: 0.5 < 0.6 stops.
		{"truncation stops lowest", "truncation:percentage=20", []rep{{0, []float64{0.9}}, {1, []float64{0.8}}, {2, []float64{0.7}}, {3, []float64{0.6}}, {4, []float64{0.5}}}, true},
		{"truncation keeps second", "truncation:percentage=20", []rep{{0, []float64{0.9}}, {1, []float64{0.8}}, {2, []float64{0.7}}, {4, []float64{0.5}}, {3, []float64{0.6}}}, false},
		// Four values: floor(4·0.2) = 0: nothing is cut.
		{"truncation too few", "truncation:percentage=20", []rep{{0, []float64{0.9}}, {1, []float64{0.8}}, {2, []float64{0.7}}, {3, []float64{0.1}}}, false},
		// A tie with the first kept value is kept: 0.5 0.5 0.7 0.8 0.9.
		{"truncation tie", "truncation:percentage=20", []rep{{0, []float64{0.9}}, {1, []float64{0.8}}, {2, []float64{0.7}}, {3, []float64{0.5}}, {4, []float64{0.5}}}, false},
		{"none", "none", []rep{{0, []float64{1}}, {1, []float64{0}}}, false},
	} {
		p, err := ParsePolicy(tc.policy)
		if err != nil {
			t.Fatal(err)
		}
		var b Board
		for _, r := range tc.reports {
			b.Report(r.trial, r.values)
		}
		last := tc.reports[len(tc.reports)-1].trial
		stop, reason := p.Decide(&b, last)
		if stop != tc.stop {
			t.Errorf("%s: stop = %v (%s), want %v", tc.name, stop, reason, tc.stop)
		}
	}
}
