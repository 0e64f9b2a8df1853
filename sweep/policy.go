package sweep

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Policy kinds.
const (
	None       = "none"
	Bandit     = "bandit"
	Median     = "median"
	Truncation = "truncation"
)

// Policy is an early termination policy (see the package documentation
// for what each does).
type Policy struct {
	Kind        string  `json:"kind"`
	SlackFactor float64 `json:"slack_factor,omitempty"`
	SlackAmount float64 `json:"slack_amount,omitempty"`
	Percentage  float64 `json:"percentage,omitempty"`
	Interval    int     `json:"interval,omitempty"`
	Delay       int     `json:"delay,omitempty"`
}

// ParsePolicy parses --early-termination: none,
// bandit:slack=0.1[,interval=1][,delay=1] (slack is slack_factor;
// slack_amount=A instead gives an absolute slack),
// median[:interval=1,delay=1], truncation:percentage=20[,interval=1,delay=1].
// Interval defaults to 1, delay to 0.
func ParsePolicy(s string) (Policy, error) {
	kind, args, _ := strings.Cut(strings.TrimSpace(s), ":")
	p := Policy{Kind: kind, Interval: 1}
	bad := func(format string, a ...any) (Policy, error) {
		return Policy{}, fmt.Errorf("%w: --early-termination %q: %s", ErrBadSpace, s, fmt.Sprintf(format, a...))
	}
	valid := map[string][]string{
		None: nil, Bandit: {"slack", "slack_factor", "slack_amount", "interval", "delay"},
		Median: {"interval", "delay"}, Truncation: {"percentage", "interval", "delay"},
	}
	keys, ok := valid[kind]
	if kind == "" {
		p.Kind, ok = None, true
	}
	if !ok {
		return bad("want none, bandit:slack=…, median or truncation:percentage=…")
	}
	if args != "" {
		for _, kv := range strings.Split(args, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			if !slices.Contains(keys, k) {
				return bad("%s takes %s, not %q", p.Kind, strings.Join(keys, ", "), k)
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return bad("%s=%q is not a number", k, v)
			}
			switch k {
			case "slack", "slack_factor":
				p.SlackFactor = f
			case "slack_amount":
				p.SlackAmount = f
			case "percentage":
				p.Percentage = f
			case "interval", "delay":
				if f != math.Trunc(f) || f < 0 || f > 1000 {
					return bad("%s=%s: want an integer 0..1000", k, v)
				}
				if k == "interval" {
					p.Interval = int(f)
				} else {
					p.Delay = int(f)
				}
			}
		}
	}
	return p, p.Validate()
}

// Validate checks the policy's settings.
func (p Policy) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: early termination %s: %s", ErrBadSpace, p.Kind, fmt.Sprintf(format, a...))
	}
	switch p.Kind {
	case None, "":
		return nil
	case Bandit:
		if (p.SlackFactor > 0) == (p.SlackAmount > 0) {
			return bad("give one of slack (slack_factor) > 0 or slack_amount > 0")
		}
		if p.SlackFactor < 0 || p.SlackAmount < 0 {
			return bad("slack must be > 0")
		}
	case Median:
	case Truncation:
		if !(p.Percentage >= 1 && p.Percentage <= 99) {
			return bad("percentage=%g: want 1..99", p.Percentage)
		}
	default:
		return bad("unknown policy")
	}
	if p.Interval < 1 {
		return bad("interval=%d: want at least 1", p.Interval)
	}
	return nil
}

// Active reports whether the policy can stop trials.
func (p Policy) Active() bool { return p.Kind != None && p.Kind != "" }

// Evaluates reports whether the policy is applied at interval i (1-based):
// i >= Delay and i a multiple of Interval.
func (p Policy) Evaluates(i int) bool {
	return p.Active() && i >= 1 && i >= p.Delay && i%max(p.Interval, 1) == 0
}

// String writes the policy back in ParsePolicy's form.
func (p Policy) String() string {
	switch p.Kind {
	case Bandit:
		slack := fmt.Sprintf("slack=%g", p.SlackFactor)
		if p.SlackAmount > 0 {
			slack = fmt.Sprintf("slack_amount=%g", p.SlackAmount)
		}
		return fmt.Sprintf("bandit:%s,interval=%d,delay=%d", slack, p.Interval, p.Delay)
	case Median:
		return fmt.Sprintf("median:interval=%d,delay=%d", p.Interval, p.Delay)
	case Truncation:
		return fmt.Sprintf("truncation:percentage=%g,interval=%d,delay=%d", p.Percentage, p.Interval, p.Delay)
	}
	return None
}

// Board holds every trial's reported values (its CV score per fold), so
// that a policy can compare a trial with all the others. Trials are
// numbered from 0; the board is a slice, not a map, so that its use in a
// workflow is deterministic.
type Board struct {
	scores [][]float64
	known  []bool
}

// Report records that trial reported values (all its values so far, one
// per interval).
func (b *Board) Report(trial int, values []float64) {
	for len(b.scores) <= trial {
		b.scores = append(b.scores, nil)
		b.known = append(b.known, false)
	}
	b.scores[trial] = slices.Clone(values)
	b.known[trial] = true
}

// at returns the values of all trials at interval i, and their running
// averages over 1..i, in trial order.
func (b *Board) at(i int) (vals, avgs []float64) {
	for t, s := range b.scores {
		if !b.known[t] || len(s) < i {
			continue
		}
		vals = append(vals, s[i-1])
		var sum float64
		for _, v := range s[:i] {
			sum += v
		}
		avgs = append(avgs, sum/float64(i))
	}
	return vals, avgs
}

// Decide applies p at the trial's latest interval, after Report: it says
// whether the trial stops, and why.
func (p Policy) Decide(b *Board, trial int) (stop bool, reason string) {
	if trial >= len(b.scores) || !b.known[trial] {
		return false, ""
	}
	s := b.scores[trial]
	i := len(s)
	if !p.Evaluates(i) {
		return false, ""
	}
	v := s[i-1]
	vals, avgs := b.at(i)
	switch p.Kind {
	case Bandit:
		best := slices.Max(vals)
		limit := best / (1 + p.SlackFactor)
		if p.SlackAmount > 0 {
			limit = best - p.SlackAmount
		}
		if v < limit {
			return true, fmt.Sprintf("bandit at fold %d: %.4f < %.4f (best %.4f, %s)", i, v, limit, best, p)
		}
	case Median:
		best := slices.Max(s)
		med := median(avgs)
		if best < med {
			return true, fmt.Sprintf("median stopping at fold %d: best %.4f < median of running averages %.4f over %d trials", i, best, med, len(avgs))
		}
	case Truncation:
		cut := int(math.Floor(float64(len(vals)) * p.Percentage / 100))
		if cut == 0 {
			return false, ""
		}
		sorted := slices.Clone(vals)
		slices.Sort(sorted)
		if v < sorted[cut] {
			return true, fmt.Sprintf("truncation at fold %d: %.4f in the lowest %g%% (%d of %d trials, below %.4f)", i, v, p.Percentage, cut, len(vals), sorted[cut])
		}
	}
	return false, ""
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
