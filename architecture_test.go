package main

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// testOnlyPackages serve tests and measurements only; the table leaves
// them out.
var testOnlyPackages = []string{"db/dbtest", "views/viewtest", "app/testkit", "app/mail/resendtest", "e2e", "bench", "deploy"}

// layer is a row of the package table in docs/architecture.md.
type layer struct {
	packages []string // import paths below the module's
	allowed  []string // what the last column names
	below    bool     // the last column allows any package below the row
}

var backticked = regexp.MustCompile("`([^`]+)`")

// readPackageTable reads the package table of docs/architecture.md, top
// row first.
func readPackageTable(t *testing.T) []layer {
	t.Helper()
	f, err := os.Open("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var layers []layer
	inTable := false
	scan := bufio.NewScanner(f)
	for scan.Scan() {
		line := scan.Text()
		if strings.HasPrefix(line, "| package |") {
			inTable = true
			continue
		}
		if !inTable || strings.HasPrefix(line, "|---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		first, last := cells[0], cells[len(cells)-1]
		var l layer
		for _, m := range backticked.FindAllStringSubmatch(first, -1) {
			switch name := m[1]; {
			case name == "main":
				l.packages = append(l.packages, "")
			case !strings.HasSuffix(name, ".go"):
				l.packages = append(l.packages, name)
			}
		}
		for _, m := range backticked.FindAllStringSubmatch(last, -1) {
			l.allowed = append(l.allowed, m[1])
		}
		l.below = strings.Contains(last, "below")
		layers = append(layers, l)
	}
	if len(layers) < 10 {
		t.Fatalf("found %d rows in the package table of docs/architecture.md", len(layers))
	}
	return layers
}

// TestImportsFollowTheArchitecture holds every package to its row of the
// package table in docs/architecture.md: it is in the table, and it
// imports only packages that its row allows and that stand below it.
func TestImportsFollowTheArchitecture(t *testing.T) {
	layers := readPackageTable(t)
	row := map[string]int{}
	for i, l := range layers {
		for _, p := range l.packages {
			row[p] = i
		}
	}
	// resolve names a table package by its path or the end of it.
	resolve := func(name string) (string, bool) {
		for p := range row {
			if p == name || strings.HasSuffix(p, "/"+name) {
				return p, true
			}
		}
		return "", false
	}
	for _, l := range layers {
		for _, name := range l.allowed {
			if _, ok := resolve(name); !ok {
				t.Errorf("row %v of the table names %q, which is no package of the table", l.packages, name)
			}
		}
	}

	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "aikagi"
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(strings.TrimPrefix(fields[0], module), "/")
		if slices.ContainsFunc(testOnlyPackages, func(p string) bool { return pkg == p || strings.HasPrefix(pkg, p+"/") }) {
			continue
		}
		r, ok := row[pkg]
		if !ok {
			t.Errorf("package %q is not in the package table of docs/architecture.md", fields[0])
			continue
		}
		for _, imp := range fields[1:] {
			if imp != module && !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
			d, ok := row[dep]
			switch {
			case !ok:
				t.Errorf("%s imports %s, which is not in the package table", fields[0], imp)
			case d < r:
				t.Errorf("%s imports %s, which stands above it in the package table", fields[0], imp)
			case d == r:
				// A row's packages may import one another.
			case layers[r].below:
			default:
				named := slices.ContainsFunc(layers[r].allowed, func(name string) bool {
					p, _ := resolve(name)
					return p == dep
				})
				if !named {
					t.Errorf("%s imports %s, which its row of the package table does not allow (%s)", fields[0], imp, strings.Join(layers[r].allowed, ", "))
				}
			}
		}
	}
}
