package check

import (
	"encoding/json"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"

	"github.com/ferrydev/ferry/project"
)

// Merge combines the reports of several projects into one: findings carry
// their project, summaries add up.
func Merge(reports []*Report) *Report {
	if len(reports) == 1 {
		return reports[0]
	}
	out := &Report{Findings: []Finding{}}
	for _, r := range reports {
		if r.Project != nil {
			out.Projects = append(out.Projects, r.Project)
		}
		for _, f := range r.Findings {
			f.Project = r.Dir
			out.Findings = append(out.Findings, f)
		}
		for _, pr := range r.Problems {
			pr.Project = r.Dir
			out.Problems = append(out.Problems, pr)
		}
		out.Summary.Errors += r.Summary.Errors
		out.Summary.Warnings += r.Summary.Warnings
		out.Summary.Infos += r.Summary.Infos
		out.Summary.Accepted += r.Summary.Accepted
	}
	return out
}

// WriteJSON writes reports in the shape DESIGN.md fixes:
// {"findings":[…],"summary":{…}}. Several projects are merged, each
// finding naming its project.
func WriteJSON(w io.Writer, reports []*Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(Merge(reports))
}

// TextOptions shape the text report.
type TextOptions struct {
	// Color adds ANSI colour; only for a terminal.
	Color bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31;1m"
	ansiYellow = "\x1b[33;1m"
	ansiBlue   = "\x1b[34m"
	ansiDim    = "\x1b[2m"
	ansiBold   = "\x1b[1m"
)

// WriteText writes reports for people: findings grouped by severity, then
// the accepted ones, then a summary line.
func WriteText(w io.Writer, reports []*Report, opts TextOptions) error {
	paint := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + ansiReset
	}
	var b strings.Builder
	total := Merge(reports)
	for _, r := range reports {
		if len(reports) > 1 {
			fmt.Fprintf(&b, "%s\n", paint(ansiBold, "== "+r.Dir))
		}
		if r.Project != nil {
			// "chart chart/" reads better than "chart chart".
			fmt.Fprintf(&b, "%s\n", paint(ansiDim, fmt.Sprintf("chart %s/, environments %s; runtime %s (%s)",
				strings.TrimSuffix(r.Project.Chart, "/"), strings.Join(r.Project.Environments, ", "), r.Project.Runtime, r.Project.RuntimeReason)))
			for _, l := range headerLines(r.Project) {
				fmt.Fprintf(&b, "%s\n", paint(ansiDim, l))
			}
		}
		if len(r.Problems) > 0 {
			fmt.Fprintf(&b, "%s\n", paint(ansiRed, fmt.Sprintf("Not checked, or in part only (%d)", len(r.Problems))))
			for _, pr := range r.Problems {
				if pr.Partial {
					fmt.Fprintf(&b, "  in part: %s\n", pr.Message)
					continue
				}
				if pr.Info {
					fmt.Fprintf(&b, "  info: %s\n", pr.Message)
					continue
				}
				fmt.Fprintf(&b, "  %s\n", pr.Message)
			}
		}
		groups := []struct {
			title string
			color string
			keep  func(Finding) bool
		}{
			{"Errors", ansiRed, func(f Finding) bool { return !f.Accepted && f.Severity == Error }},
			{"Warnings", ansiYellow, func(f Finding) bool { return !f.Accepted && f.Severity == Warning }},
			{"Infos", ansiBlue, func(f Finding) bool { return !f.Accepted && f.Severity == Info }},
			{"Accepted", ansiDim, func(f Finding) bool { return f.Accepted }},
		}
		for _, g := range groups {
			var fs []Finding
			for _, f := range r.Findings {
				if g.keep(f) {
					fs = append(fs, f)
				}
			}
			if len(fs) == 0 {
				continue
			}
			fmt.Fprintf(&b, "%s\n", paint(g.color, fmt.Sprintf("%s (%d)", g.title, len(fs))))
			for _, f := range fs {
				envs := strings.Join(f.Environments, ", ")
				if envs == "" {
					envs = "-"
				}
				fmt.Fprintf(&b, "  %s %s  [%s]  %s\n", paint(g.color, f.Rule), f.Name, envs, f.Key)
				if f.Workload != "" {
					fmt.Fprintf(&b, "    in %s\n", f.Workload)
				}
				loc := f.File
				if f.Line > 0 {
					loc = fmt.Sprintf("%s:%d", f.File, f.Line)
				}
				if loc != "" {
					fmt.Fprintf(&b, "    at %s\n", loc)
				}
				fmt.Fprintf(&b, "    %s\n", f.Message)
				for _, l := range f.Locations {
					if l.Environment == "" {
						continue
					}
					v := ""
					if l.Value != "" {
						v = "=" + firstLine(l.Value) // a file in a ConfigMap: its first line
					}
					fmt.Fprintf(&b, "      %s: %s%s  (%s)\n", l.envs(), l.Key, v, l.Source)
				}
				if f.Accepted {
					fmt.Fprintf(&b, "    accepted at ferry.yaml:%d: %s\n", f.AcceptLine, f.Reason)
				}
			}
		}
		if len(reports) > 1 {
			fmt.Fprintf(&b, "%s\n\n", summaryLine(r.Summary))
		}
	}
	if len(total.Findings) == 0 && len(total.Problems) == 0 {
		fmt.Fprintf(&b, "%s\n", paint(ansiBold, "No findings."))
	}
	fmt.Fprintf(&b, "%s\n", summaryLine(total.Summary))
	if n := total.incomplete(); n > 0 {
		fmt.Fprintf(&b, "%s\n", paint(ansiRed, problemsLine(n)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// headerLines say why the environments are in their order and where
// each one's definition came from.
func headerLines(p *ProjectInfo) []string {
	var out []string
	if p.OrderReason != "" {
		out = append(out, fmt.Sprintf("order %s (%s)", strings.Join(p.Environments, " → "), p.OrderReason))
	}
	for _, d := range p.Definitions {
		if d.Definition == "" {
			continue
		}
		l := fmt.Sprintf("  %s: from %s", d.Name, d.Definition)
		if d.Release != "" {
			l += "; release " + project.Said(d.Release, d.ReleaseFrom)
		}
		if d.Namespace != "" {
			l += "; namespace " + project.Said(d.Namespace, d.NamespaceFrom)
		}
		if len(d.Objects) > 0 {
			l += fmt.Sprintf("; objects in %s", strings.Join(d.Objects, ", "))
		}
		if len(d.Values) > 0 {
			l += fmt.Sprintf("; values %s (%s)", strings.Join(d.Values, ", "), d.ValuesFrom)
		}
		out = append(out, l)
	}
	return out
}

func summaryLine(s Summary) string {
	return fmt.Sprintf("%s, %s, %s, %d accepted",
		plural(s.Errors, "error"), plural(s.Warnings, "warning"), plural(s.Infos, "info"), s.Accepted)
}

// problemsLine says how much could not be checked.
func problemsLine(n int) string {
	return fmt.Sprintf("incomplete: %s could not be read in full (see above)", plural(n, "environment or project"))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// artifactURI is the SARIF artifact URI of file in the project dir as the
// user named it: relative paths stay relative (code-scanning UIs resolve
// them against the repository root), absolute ones become file URIs.
func artifactURI(dir, file string) string {
	if file == "" {
		return ""
	}
	if dir == "" || dir == "." {
		return filepath.ToSlash(file)
	}
	if filepath.IsAbs(dir) {
		return "file://" + filepath.ToSlash(filepath.Join(dir, file))
	}
	return path.Clean(filepath.ToSlash(filepath.Join(dir, file)))
}
