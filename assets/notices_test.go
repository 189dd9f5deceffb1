package assets

import (
	"encoding/json"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
)

// TestNoticesListEveryVendoredFile checks that THIRD_PARTY_NOTICES.md
// names every file that comes from another project, and the version it
// comes from: the files under assets/vendor/ and whatever `npm run vendor`
// writes (BudouX's model in views/phrase), so that a file added or
// upgraded there cannot ship without its licence.
func TestNoticesListEveryVendoredFile(t *testing.T) {
	data, err := os.ReadFile("../THIRD_PARTY_NOTICES.md")
	if err != nil {
		t.Fatal(err)
	}
	notices := string(data)
	pkg := readPackageJSON(t)
	for _, file := range vendoredFiles(t, pkg.Scripts.Vendor) {
		if !strings.Contains(notices, "`"+file+"`") {
			t.Errorf("%s is vendored but not listed in THIRD_PARTY_NOTICES.md", file)
		}
	}
	for name, version := range pkg.DevDependencies {
		if !strings.Contains(pkg.Scripts.Vendor, name) {
			continue // a build or test tool; nothing of it is copied in
		}
		if !strings.Contains(notices, "`"+name+"@"+version+"`") {
			t.Errorf("npm run vendor copies from %s %s, which THIRD_PARTY_NOTICES.md does not name as `%s@%s`", name, version, name, version)
		}
	}
}

// packageJSON is what the test reads of package.json.
type packageJSON struct {
	Scripts struct {
		Vendor string `json:"vendor"`
	} `json:"scripts"`
	DevDependencies map[string]string `json:"devDependencies"`
}

func readPackageJSON(t *testing.T) packageJSON {
	t.Helper()
	data, err := os.ReadFile("../package.json")
	if err != nil {
		t.Fatal(err)
	}
	var pkg packageJSON
	if err := json.Unmarshal(data, &pkg); err != nil {
		t.Fatalf("package.json: %v", err)
	}
	if pkg.Scripts.Vendor == "" {
		t.Fatal("package.json has no vendor script")
	}
	return pkg
}

// vendoredFiles lists, from the repository's root, every file under
// assets/vendor/ and each file the vendor script writes: the last word of
// each of its commands (cp's target, or the file after >).
func vendoredFiles(t *testing.T, script string) []string {
	t.Helper()
	var files []string
	err := fs.WalkDir(os.DirFS("vendor"), ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, path.Join("assets/vendor", name))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("nothing found under assets/vendor/")
	}
	for _, command := range strings.Split(script, "&&") {
		words := strings.Fields(command)
		if len(words) == 0 {
			continue
		}
		file := words[len(words)-1]
		if _, err := os.Stat("../" + file); err != nil {
			t.Errorf("npm run vendor writes %s, which is not in the repository: %v", file, err)
		}
		if !slices.Contains(files, file) {
			files = append(files, file)
		}
	}
	if !slices.Contains(files, "views/phrase/ja.json") {
		t.Errorf("vendored files %v miss BudouX's model: has the vendor script changed?", files)
	}
	return files
}
