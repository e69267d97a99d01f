package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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

// ParseHealth judges a health answer: status code and body.
func ParseHealth(status int, body []byte, url string) (Health, string) {
	if status != http.StatusOK {
		return HealthDown, fmt.Sprintf("GET %s: %d %s", url, status, http.StatusText(status))
	}
	var doc struct {
		Data struct {
			Status string `json:"status"`
		} `json:"data"`
	}
	if json.Unmarshal(body, &doc) == nil && doc.Data.Status == string(HealthDegraded) {
		return HealthDegraded, "status DEGRADED"
	}
	return HealthUp, ""
}

func errText(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err.Error()
	}
	return err.Error()
}
