// Package assets embeds the built CSS, the vendored htmx and the small
// scripts, and serves them under content-hashed names so browsers may cache
// them for a year.
package assets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

//go:embed dist/app.css vendor/htmx.min.js js/app.js js/console.js favicon.svg
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
	compressed  *compressed
}

// compressed holds an asset's Brotli and gzip forms, made on first use.
type compressed struct {
	once       sync.Once
	brotli, gz []byte
}

// Encoded returns the body in the best encoding the client accepts
// ("br", "gzip" or "" for none), compressing once at most per asset.
func (a Asset) Encoded(acceptEncoding string) (body []byte, encoding string) {
	c := a.compressed
	c.once.Do(func() {
		var b bytes.Buffer
		bw := brotli.NewWriterLevel(&b, brotli.BestCompression)
		_, _ = bw.Write(a.Body)
		_ = bw.Close()
		c.brotli = bytes.Clone(b.Bytes())
		b.Reset()
		gw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = gw.Write(a.Body)
		_ = gw.Close()
		c.gz = bytes.Clone(b.Bytes())
	})
	switch {
	case accepts(acceptEncoding, "br"):
		return c.brotli, "br"
	case accepts(acceptEncoding, "gzip"):
		return c.gz, "gzip"
	}
	return a.Body, ""
}

// accepts reports whether an Accept-Encoding header allows coding (a q of
// zero refuses it).
func accepts(header, coding string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), coding) {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
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
		byHashed[hashed] = Asset{Body: body, ContentType: mime.TypeByExtension(ext), compressed: &compressed{}}
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
