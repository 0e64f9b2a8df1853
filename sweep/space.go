package sweep

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/temporal-ml/runctx-pipeline/ml"
)

// ErrBadSpace is wrapped by every error of a search space or sampling.
var ErrBadSpace = errors.New("bad sweep")

// Limits of a sweep, refused above them before any trial runs.
const (
	// MaxTrials bounds the trials of one sweep.
	MaxTrials = 10000
	// MaxValues bounds the values of one list or range.
	MaxValues = 1000
	// MaxParams bounds the hyperparameters swept at once.
	MaxParams = 10
)

// Sampling algorithms.
const (
	Grid   = "grid"
	Random = "random"
)

// Distribution kinds of a parameter.
const (
	Choice     = "choice"
	Uniform    = "uniform"
	LogUniform = "loguniform"
)

// Param is one swept hyperparameter and where its values come from.
type Param struct {
	Name string `json:"name"`
	// Kind is Choice, Uniform or LogUniform.
	Kind string `json:"kind"`
	// Values are a choice's values, as text.
	Values []string `json:"values,omitempty"`
	// Min and Max bound uniform (the value) and loguniform (its natural
	// logarithm, as Azure ML's loguniform: exp(uniform(Min, Max))).
	Min float64 `json:"min,omitempty"`
	Max float64 `json:"max,omitempty"`
	// Integer rounds a drawn value to the nearest integer (parameters
	// such as n_neighbors).
	Integer bool `json:"integer,omitempty"`
}

// Space is what a sweep searches: a model and its swept parameters,
// sorted by name; a parameter not swept keeps scikit-learn's default.
type Space struct {
	Model    string  `json:"model"`
	Params   []Param `json:"params"`
	Sampling string  `json:"sampling"`
	// Trials is the number of trials of random sampling; grid sampling
	// runs every combination once.
	Trials int `json:"trials,omitempty"`
	// Seed drives random sampling.
	Seed int64 `json:"seed,omitempty"`
}

// ParseParam parses one --param flag: NAME=v1,v2,… (a list), NAME=a..b
// (the integers a to b), NAME=choice(v1,v2,…), NAME=uniform(a,b) or
// NAME=loguniform(a,b).
func ParseParam(s string) (Param, error) {
	name, spec, ok := strings.Cut(s, "=")
	name, spec = strings.TrimSpace(name), strings.TrimSpace(spec)
	if !ok || name == "" || spec == "" {
		return Param{}, fmt.Errorf("%w: --param %q: want NAME=v1,v2,…, NAME=a..b, NAME=choice(…), NAME=uniform(a,b) or NAME=loguniform(a,b)", ErrBadSpace, s)
	}
	p := Param{Name: name, Kind: Choice}
	fn, args, isCall := call(spec)
	switch {
	case isCall && fn == Choice:
		p.Values = splitList(args)
	case isCall && (fn == Uniform || fn == LogUniform):
		lo, hi, err := bounds(args)
		if err != nil {
			return Param{}, fmt.Errorf("%w: --param %s: %s(%s): %v", ErrBadSpace, name, fn, args, err)
		}
		p.Kind, p.Min, p.Max = fn, lo, hi
		return p, nil
	case isCall:
		return Param{}, fmt.Errorf("%w: --param %s: unknown distribution %q (want choice, uniform or loguniform)", ErrBadSpace, name, fn)
	case strings.Contains(spec, ".."):
		a, b, _ := strings.Cut(spec, "..")
		lo, err1 := strconv.Atoi(strings.TrimSpace(a))
		hi, err2 := strconv.Atoi(strings.TrimSpace(b))
		if err1 != nil || err2 != nil || lo > hi {
			return Param{}, fmt.Errorf("%w: --param %s=%s: a range is a..b of integers, a <= b", ErrBadSpace, name, spec)
		}
		if hi-lo+1 > MaxValues {
			return Param{}, fmt.Errorf("%w: --param %s=%s: %d values, more than the limit of %d", ErrBadSpace, name, spec, hi-lo+1, MaxValues)
		}
		for v := lo; v <= hi; v++ {
			p.Values = append(p.Values, strconv.Itoa(v))
		}
	default:
		p.Values = splitList(spec)
	}
	if len(p.Values) == 0 || slices.Contains(p.Values, "") {
		return Param{}, fmt.Errorf("%w: --param %s=%s: an empty value", ErrBadSpace, name, spec)
	}
	if len(p.Values) > MaxValues {
		return Param{}, fmt.Errorf("%w: --param %s: %d values, more than the limit of %d", ErrBadSpace, name, len(p.Values), MaxValues)
	}
	return p, nil
}

