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
	env := exampleEnv(t, c, "staging")
	if _, err := (&Kube{}).Deploy(context.Background(), env, digestA, Meta{}, DeployOptions{}); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := serveGoFr(t, l)
	url := "http://" + l.Addr().String()
	checkHealth(t, env, srv, []healthCase{
		{"GoFr UP", url + "/.well-known/health", 200, `{"data":{"status":"UP","details":{"sql":{"status":"UP"}}}}`, platform.HealthUp, "/.well-known/health", ""},
		// GoFr answers 200 while a datasource is down: DEGRADED is unhealthy.
		{"GoFr DEGRADED with a 200", url + "/.well-known/health", 200, `{"data":{"status":"DEGRADED","details":{"sql":{"status":"DOWN"}}}}`, platform.HealthDegraded, "/.well-known/health", "DEGRADED"},
		{"GoFr 503", url + "/.well-known/health", 503, `{"data":{"status":"DOWN"}}`, platform.HealthDown, "/.well-known/health", "503"},
		{"another endpoint", url + "/healthz", 200, `ok`, platform.HealthUp, "/healthz", ""},
		// Pods Ready is all readiness trusts; it says so.
		{"readiness alone", "readiness", 503, ``, platform.HealthUp, "", "readiness only"},
	})
}

// goFr is a real HTTP server standing in for the service (kwok runs no
// containers): it answers what the test sets and records the path asked.
type goFr struct {
	mu          sync.Mutex
	status      int
	body, asked string
}

func serveGoFr(t *testing.T, l net.Listener) *goFr {
	g := &goFr{}
	srv := &http.Server{Handler: g}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return g
}

func (g *goFr) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked = r.URL.Path
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(g.status)
	w.Write([]byte(g.body))
}

// healthCase is one answer of the service and how the health mode must
// judge it.
type healthCase struct {
	name, mode string
	status     int
	body       string
	want       platform.Health
	wantPath   string
	wantDetail string
}

// checkHealth judges env's health in each case's mode while srv gives
// the case's answer.
func checkHealth(t *testing.T, env Env, srv *goFr, cases []healthCase) {
	t.Helper()
	ctx := context.Background()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			srv.mu.Lock()
			srv.status, srv.body, srv.asked = tt.status, tt.body, ""
			srv.mu.Unlock()
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
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if h != tt.want || !strings.Contains(detail, tt.wantDetail) || srv.asked != tt.wantPath {
				t.Errorf("health %s %q (server saw %q), want %s containing %q at %q", h, detail, srv.asked, tt.want, tt.wantDetail, tt.wantPath)
			}
		})
	}
}
