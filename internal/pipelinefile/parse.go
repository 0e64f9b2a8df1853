package pipelinefile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/temporal-ml/runctx-pipeline/datastore"
	"github.com/temporal-ml/runctx-pipeline/internal/snapshot"
)

// ErrInvalid is matched (errors.Is) by every error of a pipeline file
// that Parse refuses.
var ErrInvalid = errors.New("pipeline file: invalid")

// Problem is one thing wrong in a pipeline file, where it is.
type Problem struct {
	File      string
	Line, Col int
	Msg       string
}

func (p Problem) String() string {
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, p.Msg)
}

// Error is every problem Parse found, one per line.
type Error struct{ Problems []Problem }

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Parse reads and validates the pipeline file at path: its keys, names,
// bindings (no binding to a job or output that does not exist, no cycle),
// conditions, and each job's code folder (present, within the snapshot
// limits; its snapshot hash is set). It returns every problem at once.
func Parse(path string) (*Pipeline, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{[]Problem{{File: path, Msg: err.Error()}}}
	}
	return ParseBytes(path, b)
}

// ParseBytes is Parse of a file's content; path names it in messages, and
// code folders are relative to its folder.
func ParseBytes(path string, b []byte) (*Pipeline, error) {
	p := &parser{file: path, dir: filepath.Dir(path)}
	pl := p.parse(b)
	if len(p.problems) > 0 {
		slices.SortStableFunc(p.problems, func(a, b Problem) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Col - b.Col
		})
		return nil, &Error{p.problems}
	}
	return pl, nil
}

type parser struct {
	file, dir string
	problems  []Problem
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	pr := Problem{File: p.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		pr.Line, pr.Col = n.Line, n.Column
	}
	p.problems = append(p.problems, pr)
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *parser) parse(b []byte) *Pipeline {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		pr := Problem{File: p.file, Msg: err.Error()}
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			pr.Line, _ = strconv.Atoi(m[1])
			pr.Col, pr.Msg = 1, m[2]
		}
		p.problems = append(p.problems, pr)
		return nil
	}
	if len(doc.Content) == 0 {
		p.errorf(nil, "empty file: want experiment, inputs and jobs")
		return nil
	}
	root := doc.Content[0]
	pl := &Pipeline{File: p.file}
	var jobs *yaml.Node
	p.mapping(root, "the pipeline", func(key string, k, v *yaml.Node) {
		switch key {
		case "$schema", "display_name", "description":
		case "type":
			if v.Value != "pipeline" {
				p.errorf(v, "type %q: a pipeline file is type: pipeline", v.Value)
			}
		case "experiment", "experiment_name":
			pl.Experiment = p.scalar(v, key)
		case "inputs":
			pl.Inputs = p.inputs(v)
		case "jobs":
			jobs = v
		case "attributes":
			pl.Attributes = p.attributes(v)
		default:
			p.errorf(k, "unknown key %q (want experiment, inputs, jobs, attributes)", key)
		}
	})
	if pl.Experiment == "" {
		base := filepath.Base(p.file)
		pl.Experiment = strings.TrimSuffix(base, filepath.Ext(base))
	}
	if err := datastore.ValidateName("experiment", pl.Experiment); err != nil {
		p.errorf(root, "%v", err)
	}
	if jobs == nil {
		p.errorf(root, "no jobs: a pipeline needs at least one")
		return pl
	}
	p.mapping(jobs, "jobs", func(name string, k, v *yaml.Node) {
		if len(pl.Jobs) == MaxJobs {
			p.errorf(k, "more than %d jobs", MaxJobs)
		}
		if j := p.job(name, k, v); j != nil {
			pl.Jobs = append(pl.Jobs, *j)
		}
	})
	p.links(pl, jobs)
	return pl
}

// mapping calls f for each key of a mapping node, refusing another kind
// of node and a key given twice.
func (p *parser) mapping(n *yaml.Node, what string, f func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		if n.Tag == "!!null" {
			return
		}
		p.errorf(n, "%s: want a mapping of keys to values", what)
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			p.errorf(k, "%s: key %q given twice", what, k.Value)
			continue
		}
		seen[k.Value] = true
		f(k.Value, k, v)
	}
}

func (p *parser) scalar(n *yaml.Node, what string) string {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "%s: want a single value", what)
		return ""
	}
	return n.Value
}

