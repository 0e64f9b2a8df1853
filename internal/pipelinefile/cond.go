package pipelinefile

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Cond is a job's `when`: comparisons of the pipeline's tags with a
// number or a quoted string, joined by `and` (which binds tighter) and
// `or`. The zero Cond is not valid; ParseCond makes one.
type Cond struct {
	// Or holds the alternatives; each is a conjunction of comparisons.
	Or [][]Cmp `json:"or"`
	// Text is the condition as written.
	Text string `json:"text"`
}

// Cmp is one comparison: Tag Op Value.
type Cmp struct {
	Tag string `json:"tag"`
	Op  string `json:"op"`
	// Number is set when Value is a number; otherwise Value is a string.
	Number bool    `json:"number,omitempty"`
	Num    float64 `json:"num,omitempty"`
	Str    string  `json:"str,omitempty"`
}

var ops = []string{">=", "<=", "==", "!=", ">", "<"}

// ParseCond parses a `when` condition.
func ParseCond(s string) (*Cond, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	c := &Cond{Text: strings.TrimSpace(s)}
	var and []Cmp
	for i := 0; ; {
		if len(toks)-i < 3 {
			return nil, fmt.Errorf("want <tag> <op> <value>, got %q", strings.Join(toks[i:], " "))
		}
		cmp, err := parseCmp(toks[i], toks[i+1], toks[i+2])
		if err != nil {
			return nil, err
		}
		and = append(and, cmp)
		i += 3
		if i == len(toks) {
			c.Or = append(c.Or, and)
			return c, nil
		}
		switch toks[i] {
		case "and":
		case "or":
			c.Or = append(c.Or, and)
			and = nil
		default:
			return nil, fmt.Errorf("want 'and' or 'or' after %s %s %s, got %q", toks[i-3], toks[i-2], toks[i-1], toks[i])
		}
		i++
	}
}

func parseCmp(tag, op, val string) (Cmp, error) {
	if !isIdent(tag) {
		return Cmp{}, fmt.Errorf("%q is not a tag name (letters, digits, '_', '-', '.')", tag)
	}
	known := false
	for _, o := range ops {
		known = known || o == op
	}
	if !known {
		return Cmp{}, fmt.Errorf("unknown operator %q (want one of %s)", op, strings.Join(ops, " "))
	}
	c := Cmp{Tag: tag, Op: op}
	if q, err := strconv.Unquote(val); err == nil && (val[0] == '"' || val[0] == '\'') {
		if op != "==" && op != "!=" {
			return Cmp{}, fmt.Errorf("%s %s %s: a string compares only with == or !=", tag, op, val)
		}
		c.Str = q
		return c, nil
	}
	n, err := strconv.ParseFloat(val, 64)
	if err != nil {
		return Cmp{}, fmt.Errorf("%s %s %s: the value is neither a number nor a quoted string", tag, op, val)
	}
	c.Number, c.Num = true, n
	return c, nil
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(unicode.IsLetter(r) || r == '_' || (i > 0 && (unicode.IsDigit(r) || r == '-' || r == '.'))) {
			return false
		}
	}
	return s != "" && s != "and" && s != "or"
}

// tokenize splits a condition into words, operators and quoted strings.
func tokenize(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		switch ch := s[i]; {
		case ch == ' ' || ch == '\t':
			i++
		case ch == '"' || ch == '\'':
			j := i + 1
			for j < len(s) && s[j] != ch {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string at column %d", i+1)
			}
			tok := s[i : j+1]
			if ch == '\'' {
				tok = strconv.Quote(s[i+1 : j])
			}
			toks = append(toks, tok)
			i = j + 1
		case strings.ContainsRune("<>=!", rune(ch)):
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t<>=!\"'", rune(s[j])) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty condition")
	}
	return toks, nil
}

// Eval decides the condition on the pipeline's tags. When it does not
// hold, reason says why: which comparison failed, a missing tag, or a tag
// that is not a number where a number is compared.
func (c *Cond) Eval(tags map[string]string) (ok bool, reason string) {
	var reasons []string
	for _, and := range c.Or {
		holds, why := true, ""
		for _, cmp := range and {
			if holds, why = cmp.eval(tags); !holds {
				break
			}
		}
		if holds {
			return true, ""
		}
		reasons = append(reasons, why)
	}
	return false, fmt.Sprintf("when %s: %s", c.Text, strings.Join(reasons, "; "))
}

func (c Cmp) eval(tags map[string]string) (bool, string) {
	v, ok := tags[c.Tag]
	if !ok {
		return false, fmt.Sprintf("tag %s is not set", c.Tag)
	}
	var r int
	var want string
	if c.Number {
		n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return false, fmt.Sprintf("tag %s is %q, not a number", c.Tag, v)
		}
		r = compare(n, c.Num)
		want = strconv.FormatFloat(c.Num, 'g', -1, 64)
	} else {
		r = strings.Compare(v, c.Str)
		want = strconv.Quote(c.Str)
	}
	holds := map[string]bool{">": r > 0, ">=": r >= 0, "<": r < 0, "<=": r <= 0, "==": r == 0, "!=": r != 0}[c.Op]
	if holds {
		return true, ""
	}
	return false, fmt.Sprintf("%s is %s, not %s %s", c.Tag, v, c.Op, want)
}

func compare(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
