package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestLdflagsWin(t *testing.T) {
	read := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "v0.0.9"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}}, true
	}
	got := resolve("1.2.3", "deadbeef", "2026-11-23", read)
	if got.Version != "1.2.3" || got.Commit != "deadbeef" || got.Date != "2026-11-23" {
		t.Fatalf("ldflags values not kept: %+v", got)
	}
}

func TestBuildInfoFallback(t *testing.T) {
	read := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-11-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		}}, true
	}
	got := resolve("", "", "", read)
	if got.Version != "v0.4.0" || got.Commit != "abc123-dirty" || got.Date != "2026-11-01T10:00:00Z" {
		t.Fatalf("fallback wrong: %+v", got)
	}
	if !strings.HasPrefix(got.String(), "mqtop v0.4.0 (commit abc123-dirty") {
		t.Fatalf("String() = %q", got.String())
	}
}

func TestNothingKnown(t *testing.T) {
	got := resolve("", "", "", func() (*debug.BuildInfo, bool) { return nil, false })
	if got.Version != "dev" || got.Commit != "unknown" {
		t.Fatalf("defaults wrong: %+v", got)
	}
}
