package loglevel

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRemoteDrivesLevel(t *testing.T) {
	type answer struct {
		code int
		body string
	}
	ans := func(level string) answer {
		return answer{200, `{"data":{"serviceName":"orders","logLevel":"` + level + `"}}`}
	}
	steps := []struct {
		name      string
		answer    answer
		wantLevel string
		wantLog   string // the line logged for this step, "" for none
	}{
		{"start at INFO", ans("INFO"), "INFO", ""},
		{"to DEBUG", ans("DEBUG"), "DEBUG", "LOG_LEVEL updated from INFO to DEBUG"},
		{"same level logs nothing", ans("DEBUG"), "DEBUG", ""},
		{"non-2xx ignored even with a valid body", answer{500, `{"data":{"serviceName":"orders","logLevel":"ERROR"}}`}, "DEBUG", ""},
		{"lower case ignored", ans("info"), "DEBUG", ""},
		{"empty serviceName ignored", answer{200, `{"data":{"serviceName":"","logLevel":"WARN"}}`}, "DEBUG", ""},
		{"bad JSON warns", answer{200, `not json`}, "DEBUG", "Failed to fetch log level"},
		{"back to INFO", ans("INFO"), "INFO", "LOG_LEVEL updated from DEBUG to INFO"},
	}
	var current atomic.Pointer[answer]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := current.Load()
		w.WriteHeader(a.code)
		w.Write([]byte(a.body))
	}))
	defer srv.Close()

	var logs bytes.Buffer
	level := new(slog.LevelVar)
	r := &Remote{URL: srv.URL + "/", Level: level, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, s := range steps {
		logs.Reset()
		current.Store(&s.answer)
		r.Fetch(t.Context())
		if got := Name(level.Level()); got != s.wantLevel {
			t.Errorf("%s: level = %s, want %s", s.name, got, s.wantLevel)
		}
		lines := strings.Count(logs.String(), "\n")
		switch {
		case s.wantLog == "" && lines != 0:
			t.Errorf("%s: logged %q, want nothing", s.name, logs.String())
		case s.wantLog != "" && (lines != 1 || !strings.Contains(logs.String(), s.wantLog)):
			t.Errorf("%s: logged %q, want one line with %q", s.name, logs.String(), s.wantLog)
		}
	}
}

func TestParseAndName(t *testing.T) {
	var got []string
	for _, in := range []string{"debug", "Info", "NOTICE", "warn", "ERROR", "fatal"} {
		l, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		got = append(got, Name(l))
	}
	if diff := cmp.Diff(Names, got); diff != "" {
		t.Errorf("Parse then Name (-want +got):\n%s", diff)
	}
	if _, err := Parse("TRACE"); err == nil {
		t.Error("Parse(TRACE) = nil error, want one")
	}
}
