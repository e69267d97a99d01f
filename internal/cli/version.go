package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/view"
)

// buildInfo is what ferry knows about its own build, from the module
// information the Go toolchain embeds: the module version (set by
// `go install …@v1.2.3`, "(devel)" in a checkout), the VCS commit and
// time (set by `go build` in a git checkout), and the Go version.
type buildInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// readBuildInfo is a variable so a test can give it a tagged build.
var readBuildInfo = debug.ReadBuildInfo

// The commit, its time and whether the tree was modified, set with -X by
// `make build` for builds without VCS stamping (go.work's workspace mode
// and -buildvcs=false stamp none); the toolchain's own stamp wins where
// there is one. ferry init --ci pins a pipeline's ferry to the commit.
var stampCommit, stampTime, stampModified string

func currentBuild() buildInfo {
	b := buildInfo{Version: "(devel)", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
		Commit: stampCommit, Time: stampTime, Modified: stampModified == "true"}
	bi, ok := readBuildInfo()
	if !ok {
		return b
	}
	if v := bi.Main.Version; v != "" {
		b.Version = v
	}
	if bi.GoVersion != "" {
		b.Go = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// String is the one line of `ferry --version`.
func (b buildInfo) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "ferry %s", b.Version)
	if b.Commit != "" {
		c := b.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		fmt.Fprintf(&s, " (commit %s", c)
		if b.Modified {
			s.WriteString(", modified")
		}
		if b.Time != "" {
			fmt.Fprintf(&s, ", %s", b.Time)
		}
		s.WriteString(")")
	}
	fmt.Fprintf(&s, " %s %s", b.Go, b.Platform)
	return s.String()
}

const versionLong = `Version prints the version of this ferry binary: the module version it was
installed at (` + "`go install github.com/ferrydev/ferry/cmd/ferry@v1.2.3`" + `,
"(devel)" for a build from a checkout), the commit and its time when built
from a git checkout, and the Go version and platform it was built with.

` + "`ferry --version`" + ` prints the same line.`

const versionExample = `  ferry version
  ferry --version

  # For scripts and bug reports
  ferry version -o json`

type versionOptions struct{ Format format }

func newVersionCmd(g *globalOptions) *cobra.Command {
	opts := &versionOptions{}
	cmd := &cobra.Command{
		Use:     "version [-o text|json]",
		Short:   "Show ferry's version, commit and Go version",
		Long:    versionLong,
		Example: versionExample,
		Args:    exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return writeVersion(g.streams.Out, opts.Format, currentBuild(), g.versionProject())
		},
	}
	formatFlag(cmd, &opts.Format, formatText, formatJSON)
	return cmd
}

// versionProject is the project of -C for version's JSON, or nil: version
// runs anywhere, and says nothing about a directory that is no project.
func (g *globalOptions) versionProject() *view.Project {
	p, err := project.Load(g.Dir)
	if err != nil {
		return nil
	}
	return projectView(g.Dir, p)
}

func writeVersion(w io.Writer, f format, b buildInfo, proj *view.Project) error {
	if f == formatJSON {
		return writeProjectJSON(w, proj, "", b)
	}
	_, err := fmt.Fprintln(w, b.String())
	return err
}