// inputs reads the pipeline's inputs: name → data reference, or Azure ML
// v2's {type: uri_file, path: …}.
func (p *parser) inputs(n *yaml.Node) map[string]string {
	out := map[string]string{}
	p.mapping(n, "inputs", func(name string, k, v *yaml.Node) {
		p.name(k, "input", name)
		ref := p.refValue(v, "input "+name)
		if ref == "" {
			return
		}
		if _, err := datastore.ParseRef(ref); err != nil {
			if _, perr := datastore.ParsePrefix(ref); perr != nil {
				p.errorf(v, "input %s: %v", name, err)
				return
			}
		}
		out[name] = ref
	})
	return out
}

var attributeName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// attributeTypes are the search attribute types a tag may become, by the
// names the file may give them.
var attributeTypes = map[string]string{"keyword": "Keyword", "string": "Keyword", "double": "Double", "float": "Double", "int": "Int", "bool": "Bool"}

// attributes reads `attributes:`: tag → Name (a Keyword) or tag →
// {name: Name, type: Double}.
func (p *parser) attributes(n *yaml.Node) []Attribute {
	var out []Attribute
	seen := map[string]bool{}
	p.mapping(n, "attributes", func(tag string, k, v *yaml.Node) {
		a := Attribute{Tag: tag, Type: "Keyword"}
		if v.Kind == yaml.ScalarNode {
			a.Name = v.Value
		} else {
			p.mapping(v, "attribute "+tag, func(key string, kk, vv *yaml.Node) {
				switch key {
				case "name":
					a.Name = p.scalar(vv, "name")
				case "type":
					t, ok := attributeTypes[strings.ToLower(vv.Value)]
					if !ok {
						p.errorf(vv, "attribute %s: type %q: want Keyword, Double, Int or Bool", tag, vv.Value)
					}
					a.Type = t
				default:
					p.errorf(kk, "attribute %s: unknown key %q (want name, type)", tag, key)
				}
			})
		}
		switch {
		case !attributeName.MatchString(a.Name):
			p.errorf(v, "attribute %s: name %q: want a letter, then up to 63 letters, digits or '_'", tag, a.Name)
		case seen[a.Name] || a.Name == "Experiment":
			p.errorf(v, "attribute %s: %s is named twice or is the pipeline's own Experiment", tag, a.Name)
		default:
			seen[a.Name] = true
			out = append(out, a)
		}
	})
	return out
}

// refValue is a scalar, or the path of a {type, path} mapping.
func (p *parser) refValue(v *yaml.Node, what string) string {
	if v.Kind == yaml.ScalarNode {
		return v.Value
	}
	var path string
	p.mapping(v, what, func(key string, k, val *yaml.Node) {
		switch key {
		case "type", "mode", "description":
		case "path":
			path = p.scalar(val, what+" path")
		default:
			p.errorf(k, "%s: unknown key %q (want path, type)", what, key)
		}
	})
	if path == "" {
		p.errorf(v, "%s: no path", what)
	}
	return path
}

var namePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// name checks a job, input or output name: it becomes part of an
// environment variable (AZUREML_DATAREFERENCE_<name>) and a step name.
func (p *parser) name(n *yaml.Node, kind, name string) bool {
	if !namePattern.MatchString(name) {
		p.errorf(n, "%s name %q: want a letter or '_', then up to 62 letters, digits or '_'", kind, name)
		return false
	}
	return true
}

var (
	parentInput  = regexp.MustCompile(`^\$\{\{\s*parent\.inputs\.([A-Za-z0-9_]+)\s*\}\}$`)
	parentOutput = regexp.MustCompile(`^\$\{\{\s*parent\.jobs\.([A-Za-z0-9_]+)\.outputs\.([A-Za-z0-9_]+)\s*\}\}$`)
	placeholder  = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)
)

