package runctx_test

import (
	"go/doc/comment"
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestDocUsageIsExample keeps the package doc's Usage program the one
// Example runs: every code line of doc.go's comment is a line of
// example_doc_test.go, in the same order.
func TestDocUsageIsExample(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	var p comment.Parser
	d := p.Parse(f.Doc.Text())
	var code []string
	for _, b := range d.Content {
		if c, ok := b.(*comment.Code); ok {
			for _, l := range strings.Split(c.Text, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					code = append(code, l)
				}
			}
		}
	}
	if len(code) < 20 {
		t.Fatalf("doc.go has %d code lines; the Usage program is missing", len(code))
	}
	src, err := os.ReadFile("example_doc_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(src), "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	at := 0
	for _, want := range code {
		found := false
		for ; at < len(lines); at++ {
			if lines[at] == want {
				found, at = true, at+1
				break
			}
		}
		if !found {
			t.Fatalf("doc.go's line %q is not in example_doc_test.go (in this order): change the doc and Example together", want)
		}
	}
}
