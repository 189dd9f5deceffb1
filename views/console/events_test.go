package console

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"

	"aikagi/views"
)

// timelineWhats reads, from the db package's source, every name a timeline
// entry can carry: the AuditKind constants, "mail_" and each DeliveryEvent,
// and the What literals of db/timeline.go. Reading the source means a new
// kind cannot be added without its wording.
func timelineWhats(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../db/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("db sources: %v", err)
	}
	var whats []string
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				typ, ok := n.Type.(*ast.Ident)
				if !ok || (typ.Name != "AuditKind" && typ.Name != "DeliveryEvent") {
					return true
				}
				for _, v := range n.Values {
					if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						if typ.Name == "DeliveryEvent" {
							s = "mail_" + s
						}
						whats = append(whats, s)
					}
				}
			case *ast.KeyValueExpr:
				if key, ok := n.Key.(*ast.Ident); ok && key.Name == "What" {
					if lit, ok := n.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						whats = append(whats, s)
					}
				}
			}
			return true
		})
	}
	if len(whats) < 40 {
		t.Fatalf("only %d event names found in db: %v", len(whats), whats)
	}
	return whats
}

// Every event of a timeline has a name in every language, and no two
// events share one.
func TestEventNamesComplete(t *testing.T) {
	whats := timelineWhats(t)
	for _, lang := range views.Langs {
		text := T(lang)
		seen := map[string]string{}
		for _, what := range whats {
			name := text.EventName(what)
			if name == what {
				t.Errorf("%s: no name for %q", lang, what)
			}
			if other, dup := seen[name]; dup && other != what {
				t.Errorf("%s: %q and %q are both %q", lang, other, what, name)
			}
			seen[name] = what
		}
	}
}

// Every kind of mail has a name in every language.
func TestMailNamesComplete(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../../app/mail/mail.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	ast.Inspect(f, func(n ast.Node) bool {
		if v, ok := n.(*ast.ValueSpec); ok {
			if typ, ok := v.Type.(*ast.Ident); ok && typ.Name == "Kind" {
				for _, val := range v.Values {
					if lit, ok := val.(*ast.BasicLit); ok {
						s, _ := strconv.Unquote(lit.Value)
						kinds = append(kinds, s)
					}
				}
			}
		}
		return true
	})
	if len(kinds) < 4 {
		t.Fatalf("mail kinds found: %v", kinds)
	}
	for _, lang := range views.Langs {
		for _, k := range kinds {
			if T(lang).MailName(k) == k {
				t.Errorf("%s: no name for mail %q", lang, k)
			}
		}
	}
}
