package kit

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
)

func TestAppendTimeMatchesRFC3339Nano(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("x", 5*3600+1800), time.FixedZone("y", -7*3600)}
	base := time.Date(2026, 11, 25, 23, 59, 59, 0, time.UTC)
	for _, d := range []time.Duration{0, time.Second, 24 * time.Hour} {
		for _, ns := range []int{0, 1, 10, 120000000, 999999999, 100, 500000} {
			for _, z := range zones { // the same second in turn in each zone
				tm := base.Add(d).Add(time.Duration(ns)).In(z)
				got := string(appendTime(nil, tm))
				if want := tm.Format(time.RFC3339Nano); got != want {
					t.Errorf("appendTime(%v) = %s, want %s", tm, got, want)
				}
			}
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"plain", `q"uote\\`, "ctl\x00\x1f\n", "ünï ☃", "bad\xffutf8", "/orders?id=1&x=<>"} {
		var got string
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil {
			t.Errorf("appendJSONString(%q) is not JSON: %v", s, err)
			continue
		}
		want := s
		if s == "bad\xffutf8" {
			want = "bad\ufffdutf8"
		}
		if got != want {
			t.Errorf("appendJSONString(%q) decodes to %q, want %q", s, got, want)
		}
	}
}

// seqLog records, in one sequence, what is written to stdout and stderr.
type seqLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *seqLog) writer(stream string) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, line := range strings.SplitAfter(string(p), "\n") {
			if line != "" {
				l.lines = append(l.lines, stream+" "+line)
			}
		}
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestBufferedLinesPrecedeAnError: the buffered stdout lines reach the
// log before an ERROR line (written unbuffered to stderr), from the
// logger and from the request log alike, without waiting for the flush
// timer: the lines that led to an error are never behind it or lost
// with the process.
func TestBufferedLinesPrecedeAnError(t *testing.T) {
	var seq seqLog
	a, err := New(Options{FS: fstest.MapFS{}, Environ: []string{"LOG_LEVEL=INFO"}, Stdout: seq.writer("stdout"), Stderr: seq.writer("stderr")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.close(); a.logs.Close() })
	a.HandleFunc("GET /ok", func(w http.ResponseWriter, _ *http.Request) { WriteJSON(w, 200, "ok") })
	a.HandleFunc("GET /fail", func(w http.ResponseWriter, _ *http.Request) { WriteError(w, 500, "no") })
	order := func() []string {
		seq.mu.Lock()
		defer seq.mu.Unlock()
		var got []string
		for _, l := range seq.lines {
			switch {
			case strings.Contains(l, "before the error"), strings.Contains(l, `"uri":"/ok"`),
				strings.Contains(l, "the error"), strings.Contains(l, `"uri":"/fail"`):
				stream, rest, _ := strings.Cut(l, " ")
				var m map[string]any
				_ = json.Unmarshal([]byte(rest), &m)
				got = append(got, fmt.Sprintf("%s %v %v", stream, m["message"], m["uri"]))
			}
		}
		return got
	}

	a.Logger().Info("before the error")
	a.Logger().Error("the error")
	a.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/ok", nil))
	a.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/fail", nil))
	want := []string{
		"stdout before the error <nil>",
		"stderr the error <nil>",
		"stdout GET /ok /ok",
		"stderr GET /fail /fail",
	}
	if got := order(); !slices.Equal(got, want) {
		t.Errorf("lines in the order written:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRequestLinesInPlace: request log lines appended in place in the
// buffered writer's free space come out whole and in order, across
// buffer flushes and for lines longer than the room begin reserves.
func TestRequestLinesInPlace(t *testing.T) {
	var out strings.Builder
	a, err := New(Options{FS: fstest.MapFS{}, Environ: []string{"LOG_LEVEL=INFO"}, Stdout: &out, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.close() })
	a.HandleFunc("GET /p/", func(w http.ResponseWriter, _ *http.Request) { WriteJSON(w, 200, "ok") })
	var want []string
	// 64 KiB of buffer takes a few hundred short lines; the long ones
	// (up to 3× lineRoom) do not fit the reserved room.
	for i := range 600 {
		uri := fmt.Sprintf("/p/%d", i)
		if i%97 == 0 {
			uri += "?q=" + strings.Repeat("x", (i%3+1)*lineRoom)
		}
		want = append(want, uri)
		a.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", uri, nil))
	}
	if err := a.logs.Close(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var m struct{ URI string }
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line is not JSON (%v): %.120q", err, line)
		}
		if m.URI != "" {
			got = append(got, m.URI)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %d request lines, want %d in order", len(got), len(want))
	}
}
