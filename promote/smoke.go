package promote

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/state"
	"github.com/ferrydev/ferry/view"
)

func short(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

// smoke runs env's smoke steps against the service at base (a URL that
// an older ferry stored with the health path still works); each is a
// gate. With safeOnly (a dry run, a read) only the steps that cannot
// change anything run — GET and HEAD; the others pass as WouldRun.
func (c *Config) smoke(ctx context.Context, env *project.Environment, base string, safeOnly bool) []state.Gate {
	base, closeBase, noBase := c.smokeBase(ctx, env, strings.TrimSuffix(base, "/.well-known/health"), safeOnly)
	defer closeBase()
	var out []state.Gate
	for _, s := range env.Smoke {
		g := state.Gate{Name: "smoke " + env.Name + ": " + s.String()}
		if safeOnly && !s.Safe() {
			what := "a command"
			if s.HTTP != "" {
				what = "a " + s.Method() + " request"
			}
			g.Passed, g.Detail = true, view.WouldRun+": "+what+" may change "+env.Name+", so a dry run does not send it"
			out = append(out, g)
			continue
		}
		if noBase != "" && stepNeedsBase(s) {
			g.Detail = noBase
			out = append(out, g)
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if s.HTTP != "" {
			g.Passed, g.Detail = c.smokeHTTP(sctx, base, s)
		} else {
			cmd := exec.CommandContext(sctx, "sh", "-c", s.Run)
			cmd.Env = append(os.Environ(), "FERRY_URL="+base)
			var buf bytes.Buffer
			cmd.Stdout, cmd.Stderr = &buf, &buf
			if err := cmd.Run(); err != nil {
				g.Detail = err.Error() + secret.Scrub(lastLine(buf.String()))
			} else {
				g.Passed, g.Detail = true, "exit 0"
			}
		}
		cancel()
		out = append(out, g)
	}
	return out
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if l := lines[len(lines)-1]; l != "" {
		return ": " + l
	}
	return ""
}

func (c *Config) smokeHTTP(ctx context.Context, base string, s project.SmokeStep) (bool, string) {
	method, path, ok := strings.Cut(strings.TrimSpace(s.HTTP), " ")
	if !ok {
		method, path = http.MethodGet, s.HTTP
	}
	url := path
	if strings.HasPrefix(path, "/") {
		url = base + path
	}
	var body io.Reader
	if s.Body != "" {
		body = strings.NewReader(s.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return false, err.Error()
	}
	if s.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := c.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	want := s.Expect
	if want == 0 {
		want = http.StatusOK
	}
	if resp.StatusCode != want {
		return false, fmt.Sprintf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
	}
	return true, fmt.Sprintf("%d", resp.StatusCode)
}

// instanceNames names the instances of live: "pid 42", "3 pods".
func instanceNames(live *platform.Live) string {
	names := make([]string, 0, len(live.Instances))
	for _, in := range live.Instances {
		names = append(names, in.Name)
	}
	return joinNames(names)
}

func joinNames(names []string) string {
	if len(names) > 3 {
		return fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
	}
	return strings.Join(names, ", ")
}
