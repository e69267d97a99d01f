package remotelog

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"DEBUG", "DEBUG", false},
		{"debug", "DEBUG", false},
		{" Warn ", "WARN", false},
		{"warning", "WARN", false},
		{"NOTICE", "NOTICE", false},
		{"FATAL", "FATAL", false},
		{"TRACE", "", true},
		{"verbose", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("Parse(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.err)
		}
		if err != nil && !errors.Is(err, ErrLevel) {
			t.Errorf("Parse(%q) error %v does not match ErrLevel", tt.in, err)
		}
	}
}

// TestHandler asks a real server on 127.0.0.1 the way a GoFr service
// does and checks what it would apply, as the settings come and expire.
func TestHandler(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	st := &MemStore{}
	h := &Handler{
		Service: "orders-api", Store: st,
		Env: func(r *http.Request) string { return r.PathValue("env") },
		Configured: func(env string) (string, bool) {
			switch env {
			case "staging":
				return "", true // unset: INFO
			case "prod":
				return "WARN", true
			}
			return "", false
		},
		Now: func() time.Time { return now },
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/loglevel/{env}", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	steps := []struct {
		name   string
		set    *Setting
		at     time.Duration
		env    string
		status int
		want   string
	}{
		{name: "nothing set: the configured default", env: "staging", status: 200, want: "INFO"},
		{name: "nothing set: the configured level", env: "prod", status: 200, want: "WARN"},
		{name: "set for 15m", set: &Setting{Env: "staging", Level: "DEBUG", Until: t0.Add(15 * time.Minute)}, env: "staging", status: 200, want: "DEBUG"},
		{name: "other environments keep theirs", env: "prod", status: 200, want: "WARN"},
		{name: "still active at 14m59s", at: 15*time.Minute - time.Second, env: "staging", status: 200, want: "DEBUG"},
		{name: "expired: back to the configured level", at: 15 * time.Minute, env: "staging", status: 200, want: "INFO"},
		{name: "set without expiry", set: &Setting{Env: "prod", Level: "ERROR"}, at: 20 * time.Minute, env: "prod", status: 200, want: "ERROR"},
		{name: "reset", set: &Setting{Env: "prod", Reset: true}, at: 21 * time.Minute, env: "prod", status: 200, want: "WARN"},
		{name: "unknown environment", env: "qa", status: 404},
	}
	for _, s := range steps {
		now = t0.Add(s.at)
		if s.set != nil {
			s.set.At = now
			if err := st.AddLevel(*s.set); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.Get(srv.URL + "/api/loglevel/" + s.env)
		if err != nil {
			t.Fatal(err)
		}
		var b Body
		_ = json.NewDecoder(resp.Body).Decode(&b)
		resp.Body.Close()
		if resp.StatusCode != s.status {
			t.Fatalf("%s: status %d, want %d", s.name, resp.StatusCode, s.status)
		}
		if s.status == 200 && (b.Data.LogLevel != s.want || b.Data.ServiceName != "orders-api") {
			t.Errorf("%s: body %+v, want level %s for orders-api", s.name, b.Data, s.want)
		}
	}
}
