package problem

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"
)

// TestAllListsEveryConstant parses this package's source so that a new
// constant left out of All fails here rather than going unworded.
func TestAllListsEveryConstant(t *testing.T) {
	file, err := parser.ParseFile(token.NewFileSet(), "problem.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]Problem{}
	for _, decl := range file.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			for i, name := range vs.Names {
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("constant %s is not a string literal", name.Name)
				}
				value, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				declared[name.Name] = Problem(value)
			}
		}
	}
	if len(declared) == 0 {
		t.Fatal("found no constants in problem.go")
	}

	listed := map[Problem]bool{}
	for _, p := range All {
		if listed[p] {
			t.Errorf("All lists %q twice", p)
		}
		listed[p] = true
	}
	for name, value := range declared {
		if !listed[value] {
			t.Errorf("All is missing %s", name)
		}
	}
	if len(listed) != len(declared) {
		t.Errorf("All has %d problems, problem.go declares %d", len(listed), len(declared))
	}
}
