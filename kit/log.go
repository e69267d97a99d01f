package kit

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

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

// bufferedWriter batches log lines into few write system calls: at tens of
// thousands of requests per second one write per request log line costs
// more than the request itself. Lines reach the writer within
// flushEvery, and at once on Flush (shutdown). A crash, unlike SIGTERM,
// can lose the last flushEvery of lines; ERROR lines go to stderr
// unbuffered so that the cause of a crash is never among them.
type bufferedWriter struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

const flushEvery = 100 * time.Millisecond

func newBufferedWriter(w io.Writer) *bufferedWriter {
	b := &bufferedWriter{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(flushEvery)
		defer t.Stop()
		for {
			select {
			case <-b.stop:
				return
			case <-t.C:
				_ = b.Flush()
			}
		}
	}()
	return b
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

// Flush writes out what is buffered.
func (b *bufferedWriter) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Flush()
}

// Close stops the flusher and flushes; later writes still work but wait
// for the next Flush.
func (b *bufferedWriter) Close() error {
	select {
	case <-b.stop:
	default:
		close(b.stop)
		<-b.done
	}
	return b.Flush()
}