func call(s string) (fn, args string, ok bool) {
	i := strings.IndexByte(s, '(')
	if i <= 0 || !strings.HasSuffix(s, ")") {
		return "", "", false
	}
	return strings.TrimSpace(s[:i]), s[i+1 : len(s)-1], true
}

func splitList(s string) []string {
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func bounds(args string) (float64, float64, error) {
	parts := splitList(args)
	if len(parts) != 2 {
		return 0, 0, errors.New("want two numbers")
	}
	lo, err1 := strconv.ParseFloat(parts[0], 64)
	hi, err2 := strconv.ParseFloat(parts[1], 64)
	if err1 != nil || err2 != nil || math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return 0, 0, errors.New("want two finite numbers")
	}
	if !(lo < hi) {
		return 0, 0, errors.New("want min < max")
	}
	return lo, hi, nil
}

// Validate checks the space before anything runs: a known model, known
// parameter names each swept once, every listed value one the model takes,
// ranges only over numeric parameters with both ends valid, grid sampling
// over lists only, and the number of trials within MaxTrials. Its errors
// wrap ErrBadSpace and list what is valid.
func (s Space) Validate() error {
	model, err := ml.CanonicalName(s.Model)
	if err != nil {
		return fmt.Errorf("%w: --model: %w", ErrBadSpace, err)
	}
	if len(s.Params) == 0 {
		return fmt.Errorf("%w: no --param: sweep at least one of %s's hyperparameters: %s", ErrBadSpace, s.Model, ml.Describe(model))
	}
	if len(s.Params) > MaxParams {
		return fmt.Errorf("%w: %d parameters, more than the limit of %d", ErrBadSpace, len(s.Params), MaxParams)
	}
	specs, _ := ml.Params(model)
	seen := map[string]bool{}
	for _, p := range s.Params {
		if seen[p.Name] {
			return fmt.Errorf("%w: --param %s given twice", ErrBadSpace, p.Name)
		}
		seen[p.Name] = true
		i := slices.IndexFunc(specs, func(sp ml.Param) bool { return sp.Name == p.Name })
		if i < 0 {
			return fmt.Errorf("%w: %s has no hyperparameter %q; valid: %s", ErrBadSpace, s.Model, p.Name, ml.Describe(model))
		}
		spec := specs[i]
		switch p.Kind {
		case Choice:
			if len(p.Values) == 0 {
				return fmt.Errorf("%w: --param %s: no values", ErrBadSpace, p.Name)
			}
			for _, v := range p.Values {
				if err := ml.CheckParam(model, p.Name, v); err != nil {
					return fmt.Errorf("%w: --param %s: %w", ErrBadSpace, p.Name, err)
				}
			}
		case Uniform, LogUniform:
			if s.Sampling == Grid {
				return fmt.Errorf("%w: --param %s: %s(…) needs --sampling random; grid sampling takes lists (v1,v2,… or a..b)", ErrBadSpace, p.Name, p.Kind)
			}
			if !spec.Numeric {
				return fmt.Errorf("%w: --param %s takes %s, not a range", ErrBadSpace, p.Name, spec.Values)
			}
			if !(p.Min < p.Max) {
				return fmt.Errorf("%w: --param %s: want min < max", ErrBadSpace, p.Name)
			}
			for _, x := range []float64{p.Min, p.Max} {
				if err := ml.CheckParam(model, p.Name, format(p.value(x), spec.Integer)); err != nil {
					return fmt.Errorf("%w: --param %s: %s(%g,%g) reaches %s: %w", ErrBadSpace, p.Name, p.Kind, p.Min, p.Max, format(p.value(x), spec.Integer), err)
				}
			}
		default:
			return fmt.Errorf("%w: --param %s: unknown kind %q", ErrBadSpace, p.Name, p.Kind)
		}
	}
	switch s.Sampling {
	case Grid:
		if n := s.gridSize(); n > MaxTrials {
			return fmt.Errorf("%w: the grid has %d trials, more than the limit of %d", ErrBadSpace, n, MaxTrials)
		}
		if s.Trials != 0 && s.Trials != s.gridSize() {
			return fmt.Errorf("%w: --trials %d with grid sampling: the grid has %d trials (leave --trials out)", ErrBadSpace, s.Trials, s.gridSize())
		}
	case Random:
		if s.Trials < 1 || s.Trials > MaxTrials {
			return fmt.Errorf("%w: --trials %d: random sampling needs 1..%d trials", ErrBadSpace, s.Trials, MaxTrials)
		}
	default:
		return fmt.Errorf("%w: --sampling %q: want grid or random", ErrBadSpace, s.Sampling)
	}
	return nil
}

