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

// Build reads the binary's build information once.
var Build = sync.OnceValue(func() BuildInfo {
	b := BuildInfo{Version: "devel"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.GoVersion = info.GoVersion
	if v := info.Main.Version; v != "" && v != "(devel)" {
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
