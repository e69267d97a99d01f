package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
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
