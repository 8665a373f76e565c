// Package version reports what build of mqtop is running. goreleaser sets the
// variables with -ldflags; a plain `go build` or `go install` falls back to
// the module and VCS information Go embeds in the binary.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Set by goreleaser: -X github.com/mqtop/mqtop/internal/version.Version=...
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info is the resolved version of this binary.
type Info struct {
	Version, Commit, Date, GoVersion string
}

// Get resolves the version, preferring ldflags and falling back to build info.
func Get() Info {
	return resolve(Version, Commit, Date, debug.ReadBuildInfo)
}

func resolve(v, c, d string, read func() (*debug.BuildInfo, bool)) Info {
	info := Info{Version: v, Commit: c, Date: d, GoVersion: runtime.Version()}
	if bi, ok := read(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			case "vcs.modified":
				if s.Value == "true" && info.Commit != "" && v == "" {
					info.Commit += "-dirty"
				}
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	if info.Date == "" {
		info.Date = "unknown"
	}
	return info
}

// String is the one line `mqtop --version` prints.
func (i Info) String() string {
	return fmt.Sprintf("mqtop %s (commit %s, built %s, %s)", i.Version, i.Commit, i.Date, i.GoVersion)
}
