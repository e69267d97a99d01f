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
	// flush writes out what stdout's buffer holds before an ERROR line
	// (see flushBefore); nil when stdout is not buffered.
	flush flusher
}

type flusher interface{ Flush() error }

func newLogHandler(stdout, stderr io.Writer, level *slog.LevelVar, tty bool) slog.Handler {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: loglevel.ReplaceAttr}
	f, _ := stdout.(flusher)
	if tty {
		return splitHandler{out: slog.NewTextHandler(stdout, opts), err: slog.NewTextHandler(stderr, opts), flush: f}
	}
	return splitHandler{out: slog.NewJSONHandler(stdout, opts), err: slog.NewJSONHandler(stderr, opts), flush: f}
}

// flushBefore writes out the buffered lines below ERROR before an ERROR
// line is written (unbuffered, to stderr): the lines that led to an error
// reach the log before it, and are not lost if the process dies right
// after. Errors are rare, so this costs nothing per request.
func flushBefore(f flusher) {
	if f != nil {
		_ = f.Flush()
	}
}

func (h splitHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.out.Enabled(ctx, l) }

func (h splitHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		flushBefore(h.flush)
		return h.err.Handle(ctx, r)
	}
	return h.out.Handle(ctx, r)
}

func (h splitHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return splitHandler{out: h.out.WithAttrs(as), err: h.err.WithAttrs(as), flush: h.flush}
}

func (h splitHandler) WithGroup(name string) slog.Handler {
	return splitHandler{out: h.out.WithGroup(name), err: h.err.WithGroup(name), flush: h.flush}
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

// lineRoom is the free space begin leaves for a line: a request log line
// with a long URI or user agent that outgrows it is copied as any write.
const lineRoom = 1 << 10

// begin locks the buffer and returns its free space (at least lineRoom,
// flushing first if need be) for a line to be appended to in place; end
// takes the line and unlocks. Between the two nothing may block.
func (b *bufferedWriter) begin() []byte {
	b.mu.Lock()
	if b.w.Available() < lineRoom {
		_ = b.w.Flush()
	}
	return b.w.AvailableBuffer()
}

// end adds line, which begin's slice was appended to, and unlocks.
func (b *bufferedWriter) end(line []byte) {
	// Within the free space, Write copies the line onto itself.
	_, _ = b.w.Write(line)
	b.mu.Unlock()
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
