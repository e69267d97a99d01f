package loglevel

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Remote keeps Level in step with the level served at URL, GoFr's
// REMOTE_LOG_URL contract: GET URL answers
// {"data":{"serviceName":"…","logLevel":"DEBUG|INFO|NOTICE|WARN|ERROR|FATAL"}}.
//
// Unlike GoFr, a non-2xx answer is ignored even when its body is valid: an
// error page from a proxy must not change the level of a fleet.
type Remote struct {
	URL      string
	Interval time.Duration // between fetches; 15s when zero
	Level    *slog.LevelVar
	Logger   *slog.Logger // where changes and fetch failures are logged
	Client   *http.Client // 5s timeout when nil
}

type remoteBody struct {
	Data struct {
		ServiceName string `json:"serviceName"`
		LogLevel    string `json:"logLevel"`
	} `json:"data"`
}

// Run fetches at once and then every Interval until ctx is done.
func (r *Remote) Run(ctx context.Context) {
	interval := r.Interval
	if interval <= 0 {
		interval = 15 * time.Second
	}
	r.Logger.Info(fmt.Sprintf("Remote logger monitoring initialized with URL: %s, interval: %s", r.URL, interval))
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		r.Fetch(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Fetch asks the endpoint once and applies a valid answer. It reports
// whether the level changed.
func (r *Remote) Fetch(ctx context.Context) bool {
	level, err := r.fetch(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.Logger.Warn("Failed to fetch log level: " + err.Error())
		}
		return false
	}
	if level == nil {
		return false
	}
	old := r.Level.Level()
	if Name(old) == Name(*level) {
		return false
	}
	r.Level.Set(*level)
	// Logged at the more severe of the two levels so the change is seen
	// whichever way it goes, capped at WARN as GoFr does.
	at := max(old, *level)
	at = min(max(at, slog.LevelInfo), slog.LevelWarn)
	r.Logger.Log(ctx, at, fmt.Sprintf("LOG_LEVEL updated from %s to %s", Name(old), Name(*level)))
	return true
}

// fetch returns nil, nil for an answer that is not an instruction.
func (r *Remote) fetch(ctx context.Context) (*slog.Level, error) {
	client := r.Client
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(r.URL, "/"), nil)
	if err != nil {
		return nil, fmt.Errorf("remote log level: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil, nil
	}
	var body remoteBody
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return nil, fmt.Errorf("remote log level: decoding body: %w", err)
	}
	// GoFr accepts only the exact upper-case names and a non-empty
	// serviceName; anything else is silently not an instruction.
	l, ok := byName[body.Data.LogLevel]
	if !ok || body.Data.ServiceName == "" {
		return nil, nil
	}
	return &l, nil
}