func (p *parser) job(name string, k, v *yaml.Node) *Job {
	p.name(k, "job", name)
	j := &Job{Name: name, AllowReuse: true, Line: k.Line}
	var cmdNode, codeNode, argsNode *yaml.Node
	var cmd string
	p.mapping(v, "job "+name, func(key string, kk, vv *yaml.Node) {
		switch key {
		case "type":
			if vv.Value != "command" {
				p.errorf(vv, "job %s: type %q: only command jobs run here", name, vv.Value)
			}
		case "description":
		case "display_name":
			j.DisplayName = p.scalar(vv, "display_name")
		case "code":
			codeNode = vv
			j.Code = p.scalar(vv, "code")
		case "command":
			cmdNode = vv
			cmd = p.scalar(vv, "command")
		case "script":
			j.Script = p.scalar(vv, "script")
		case "interpreter":
			j.Command = p.scalar(vv, "interpreter")
		case "arguments":
			argsNode = vv
			if vv.Kind != yaml.SequenceNode {
				p.errorf(vv, "job %s: arguments: want a list", name)
				return
			}
			for _, a := range vv.Content {
				j.Arguments = append(j.Arguments, p.scalar(a, "argument"))
			}
		case "inputs":
			j.Inputs = p.jobInputs(name, vv)
		case "outputs":
			p.mapping(vv, "job "+name+" outputs", func(out string, ok, ov *yaml.Node) {
				if p.name(ok, "output", out) {
					j.Outputs = append(j.Outputs, out)
				}
				if ov.Kind == yaml.MappingNode {
					p.mapping(ov, "output "+out, func(key string, k3, _ *yaml.Node) {
						if key != "type" && key != "mode" && key != "description" {
							p.errorf(k3, "output %s: unknown key %q (an output is {} or {type: uri_folder})", out, key)
						}
					})
				} else if ov.Tag != "!!null" && ov.Value != "" {
					p.errorf(ov, "output %s: want {} (a folder the job writes)", out)
				}
			})
		case "environment_variables":
			j.Env = map[string]string{}
			p.mapping(vv, "environment_variables", func(key string, _, ev *yaml.Node) { j.Env[key] = p.scalar(ev, key) })
		case "environment":
			p.errorf(vv, "job %s: environment names an Azure ML environment; here the worker's own interpreter runs the job (set variables with environment_variables)", name)
		case "allow_reuse":
			b, err := strconv.ParseBool(vv.Value)
			if err != nil {
				p.errorf(vv, "job %s: allow_reuse %q: want true or false", name, vv.Value)
			}
			j.AllowReuse = b
		case "timeout":
			j.Timeout = p.duration(vv, name)
		case "retries":
			n, err := strconv.Atoi(vv.Value)
			if err != nil || n < 0 || n > 10 {
				p.errorf(vv, "job %s: retries %q: want 0 to 10", name, vv.Value)
			}
			j.Retries = n
		case "when":
			c, err := ParseCond(p.scalar(vv, "when"))
			if err != nil {
				p.errorf(vv, "job %s: when: %v", name, err)
				return
			}
			j.When = c
		default:
			p.errorf(kk, "job %s: unknown key %q", name, key)
		}
	})
	switch {
	case cmd != "" && (j.Script != "" || argsNode != nil):
		p.errorf(cmdNode, "job %s: give command, or script and arguments, not both", name)
	case cmd != "":
		words, err := splitCommand(cmd)
		if err != nil || len(words) < 2 {
			if err == nil {
				err = errors.New("want an interpreter and a script, e.g. python3 train.py")
			}
			p.errorf(cmdNode, "job %s: command: %v", name, err)
			break
		}
		j.Command, j.Script, j.Arguments = words[0], words[1], words[2:]
	case j.Script == "":
		p.errorf(v, "job %s: no command (or script)", name)
	}
	if j.Command == "" {
		j.Command = "python3"
	}
	p.placeholders(j, cmdNode, argsNode)
	p.code(j, v, codeNode)
	return j
}

func (p *parser) duration(n *yaml.Node, job string) time.Duration {
	if s, err := strconv.Atoi(n.Value); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil || d <= 0 {
		p.errorf(n, "job %s: timeout %q: want seconds or a duration such as 10m", job, n.Value)
	}
	return d
}

func (p *parser) jobInputs(job string, n *yaml.Node) map[string]Binding {
	out := map[string]Binding{}
	p.mapping(n, "job "+job+" inputs", func(name string, k, v *yaml.Node) {
		p.name(k, "input", name)
		s := p.refValue(v, "input "+name)
		switch m := parentOutput.FindStringSubmatch(s); {
		case s == "":
			return
		case m != nil:
			out[name] = Binding{Job: m[1], Output: m[2]}
		case parentInput.MatchString(s):
			out[name] = Binding{Input: parentInput.FindStringSubmatch(s)[1]}
		case strings.Contains(s, "${{"):
			p.errorf(v, "job %s: input %s: %q: want ${{parent.inputs.<name>}} or ${{parent.jobs.<job>.outputs.<name>}}", job, name, s)
		default:
			if _, err := datastore.ParseRef(s); err != nil {
				p.errorf(v, "job %s: input %s: %v", job, name, err)
				return
			}
			out[name] = Binding{Ref: s}
		}
		if b, ok := out[name]; ok {
			b.line, b.col = v.Line, v.Column
			out[name] = b
		}
	})
	return out
}

