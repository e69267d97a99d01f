package cli

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
)

// The -v log: one line per step ferry takes (project loaded, files read,
// renders, targets contacted), each with the time since the command
// started and how long the step took, on the command's stderr. Helm logs
// through slog's default logger, so its lines ("found symbolic link …")
// appear with -v and nowhere else. Every line passes through the secret
// package first: a step never logs a value, but Helm or a library might.

// setupLog builds the command's logger and makes it slog's default for the
// duration of the command; the returned func restores the previous one.
func (g *globalOptions) setupLog() (restore func()) {
	g.started = time.Now()
	if g.Verbose {
		h := slog.NewTextHandler(g.streams.ErrOut, &slog.HandlerOptions{
			Level: slog.LevelDebug,
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && a.Key == slog.TimeKey {
					return slog.String("t", "+"+a.Value.Time().Sub(g.started).Round(time.Millisecond).String())
				}
				return a
			},
		})
		g.log = slog.New(redactHandler{h})
	} else {
		g.log = slog.New(slog.DiscardHandler)
	}
	prev := slog.Default()
	slog.SetDefault(g.log)
	return func() { slog.SetDefault(prev) }
}

// logger returns the command's logger for libraries: silent unless -v.
func (g *globalOptions) logger() *slog.Logger {
	if g.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return g.log
}

// step logs msg with args when the step it starts ends, adding what the
// step reports and how long it took:
//
//	done := g.step("render", "env", env)
//	…
//	done("keys", n)
func (g *globalOptions) step(msg string, args ...any) func(more ...any) {
	start := time.Now()
	return func(more ...any) {
		all := append(append(args[:len(args):len(args)], more...), "took", time.Since(start).Round(time.Microsecond))
		g.logger().Info(msg, all...)
	}
}

// redactHandler scrubs secrets from every record before the wrapped
// handler writes it: the message and string attributes through
// secret.Scrub, an attribute under a sensitive key entirely.
type redactHandler struct{ next slog.Handler }

func (h redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h redactHandler) Handle(ctx context.Context, r slog.Record) error {
	nr := slog.NewRecord(r.Time, r.Level, secret.Scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		nr.AddAttrs(redactAttr(a))
		return true
	})
	return h.next.Handle(ctx, nr)
}

func (h redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redactAttr(a)
	}
	return redactHandler{h.next.WithAttrs(red)}
}

func (h redactHandler) WithGroup(name string) slog.Handler {
	return redactHandler{h.next.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		g := v.Group()
		red := make([]any, len(g))
		for i, x := range g {
			red[i] = redactAttr(x)
		}
		return slog.Group(a.Key, red...)
	case slog.KindString:
		return slog.String(a.Key, secret.Scrub(secret.Shown(a.Key, v.String(), secret.Unmarked)))
	case slog.KindAny:
		return slog.String(a.Key, secret.Scrub(secret.Shown(a.Key, fmt.Sprint(v.Any()), secret.Unmarked)))
	default:
		if secret.Name(a.Key) {
			return slog.String(a.Key, secret.Shown(a.Key, v.String(), secret.Whole))
		}
		return slog.Attr{Key: a.Key, Value: v}
	}
}

// Messages are capped: an error that quotes a runaway template recursion
// or a whole file would otherwise fill the terminal.
const (
	maxMessageLines = 6
	maxLineLen      = 300
)

// errorMessage is what ferry prints for err: secrets scrubbed (an error
// should never carry a value, this is the last line of defence), at most
// maxMessageLines lines of at most maxLineLen bytes.
func errorMessage(err error) string {
	lines := strings.Split(strings.TrimRight(secret.Scrub(err.Error()), "\n"), "\n")
	more := 0
	if len(lines) > maxMessageLines {
		more = len(lines) - maxMessageLines
		lines = lines[:maxMessageLines]
	}
	for i, l := range lines {
		if len(l) > maxLineLen {
			cut := maxLineLen
			for cut > 0 && (l[cut]&0xC0) == 0x80 { // not inside a UTF-8 sequence
				cut--
			}
			lines[i] = l[:cut] + fmt.Sprintf(" … (%d more bytes)", len(l)-cut)
		}
	}
	if more > 0 {
		lines = append(lines, fmt.Sprintf("… (%d more lines)", more))
	}
	return strings.Join(lines, "\n")
}

// projectAttrs is what -v says about a loaded project: where its parts are.
func projectAttrs(p *project.Project) []any {
	names := make([]string, len(p.Environments))
	for i, e := range p.Environments {
		names[i] = e.Name
	}
	file := "none (discovered)"
	if p.File != nil {
		file = "ferry.yaml"
	}
	return []any{"file", file, "chart", p.Chart, "runtime", p.Runtime, "configs", p.Configs, "environments", strings.Join(names, ","), "path", strings.Join(p.Path, ",")}
}

// renderAttrs is what -v says about a render: the files it read, what it
// produced. Never a value.
func renderAttrs(p *project.Project, res *render.Result) []any {
	var values []string
	if e, err := p.Env(res.Environment); err == nil {
		values = e.Values
	}
	n := 0
	if res.Config != nil {
		n = len(res.Config.Entries)
	}
	return []any{"values", strings.Join(values, ","), "objects", len(res.Objects), "workloads", len(res.Workloads), "keys", n, "warnings", len(res.Warnings)}
}
