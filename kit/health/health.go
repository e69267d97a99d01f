// Package health serves GoFr's /.well-known/alive and /.well-known/health
// endpoints with GoFr's body shape, but answers 503 when a dependency is
// down or the process is shutting down, so that the endpoint can serve as a
// Kubernetes readiness probe (GoFr always answers 200).
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Status values, as GoFr spells them.
const (
	Up       = "UP"
	Down     = "DOWN"
	Degraded = "DEGRADED"
)

// Status is one dependency's entry in the health body. Details must never
// hold credentials: the endpoint is unauthenticated.
type Status struct {
	Status  string         `json:"status,omitempty"`
	Details map[string]any `json:"details,omitempty"`
}

// Checker reports the health of one dependency. Check must return within
// ctx's deadline.
type Checker interface {
	Check(ctx context.Context) Status
}

// CheckerFunc adapts a function to Checker.
type CheckerFunc func(ctx context.Context) Status

// Check implements Checker.
func (f CheckerFunc) Check(ctx context.Context) Status { return f(ctx) }

// Timeout bounds each dependency check, as GoFr's 1 s ping timeout does.
const Timeout = time.Second

// Registry aggregates the checks of one service. The zero value is ready
// for use and reports UP.
type Registry struct {
	Name, Version string

	mu       sync.RWMutex
	checks   map[string]Checker
	stopping atomic.Bool
}

// Add registers c under key, the key it gets in the health body ("sql",
// "redis", …).
func (r *Registry) Add(key string, c Checker) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.checks == nil {
		r.checks = make(map[string]Checker)
	}
	r.checks[key] = c
}

// SetShuttingDown makes every later health answer 503 at once, so that the
// load balancer stops sending traffic while in-flight requests drain.
func (r *Registry) SetShuttingDown() { r.stopping.Store(true) }

// Report runs every check concurrently and returns the body's data map and
// whether everything is up.
func (r *Registry) Report(ctx context.Context) (map[string]any, bool) {
	r.mu.RLock()
	checks := make(map[string]Checker, len(r.checks))
	for k, c := range r.checks {
		checks[k] = c
	}
	r.mu.RUnlock()

	data := map[string]any{"name": r.Name, "version": r.Version}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
		up = true
	)
	for key, c := range checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, Timeout)
			defer cancel()
			s := c.Check(cctx)
			mu.Lock()
			defer mu.Unlock()
			data[key] = s
			if s.Status != Up {
				up = false
			}
		})
	}
	wg.Wait()
	if r.stopping.Load() {
		up = false
	}
	data["status"] = Up
	if !up {
		data["status"] = Degraded
	}
	return data, up
}

// Alive answers GoFr's liveness body. It stays 200 during shutdown: the
// process is alive and draining, and a failing liveness probe would make
// the kubelet kill it before the drain ends.
func (r *Registry) Alive(w http.ResponseWriter, _ *http.Request) {
	write(w, http.StatusOK, map[string]any{"status": Up})
}

// Health answers GoFr's health body: 200 when every dependency is UP, 503
// when one is not or the service is shutting down.
func (r *Registry) Health(w http.ResponseWriter, req *http.Request) {
	if r.stopping.Load() {
		// Do not probe dependencies that are being closed.
		write(w, http.StatusServiceUnavailable, map[string]any{"name": r.Name, "version": r.Version, "status": Degraded})
		return
	}
	data, up := r.Report(req.Context())
	code := http.StatusOK
	if !up {
		code = http.StatusServiceUnavailable
	}
	write(w, code, data)
}

func write(w http.ResponseWriter, code int, data any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
}
