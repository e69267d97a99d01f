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
// project object first and, when env is set and v has no "environment"
// of its own, env as "environment": the two fields DESIGN.md promises in
// every output, added here once rather than in every view type. A field
// v calls "env" or "name" stays beside it as an alias for one release.
func writeProjectJSON(w io.Writer, proj *view.Project, env string, v any) error {
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body.Bytes(), &fields); err != nil {
		return fmt.Errorf("JSON output is not an object: %w", err)
	}
	head := map[string]any{}
	if _, ok := fields["project"]; !ok && proj != nil {
		head["project"] = proj
	}
	if _, ok := fields["environment"]; !ok && env != "" {
		head["environment"] = env
	}
	var out bytes.Buffer
	out.WriteByte('{')
	for _, k := range []string{"project", "environment"} {
		if hv, ok := head[k]; ok {
			b, err := json.Marshal(hv)
			if err != nil {
				return err
			}
			fmt.Fprintf(&out, "%q:%s,", k, b)
		}
	}
	rest := bytes.TrimSpace(body.Bytes())[1:]
	if len(fields) == 0 {
		// {} : drop the comma the head left.
		out.Truncate(max(out.Len()-1, 1))
	}
	out.Write(rest)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out.Bytes(), "", "  "); err != nil {
		return err
	}
	pretty.WriteByte('\n')
	_, err := w.Write(pretty.Bytes())
	return err
}