// Normalize returns the space with the model's canonical name, the
// parameters sorted by name, integer parameters marked, and grid's
// number of trials.
func (s Space) Normalize() Space {
	if m, err := ml.CanonicalName(s.Model); err == nil {
		s.Model = m
	}
	s.Params = slices.Clone(s.Params)
	slices.SortStableFunc(s.Params, func(a, b Param) int { return strings.Compare(a.Name, b.Name) })
	specs, _ := ml.Params(s.Model)
	for i, p := range s.Params {
		for _, sp := range specs {
			if sp.Name == p.Name {
				s.Params[i].Integer = sp.Integer
			}
		}
	}
	if s.Sampling == Grid {
		s.Trials = s.gridSize()
	}
	return s
}

func (s Space) gridSize() int {
	n := 1
	for _, p := range s.Params {
		n *= max(len(p.Values), 1)
		if n > MaxTrials {
			return MaxTrials + 1
		}
	}
	return n
}

// Trial returns the hyperparameters of trial i (0-based): for grid
// sampling the i-th combination, the last parameter (by name) varying
// fastest as scikit-learn's ParameterGrid; for random sampling a draw
// from a generator seeded by the sweep's seed and i alone, so any trial's
// parameters can be computed on their own, in any order.
func (s Space) Trial(i int) map[string]string {
	out := make(map[string]string, len(s.Params))
	if s.Sampling == Grid {
		for k := len(s.Params) - 1; k >= 0; k-- {
			p := s.Params[k]
			out[p.Name] = p.Values[i%len(p.Values)]
			i /= len(p.Values)
		}
		return out
	}
	rng := rand.New(rand.NewPCG(uint64(s.Seed), uint64(i)*0x9e3779b97f4a7c15+1))
	for _, p := range s.Params {
		u := rng.Float64()
		switch p.Kind {
		case Choice:
			out[p.Name] = p.Values[min(int(u*float64(len(p.Values))), len(p.Values)-1)]
		default:
			out[p.Name] = format(p.value(p.Min+u*(p.Max-p.Min)), p.Integer)
		}
	}
	return out
}

// value maps a uniform draw x in [Min, Max] to the parameter's value.
func (p Param) value(x float64) float64 {
	if p.Kind == LogUniform {
		return math.Exp(x)
	}
	return x
}

func format(x float64, integer bool) string {
	if integer {
		return strconv.FormatInt(int64(math.Round(x)), 10)
	}
	return strconv.FormatFloat(x, 'g', 6, 64)
}

// FormatParams writes parameters as "C=1 gamma=scale", sorted by name.
//
// workflowcheck flags its map iteration; the keys are sorted, so it is
// deterministic.
//
//workflowcheck:ignore
func FormatParams(p map[string]string) string {
	keys := slices.Sorted(maps.Keys(p))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + p[k]
	}
	return strings.Join(parts, " ")
}