// placeholders checks ${{inputs.x}} and ${{outputs.x}} in the job's
// arguments against its inputs and outputs.
func (p *parser) placeholders(j *Job, cmdNode, argsNode *yaml.Node) {
	at := cmdNode
	if at == nil {
		at = argsNode
	}
	for _, a := range append([]string{j.Script}, j.Arguments...) {
		for _, m := range placeholder.FindAllStringSubmatch(a, -1) {
			kind, name, _ := strings.Cut(m[1], ".")
			switch {
			case kind == "inputs" && j.Inputs[name] != (Binding{}):
			case kind == "outputs" && slices.Contains(j.Outputs, name):
			case kind == "inputs" || kind == "outputs":
				p.errorf(at, "job %s: %s names no %s of this job", j.Name, m[0], strings.TrimSuffix(kind, "s"))
			default:
				p.errorf(at, "job %s: %s: want ${{inputs.<name>}} or ${{outputs.<name>}}", j.Name, m[0])
			}
		}
	}
}

// code resolves the job's code folder against the file's and scans it:
// present, a folder, within the snapshot limits.
func (p *parser) code(j *Job, v, n *yaml.Node) {
	if n == nil {
		p.errorf(v, "job %s: no code (the folder of its script, relative to this file)", j.Name)
		return
	}
	dir := j.Code
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(p.dir, dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		p.errorf(n, "job %s: code %s: %v", j.Name, j.Code, err)
		return
	}
	m, err := snapshot.Scan(abs)
	if err != nil {
		p.errorf(n, "job %s: code %s: %v", j.Name, j.Code, err)
		return
	}
	j.Code, j.Snapshot = abs, m.Hash
	if j.Script != "" && !slices.Contains(m.Names(), filepath.ToSlash(filepath.Clean(j.Script))) && !placeholder.MatchString(j.Script) {
		p.errorf(n, "job %s: script %s is not in code %s", j.Name, j.Script, abs)
	}
}

// links checks that every binding names a job and output that exist, and
// that the jobs' bindings make no cycle.
func (p *parser) links(pl *Pipeline, jobsNode *yaml.Node) {
	byName := map[string]*Job{}
	for i := range pl.Jobs {
		byName[pl.Jobs[i].Name] = &pl.Jobs[i]
	}
	for _, j := range pl.Jobs {
		for _, in := range sortedKeys(j.Inputs) {
			b := j.Inputs[in]
			at := &yaml.Node{Line: b.line, Column: b.col}
			switch {
			case b.Input != "":
				if _, ok := pl.Inputs[b.Input]; !ok {
					p.errorf(at, "job %s: input %s: the pipeline has no input %q", j.Name, in, b.Input)
				}
			case b.Job != "":
				dep, ok := byName[b.Job]
				switch {
				case !ok:
					p.errorf(at, "job %s: input %s: there is no job %q", j.Name, in, b.Job)
				case b.Job == j.Name:
					p.errorf(at, "job %s: input %s: a job cannot take its own output", j.Name, in)
				case !slices.Contains(dep.Outputs, b.Output):
					p.errorf(at, "job %s: input %s: job %s has no output %q", j.Name, in, b.Job, b.Output)
				}
			}
		}
	}
	if cycle := findCycle(pl.Jobs); cycle != nil {
		p.errorf(&yaml.Node{Line: byName[cycle[0]].Line, Column: jobsNode.Column}, "the jobs' inputs make a cycle: %s", strings.Join(cycle, " → "))
	}
}

// findCycle returns the jobs of a cycle of bindings, the first repeated
// at the end, or nil.
func findCycle(jobs []Job) []string {
	needs := map[string][]string{}
	for _, j := range jobs {
		needs[j.Name] = j.Needs()
	}
	const (
		unseen = iota
		open
		done
	)
	state := map[string]int{}
	var stack []string
	var visit func(string) []string
	visit = func(n string) []string {
		state[n] = open
		stack = append(stack, n)
		for _, d := range needs[n] {
			switch state[d] {
			case open:
				i := slices.Index(stack, d)
				return append(slices.Clone(stack[i:]), d)
			case unseen:
				if _, ok := needs[d]; ok {
					if c := visit(d); c != nil {
						return c
					}
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = done
		return nil
	}
	for _, j := range jobs {
		if state[j.Name] == unseen {
			if c := visit(j.Name); c != nil {
				return c
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
