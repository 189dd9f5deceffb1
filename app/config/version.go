package config

import (
	"runtime/debug"
	"sync"
)

// BuildInfo is what this binary was built from.
type BuildInfo struct {
	Version   string // the module version, or "devel" for a build from a checkout
	Revision  string // the VCS commit, with "-modified" for uncommitted changes; "" when unknown
	GoVersion string
}

// version is the release this binary was built as, stamped by the build:
// go build -ldflags "-X aikagi/app/config.version=v1.4.0" (make build does
// it from git describe). Empty for a plain go build or go run.
var version string

// Build reads the binary's build information once.
var Build = sync.OnceValue(func() BuildInfo {
	b := BuildInfo{Version: "devel"}
	if version != "" {
		b.Version = version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.GoVersion = info.GoVersion
	if v := info.Main.Version; v != "" && v != "(devel)" && version == "" {
		b.Version = v
	}
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if b.Revision != "" && modified {
		b.Revision += "-modified"
	}
	return b
})

// String is the version as "aikagi version" prints it.
func (b BuildInfo) String() string {
	s := b.Version
	if b.Revision != "" {
		s += " (" + b.Revision + ")"
	}
	return s + " " + b.GoVersion
}
