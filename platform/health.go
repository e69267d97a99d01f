package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
)

// CheckHTTP calls a GoFr-style health endpoint: 200 is UP, or DEGRADED
// when the body's data.status says so (GoFr answers 200 while a
// datasource is down); anything else is DOWN with why.
func CheckHTTP(ctx context.Context, client *http.Client, url string) (Health, string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return HealthUnknown, err.Error()
	}
	resp, err := client.Do(req)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return HealthDown, "GET " + url + ": timed out"
		}
		return HealthDown, "GET " + url + ": " + errText(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return ParseHealth(resp.StatusCode, body, url)
}

// ParseHealth judges a health answer: status code and body. A GoFr
// service answers 200 with data.status DEGRADED while a datasource is
// down, kit answers 503 with the same body: both are DEGRADED, and the
// detail names the dependencies that are not UP ("DEGRADED: redis DOWN").
// Any other answer but 200 is DOWN.
func ParseHealth(status int, body []byte, url string) (Health, string) {
	var doc struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	_ = json.Unmarshal(body, &doc)
	var overall string
	_ = json.Unmarshal(doc.Data["status"], &overall)
	deps := downDependencies(doc.Data)
	switch {
	case status == http.StatusOK && overall == string(HealthDegraded), status == http.StatusOK && len(deps) > 0:
		return HealthDegraded, degraded(deps)
	case status == http.StatusOK:
		return HealthUp, ""
	case overall == string(HealthDegraded) && len(deps) > 0:
		return HealthDegraded, degraded(deps)
	}
	return HealthDown, fmt.Sprintf("GET %s: %d %s", url, status, http.StatusText(status))
}

func degraded(deps []string) string {
	if len(deps) == 0 {
		return "status DEGRADED"
	}
	return "DEGRADED: " + strings.Join(deps, ", ")
}

// downDependencies names the entries of a GoFr health body's data that
// are not UP: "redis DOWN (dial tcp …: connection refused)", sorted.
func downDependencies(data map[string]json.RawMessage) []string {
	var out []string
	for key, raw := range data {
		var dep struct {
			Status  string         `json:"status"`
			Details map[string]any `json:"details"`
		}
		if json.Unmarshal(raw, &dep) != nil || dep.Status == "" || dep.Status == string(HealthUp) {
			continue
		}
		d := key + " " + dep.Status
		if e, ok := dep.Details["error"].(string); ok && e != "" {
			d += " (" + e + ")"
		}
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

func errText(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err.Error()
	}
	return err.Error()
}
