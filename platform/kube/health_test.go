package kube

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/ferrydev/ferry/internal/testcluster"
	"github.com/ferrydev/ferry/platform"
)

// TestHealth: how each health: mode judges an environment whose pods are
// all Ready. kwok runs no containers, so the service is a real HTTP server
// on loopback answering like GoFr, reached through the URL mode. The
// default mode, gofr through the API server's service proxy, is
// TestHealthThroughServiceProxy's.
func TestHealth(t *testing.T) {
	c := testcluster.Get(t)
	ctx := context.Background()
	env := exampleEnv(t, c, "staging")
	if _, err := (&Kube{}).Deploy(ctx, env, digestA, Meta{}, DeployOptions{}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	status, body, gotPath := 200, "", ""
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		gotPath = r.URL.Path
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(body))
	})}
	go srv.Serve(l)
	defer srv.Close()

	url := "http://" + l.Addr().String()

	tests := []struct {
		name, mode string
		status     int
		body       string
		want       platform.Health
		wantPath   string
		wantDetail string
	}{
		{"GoFr UP", url + "/.well-known/health", 200, `{"data":{"status":"UP","details":{"sql":{"status":"UP"}}}}`, platform.HealthUp, "/.well-known/health", ""},
		// GoFr answers 200 while a datasource is down: DEGRADED is unhealthy.
		{"GoFr DEGRADED with a 200", url + "/.well-known/health", 200, `{"data":{"status":"DEGRADED","details":{"sql":{"status":"DOWN"}}}}`, platform.HealthDegraded, "/.well-known/health", "DEGRADED"},
		{"GoFr 503", url + "/.well-known/health", 503, `{"data":{"status":"DOWN"}}`, platform.HealthDown, "/.well-known/health", "503"},
		{"another endpoint", url + "/healthz", 200, `ok`, platform.HealthUp, "/healthz", ""},
		// Pods Ready is all readiness trusts; it says so.
		{"readiness alone", "readiness", 503, ``, platform.HealthUp, "", "readiness only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			status, body, gotPath = tt.status, tt.body, ""
			mu.Unlock()
			e := env
			e.Health = tt.mode
			cn, err := dial(e, nil)
			if err != nil {
				t.Fatal(err)
			}
			live, err := cn.live(ctx)
			if err != nil {
				t.Fatal(err)
			}
			h, detail := cn.health(ctx, live)
			mu.Lock()
			defer mu.Unlock()
			if h != tt.want || !strings.Contains(detail, tt.wantDetail) || gotPath != tt.wantPath {
				t.Errorf("health %s %q (server saw %q), want %s containing %q at %q", h, detail, gotPath, tt.want, tt.wantDetail, tt.wantPath)
			}
		})
	}
}
