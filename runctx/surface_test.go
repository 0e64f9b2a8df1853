package runctx_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"sort"
	"strings"
	"testing"
)

// maxSurface is the most top-level names runctx exports (issue 25): what a
// user's pipeline, worker, starter or test needs, and nothing else.
const maxSurface = 45

// exportedNames returns runctx's exported top-level names (consts, vars,
// funcs, types; not methods or fields) and whether each has a doc comment.
func exportedNames(t *testing.T) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range pkgs["runctx"].Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() {
					names[d.Name.Name] = d.Doc != nil
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if s.Name.IsExported() {
							names[s.Name.Name] = s.Doc != nil || (d.Doc != nil && len(d.Specs) == 1)
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								names[n.Name] = s.Doc != nil || s.Comment != nil || d.Doc != nil
							}
						}
					}
				}
			}
		}
	}
	return names
}

// reachedFromExamples returns the runctx names the package's Examples use:
// runctx.X in an Example, or in the test package's functions, types and
// methods that an Example reaches, and X of ExampleX or ExampleX_y.
func reachedFromExamples(t *testing.T) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool { return strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	decls := map[string][]ast.Node{} // the test package's top-level names, and methods by receiver type
	var examples []*ast.FuncDecl
	for _, f := range pkgs["runctx_test"].Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				name := d.Name.Name
				if d.Recv != nil && len(d.Recv.List) == 1 {
					typ := d.Recv.List[0].Type
					if s, ok := typ.(*ast.StarExpr); ok {
						typ = s.X
					}
					if id, ok := typ.(*ast.Ident); ok {
						name = id.Name
					}
				}
				decls[name] = append(decls[name], d)
				if d.Recv == nil && (name == "Example" || strings.HasPrefix(name, "Example")) {
					examples = append(examples, d)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						decls[s.Name.Name] = append(decls[s.Name.Name], s)
					case *ast.ValueSpec:
						for _, n := range s.Names {
							decls[n.Name] = append(decls[n.Name], s)
						}
					}
				}
			}
		}
	}
	reached := map[string]bool{}
	seen := map[string]bool{}
	var visit func(n ast.Node)
	visit = func(n ast.Node) {
		ast.Inspect(n, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok && id.Name == "runctx" {
					reached[n.Sel.Name] = true
				}
			case *ast.Ident:
				if !seen[n.Name] && decls[n.Name] != nil {
					seen[n.Name] = true
					for _, d := range decls[n.Name] {
						visit(d)
					}
				}
			}
			return true
		})
	}
	for _, e := range examples {
		name, _, _ := strings.Cut(strings.TrimPrefix(e.Name.Name, "Example"), "_")
		reached[name] = true
		visit(e.Body)
	}
	return reached
}

// TestSurface fails when runctx exports more than maxSurface top-level
// names, or a name without a doc comment, or one no Example reaches: a new
// exported name comes with its doc and its Example.
func TestSurface(t *testing.T) {
	names := exportedNames(t)
	reached := reachedFromExamples(t)
	var all []string
	for n, documented := range names {
		all = append(all, n)
		if !documented {
			t.Errorf("runctx.%s has no doc comment", n)
		}
		if !reached[n] {
			t.Errorf("runctx.%s is reached from no Example (name one ExampleX, or use it in one)", n)
		}
	}
	sort.Strings(all)
	t.Logf("%d exported names: %s", len(all), strings.Join(all, " "))
	if len(all) > maxSurface {
		t.Errorf("runctx exports %d top-level names, more than %d: keep what users need, move wiring to internal/", len(all), maxSurface)
	}
}
