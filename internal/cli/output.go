package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/view"
)

// format is the value of a command's -o flag.
type format string

const (
	formatTable  format = "table"
	formatText   format = "text"
	formatJSON   format = "json"
	formatDotenv format = "dotenv"
	formatSARIF  format = "sarif"
)

// formatFlag registers -o/--output on cmd, accepting allowed (the first is
// the default).
func formatFlag(cmd *cobra.Command, f *format, allowed ...format) {
	*f = allowed[0]
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	cmd.Flags().VarP(&formatValue{f: f, allowed: allowed}, "output", "o",
		"output format: "+strings.Join(names, "|"))
	cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(names, cobra.ShellCompDirectiveNoFileComp))
}

type formatValue struct {
	f       *format
	allowed []format
}

func (v *formatValue) String() string { return string(*v.f) }
func (v *formatValue) Type() string   { return "format" }
func (v *formatValue) Set(s string) error {
	// "text" and "table" name the same human format.
	if f := format(s); slices.Contains(v.allowed, f) {
		*v.f = f
		return nil
	} else if (f == formatText || f == formatTable) && (slices.Contains(v.allowed, formatText) || slices.Contains(v.allowed, formatTable)) {
		*v.f = v.allowed[0]
		return nil
	}
	return fmt.Errorf("unknown format %q", s)
}

// writeJSON writes v as indented JSON with a trailing newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// projectView is the project object of every JSON output: dir is -C as
// the user gave it, so two runs on one checkout print the same.
func projectView(dir string, p *project.Project) *view.Project {
	return view.NewProject(dir, p)
}

// writeProjectJSON writes v, a JSON object, as writeJSON does, with the
// project object and env first (view.WithProject).
func writeProjectJSON(w io.Writer, proj *view.Project, env string, v any) error {
	b, err := view.WithProject(proj, env, v)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, b, "", "  "); err != nil {
		return err
	}
	pretty.WriteByte('\n')
	_, err = w.Write(pretty.Bytes())
	return err
}
