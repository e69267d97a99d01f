package kit

import (
	"context"
	"io"
	"log/slog"
	"os"

	"github.com/ferrydev/ferry/kit/loglevel"
)

// splitHandler sends ERROR and above to stderr and the rest to stdout, as
// GoFr does, so that a log collector keeping only stderr still sees errors.
type splitHandler struct {
	out, err slog.Handler
}

func newLogHandler(stdout, stderr io.Writer, level *slog.LevelVar, tty bool) slog.Handler {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: loglevel.ReplaceAttr}
	if tty {
		return splitHandler{out: slog.NewTextHandler(stdout, opts), err: slog.NewTextHandler(stderr, opts)}
	}
	return splitHandler{out: slog.NewJSONHandler(stdout, opts), err: slog.NewJSONHandler(stderr, opts)}
}

func (h splitHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.out.Enabled(ctx, l) }

func (h splitHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		return h.err.Handle(ctx, r)
	}
	return h.out.Handle(ctx, r)
}

func (h splitHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return splitHandler{out: h.out.WithAttrs(as), err: h.err.WithAttrs(as)}
}

func (h splitHandler) WithGroup(name string) slog.Handler {
	return splitHandler{out: h.out.WithGroup(name), err: h.err.WithGroup(name)}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
