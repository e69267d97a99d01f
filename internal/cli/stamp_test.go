package cli

import (
	"os/exec"
	"runtime/debug"
	"strings"
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

// TestMakeBuildStampsCommit reads the go build command `make build` runs
// (make -n) and applies its -X settings as the linker would: every one
// must name a variable currentBuild reads, and a build without VCS
// stamping then reports the checkout's commit. A renamed variable or a
// Makefile that stops passing the commit fails here, not in a release.
func TestMakeBuildStampsCommit(t *testing.T) {
	for _, tool := range []string{"make", "git"} {
		needTool(t, tool)
	}
	cmd := exec.Command("make", "-n", "build")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make -n build: %v", err)
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse HEAD: %v", err)
	}
	vars := map[string]*string{"stampCommit": &stampCommit, "stampTime": &stampTime, "stampModified": &stampModified}
	defer func(c, tm, m string, r func() (*debug.BuildInfo, bool)) {
		stampCommit, stampTime, stampModified, readBuildInfo = c, tm, m, r
	}(stampCommit, stampTime, stampModified, readBuildInfo)
	stampCommit, stampTime, stampModified = "", "", ""
	fields := strings.Fields(strings.ReplaceAll(string(out), `"`, " "))
	set := 0
	for i, f := range fields {
		if f != "-X" || i+1 == len(fields) {
			continue
		}
		name, value, _ := strings.Cut(fields[i+1], "=")
		v, ok := vars[strings.TrimPrefix(name, "github.com/ferrydev/ferry/internal/cli.")]
		if !ok {
			t.Errorf("make build sets %s, which ferry does not read", name)
			continue
		}
		*v = value
		set++
	}
	if set == 0 {
		t.Fatalf("make build passes no -X stamp:\n%s", out)
	}
	// -buildvcs=false: the module information holds no vcs.* settings.
	readBuildInfo = func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "-buildvcs", Value: "false"}}}, true
	}
	if got, want := currentBuild().Commit, strings.TrimSpace(string(head)); got != want {
		t.Errorf("make build's binary would report commit %q, want %q", got, want)
	}
}
