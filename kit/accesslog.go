package kit

import (
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/ferrydev/ferry/kit/loglevel"
)

// accessLog writes the request log line directly, in the same JSON shape
// as the slog handler's lines. It is the one log line per request, so it
// is the hot path: through slog, encoding its eight attributes cost more
// than serving a small response (see BenchmarkHello).
type accessLog struct {
	level    *slog.LevelVar // the service's live level, as its logger's
	out, err io.Writer      // below ERROR, and ERROR (unbuffered)
}

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

type accessEntry struct {
	time                   time.Time
	level                  slog.Level
	traceID                string
	spanID                 oteltrace.SpanID
	elapsed                time.Duration
	method, uri, ip, agent string
	status                 int
}

// enabled says whether a line at level is written: the middleware asks
// before it gathers the line's fields.
func (l *accessLog) enabled(level slog.Level) bool { return level >= l.level.Level() }

// write writes e's line; the caller has checked enabled(e.level).
func (l *accessLog) write(e accessEntry) {
	if bw, ok := l.out.(*bufferedWriter); ok && e.level < slog.LevelError {
		// Straight into the buffer's free space: no line buffer to take
		// from a pool and copy out of.
		bw.end(e.appendTo(bw.begin()))
		return
	}
	bp := linePool.Get().(*[]byte)
	b := e.appendTo((*bp)[:0])
	w := l.out
	if e.level >= slog.LevelError {
		f, _ := l.out.(flusher)
		flushBefore(f)
		w = l.err
	}
	_, _ = w.Write(b)
	*bp = b
	linePool.Put(bp)
}

// appendTo appends e's line, in the slog handler's JSON shape.
func (e *accessEntry) appendTo(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = appendTime(b, e.time)
	b = append(b, `","level":"`...)
	b = append(b, loglevel.Name(e.level)...)
	b = append(b, `","message":`...)
	b = append(b, '"')
	b = appendJSONInner(b, e.method)
	b = append(b, ' ')
	b = appendJSONInner(b, e.uri)
	b = append(b, '"')
	b = append(b, `,"trace_id":"`...)
	b = append(b, e.traceID...)
	b = append(b, `","span_id":"`...)
	for _, c := range e.spanID {
		b = append(b, hex[c>>4], hex[c&0xf])
	}
	b = append(b, `","response_time":`...)
	b = strconv.AppendInt(b, e.elapsed.Microseconds(), 10)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, e.method)
	b = append(b, `,"uri":`...)
	b = appendJSONString(b, e.uri)
	b = append(b, `,"response":`...)
	if e.status >= 100 && e.status <= 999 { // always, from net/http
		b = append(b, byte('0'+e.status/100), byte('0'+e.status/10%10), byte('0'+e.status%10))
	} else {
		b = strconv.AppendInt(b, int64(e.status), 10)
	}
	b = append(b, `,"ip":`...)
	b = appendJSONString(b, e.ip)
	b = append(b, `,"user_agent":`...)
	b = appendJSONString(b, e.agent)
	return append(b, "}\n"...)
}

const hex = "0123456789abcdef"

// plainJSON tells the bytes that stand for themselves in a JSON string.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	return append(appendJSONInner(b, s), '"')
}

// appendJSONInner appends s escaped for a JSON string, without quotes.
func appendJSONInner(b []byte, s string) []byte {
	// Methods, paths, addresses and user agents rarely need escaping:
	// append the plain prefix in one piece, found a table look-up a byte.
	i := 0
	for i < len(s) && plainJSON[s[i]] {
		i++
	}
	b = append(b, s[:i]...)
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return b
}

// secondStamp caches the formatting of one second: formatting the whole
// RFC 3339 timestamp was a third of the access log's cost.
type secondStamp struct {
	unix         int64
	loc          *time.Location
	prefix, zone string // "2006-01-02T15:04:05", "Z07:00"
}

var lastStamp atomic.Pointer[secondStamp]

// appendTime appends t as time.RFC3339Nano does (trailing zeros of the
// fraction trimmed), which is also what the slog lines carry.
func appendTime(b []byte, t time.Time) []byte {
	sec := t.Unix()
	st := lastStamp.Load()
	if st == nil || st.unix != sec || st.loc != t.Location() {
		st = &secondStamp{unix: sec, loc: t.Location(), prefix: t.Format("2006-01-02T15:04:05"), zone: t.Format("Z07:00")}
		lastStamp.Store(st)
	}
	b = append(b, st.prefix...)
	if ns := t.Nanosecond(); ns != 0 {
		// 1e9+ns has ten digits: a 1, then ns padded to nine, which
		// strconv writes two at a time; the 1 becomes the point.
		var buf [16]byte
		frac := strconv.AppendUint(buf[:0], uint64(ns)+1e9, 10)
		frac[0] = '.'
		n := len(frac)
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, st.zone...)
}
