package cli

import (
	"runtime/debug"
	"testing"
)

// TestStampedCommit: a build without VCS stamping (-buildvcs=false, as
// CI builds) names the commit make build passed with -X; the toolchain's
// own stamp wins where there is one.
func TestStampedCommit(t *testing.T) {
	tests := []struct {
		name     string
		settings []debug.BuildSetting
		want     string
	}{
		{"-buildvcs=false", []debug.BuildSetting{{Key: "CGO_ENABLED", Value: "0"}}, "ferry (devel) (commit 0123456789ab, modified, 2026-12-07T07:44:47Z) go1.26.0 linux/amd64"},
		{"stamped by go build", []debug.BuildSetting{{Key: "vcs.revision", Value: "fedcba9876543210"}, {Key: "vcs.time", Value: "2026-12-01T00:00:00Z"}, {Key: "vcs.modified", Value: "false"}}, "ferry (devel) (commit fedcba987654, 2026-12-01T00:00:00Z) go1.26.0 linux/amd64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func(c, tm, m string, r func() (*debug.BuildInfo, bool)) {
				stampCommit, stampTime, stampModified, readBuildInfo = c, tm, m, r
			}(stampCommit, stampTime, stampModified, readBuildInfo)
			stampCommit, stampTime, stampModified = "0123456789abcdef0123", "2026-12-07T07:44:47Z", "true"
			readBuildInfo = func() (*debug.BuildInfo, bool) {
				return &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: tt.settings}, true
			}
			b := currentBuild()
			b.Platform = "linux/amd64"
			if got := b.String(); got != tt.want {
				t.Errorf("version %q, want %q", got, tt.want)
			}
		})
	}
}
