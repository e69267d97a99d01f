package serve

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferrydev/ferry/internal/packfs"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/remotelog"
	"github.com/ferrydev/ferry/soak"
	"github.com/ferrydev/ferry/view"
)

// packed is the directory assets/ (the page, its script and style),
// packed by TestAssetsPacked -update.
//
//go:embed assets.tgz
var packed []byte

// Options configure a Server.
type Options struct {
	// Addr is where to listen; 127.0.0.1:7070 by default.
	Addr string
	// Token guards the server: every request when Addr is not loopback,
	// the actions always. A random one when empty (Token reports it). Off
	// loopback it must have at least MinTokenLen characters.
	Token string
	// Hosts are the names the server is reached by besides loopback
	// addresses (a name in /etc/hosts, a proxy's): requests whose Host
	// header names anything else are refused, which is what stops a
	// DNS-rebinding page from reading or acting.
	Hosts []string
	// Config returns a fresh promote.Config of the project for each
	// action, so that each records its own user.
	Config func() *promote.Config
	// Interval is how often the board is refreshed (health, soak); 2s
	// by default. Scrapes follow each environment's soak interval.
	Interval time.Duration
	Logger   *slog.Logger
	// Now is the clock; time.Now by default.
	Now func() time.Time
}

// Server is `ferry serve`.
type Server struct {
	opts     Options
	cfg      atomic.Pointer[promote.Config] // for reads and scrapes; reloaded now and then
	token    string
	loopback bool
	tmpl     *template.Template
	assets   map[string][]byte // assets/, by file name
	log      *slog.Logger

	mu      sync.Mutex
	board   *Board
	version string
	subs    map[chan string]struct{}
	actMu   sync.Mutex // one action at a time: each holds its environment's lock anyway
	kickCh  chan struct{}

	scrapers scrapers
}

// New returns a Server. It needs a token when opts.Addr is not loopback.
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:7070"
	}
	if opts.Interval <= 0 {
		opts.Interval = 2 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	loopback := Loopback(opts.Addr)
	if !loopback && opts.Token == "" {
		return nil, fmt.Errorf("%w: ferry serve on %s, which is not a loopback address, needs --token or --token-file", promote.ErrInput, opts.Addr)
	}
	if !loopback && len(opts.Token) < MinTokenLen {
		return nil, fmt.Errorf("%w: ferry serve on %s, which is not a loopback address, needs a token of at least %d characters (this one has %d): openssl rand -hex 32 makes one", promote.ErrInput, opts.Addr, MinTokenLen, len(opts.Token))
	}
	s := &Server{opts: opts, token: opts.Token, loopback: loopback, log: opts.Logger, subs: map[chan string]struct{}{}}
	s.cfg.Store(opts.Config())
	if s.token == "" {
		s.token = NewToken()
	}
	assets, err := packfs.Unpack(packed)
	if err != nil {
		return nil, err
	}
	s.assets = assets
	t := template.New("").Funcs(funcs())
	for name, data := range assets {
		if strings.HasSuffix(name, ".html") {
			if _, err := t.New(name).Parse(string(data)); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
	}
	s.tmpl = t
	return s, nil
}

// conf is the project's Config as last loaded.
func (s *Server) conf() *promote.Config { return s.cfg.Load() }

// Token returns the token actions need.
func (s *Server) Token() string { return s.token }

// Addr returns the configured address.
func (s *Server) Addr() string { return s.opts.Addr }

func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}

// Handler returns the server's routes behind the token guard.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /assets/{name}", func(w http.ResponseWriter, r *http.Request) {
		data, ok := s.assets[r.PathValue("name")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, r.PathValue("name"), time.Time{}, bytes.NewReader(data))
	})
	mux.HandleFunc("GET /{$}", s.page)
	mux.HandleFunc("GET /api/status", s.apiStatus)
	mux.HandleFunc("GET /api/history/{env}", perEnv(s, func(ctx context.Context, env string) (*promote.FullHistory, error) {
		return promote.NewHistory(s.conf()).RunFull(ctx, env)
	}))
	mux.HandleFunc("GET /api/soak/{env}", perEnv(s, func(ctx context.Context, env string) (*soak.Verdict, error) {
		return promote.NewSoak(s.conf()).Run(ctx, env, false)
	}))
	mux.HandleFunc("GET /api/verify/{env}", perEnv(s, func(ctx context.Context, env string) (*view.Verify, error) {
		return promote.NewVerify(s.conf()).Run(ctx, env)
	}))
	mux.HandleFunc("GET /api/drift/{env}", perEnv(s, func(ctx context.Context, env string) (*view.Drift, error) {
		return promote.NewDrift(s.conf()).Run(ctx, env)
	}))
	mux.HandleFunc("GET /api/render/{env}", perEnv(s, s.renderEnv))
	mux.HandleFunc("GET /api/diff/{from}/{to}", s.apiDiff)
	mux.HandleFunc("GET /config/{env}", s.configPage)
	mux.HandleFunc("GET /api/events", s.events)
	mux.Handle("GET /api/loglevel/{env}", &remotelog.Handler{
		Service:    s.conf().Project.Service,
		Store:      s.levels(),
		Env:        func(r *http.Request) string { return r.PathValue("env") },
		Configured: s.configuredLevel,
		Now:        s.now,
	})
	mux.HandleFunc("POST /actions/{action}", s.action)
	return s.guard(mux)
}

// Run serves until ctx is done, refreshing the board and scraping the
// soaking environments meanwhile. ready, when not nil, is called with the
// listening address once the server accepts connections.
func (s *Server) Run(ctx context.Context, ready func(addr string)) error {
	l, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("ferry serve: %w", err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.refreshLoop(ctx) }()
	if ready != nil {
		ready(l.Addr().String())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer scancel()
	s.closeSubs()
	_ = srv.Shutdown(sctx)
	cancel()
	wg.Wait()
	s.scrapers.stopAll()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
