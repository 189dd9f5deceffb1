// Package assets embeds the built CSS, the vendored htmx and the small
// scripts, and serves them under content-hashed names so browsers may cache
// them for a year.
package assets

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
)

//go:embed dist/app.css vendor/htmx.min.js js/app.js
var files embed.FS

// EmbedScript is the parent-side script for the help center, with the
// placeholder __AIKAGI_ORIGIN__ for the app's origin.
//
//go:embed js/embed.js
var EmbedScript string

// Asset is one embedded file.
type Asset struct {
	Body        []byte
	ContentType string
}

var (
	hashedNames = map[string]string{} // "app.css" -> "app.3f2a1b9c0d.css"
	byHashed    = map[string]Asset{}
)

func init() {
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		base := path.Base(p)
		ext := path.Ext(base)
		hashed := strings.TrimSuffix(base, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		hashedNames[base] = hashed
		byHashed[hashed] = Asset{Body: body, ContentType: mime.TypeByExtension(ext)}
		return nil
	})
	if err != nil {
		panic("assets: " + err.Error())
	}
}

// Path is the URL of the named file ("app.css", "htmx.min.js", "app.js").
// It panics on an unknown name so that a typo fails every test at once.
func Path(name string) string {
	hashed, ok := hashedNames[name]
	if !ok {
		panic("assets: unknown asset " + name)
	}
	return "/assets/" + hashed
}

// Lookup returns the file served under its hashed name.
func Lookup(hashed string) (Asset, bool) {
	a, ok := byHashed[hashed]
	return a, ok
}
