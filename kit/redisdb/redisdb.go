// Package redisdb opens the Redis client a GoFr service configures with
// REDIS_* keys (go-redis), reports it into health and records GoFr's
// app_redis_stats histogram (microseconds).
package redisdb

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/ferrydev/ferry/kit/health"
	"github.com/ferrydev/ferry/kit/metric"
)

// Config is the REDIS_* configuration of GoFr's contract.
type Config struct {
	Host     string
	Port     int // 6379 when zero
	User     string
	Password string
	DB       int
	TLS      bool   // REDIS_TLS_ENABLED
	CACert   string // file paths, as GoFr reads them
	Cert     string
	Key      string
}

// Addr is "host:port".
func (c Config) Addr() string {
	port := c.Port
	if port == 0 {
		port = 6379
	}
	return net.JoinHostPort(c.Host, strconv.Itoa(port))
}

// Client is a go-redis client that reports into health.
type Client struct {
	*redis.Client
	cfg Config
}

// Open creates the client without connecting; go-redis reconnects on use.
// reg may be nil.
func Open(cfg Config, reg prometheus.Registerer) (*Client, error) {
	opts := &redis.Options{
		Addr:     cfg.Addr(),
		Username: cfg.User,
		Password: cfg.Password,
		DB:       cfg.DB,
	}
	if cfg.TLS {
		tc, err := tlsConfig(cfg)
		if err != nil {
			return nil, fmt.Errorf("redis tls: %w", err)
		}
		opts.TLSConfig = tc
	}
	c := &Client{Client: redis.NewClient(opts), cfg: cfg}
	if reg != nil {
		vec := prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "app_redis_stats",
			Help:    "Response time of Redis commands in microseconds.",
			Buckets: metric.MicrosecondBuckets,
		}, []string{"hostname", "type"})
		if err := reg.Register(vec); err != nil {
			c.Close()
			return nil, fmt.Errorf("registering redis metrics: %w", err)
		}
		c.AddHook(hook{vec: vec, host: cfg.Addr()})
	}
	return c, nil
}

func tlsConfig(cfg Config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CACert != "" {
		pem, err := os.ReadFile(cfg.CACert)
		if err != nil {
			return nil, fmt.Errorf("reading CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("reading CA %q: no certificate found", cfg.CACert)
		}
		tc.RootCAs = pool
	}
	if cfg.Cert != "" || cfg.Key != "" {
		pair, err := tls.LoadX509KeyPair(cfg.Cert, cfg.Key)
		if err != nil {
			return nil, fmt.Errorf("reading client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return tc, nil
}

type hook struct {
	vec  *prometheus.HistogramVec
	host string
}

func (h hook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		h.vec.WithLabelValues(h.host, cmd.Name()).Observe(float64(time.Since(start).Microseconds()))
		return err
	}
}

func (h hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		h.vec.WithLabelValues(h.host, "pipeline").Observe(float64(time.Since(start).Microseconds()))
		return err
	}
}

// Check implements health.Checker with GoFr's "redis" entry: details.host,
// INFO stats when up, the error when down. No credentials.
func (c *Client) Check(ctx context.Context) health.Status {
	details := map[string]any{"host": c.cfg.Addr()}
	info, err := c.Info(ctx, "stats").Result()
	if err != nil {
		details["error"] = err.Error()
		return health.Status{Status: health.Down, Details: details}
	}
	stats := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			stats[k] = v
		}
	}
	details["stats"] = stats
	return health.Status{Status: health.Up, Details: details}
}

var _ health.Checker = (*Client)(nil)
