package email

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"aikagi/views"
)

// TestMailsPassTheEmailClientLint renders every mail in every language,
// with the support desk in its footer, and checks the HTML against
// caniemail's data (lint/lint-mails.mjs): nothing that Gmail, Outlook,
// Apple Mail or Yahoo lacks, beyond the script's allow-list. It needs
// Node and the npm packages (make deps); without them it skips, except in
// CI, which must never pass by skipping.
func TestMailsPassTheEmailClientLint(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "views", "email", "lint", "lint-mails.mjs")
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(filepath.Join(root, "node_modules", "@jsx-email", "doiuse-email"))
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the mail lint needs node and node_modules/@jsx-email/doiuse-email but CI=true: %v (run make deps)", err)
		}
		t.Skipf("the mail lint needs node and node_modules/@jsx-email/doiuse-email (make deps): %v", err)
	}

	dir := t.TempDir()
	for _, lang := range views.Langs {
		for _, m := range previews(lang) {
			f, err := os.Create(filepath.Join(dir, strings.ReplaceAll(m.name, " ", "_")+"."+string(lang)+".html"))
			if err != nil {
				t.Fatal(err)
			}
			err = WithSite(supportSite, m.html).Render(context.Background(), f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}

	cmd := exec.Command(node, script, dir)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		t.Errorf("the mails use what some email clients lack (add a reasoned entry to the allow-list in %s only if it is harmless):\n%s",
			filepath.Join("views", "email", "lint", "lint-mails.mjs"), strings.ReplaceAll(string(out), dir+string(filepath.Separator), ""))
	case err != nil:
		t.Fatalf("node %s: %v\n%s", script, err, out)
	}
}
