package serve

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzHostOrigin checks the Host and Origin guards against any header
// values: a loopback server answers only Hosts that are loopback or the
// configured name, and a request the guard lets act either comes from no
// browser page (no Origin, no cross-site Sec-Fetch-Site) or from an
// origin whose host is exactly the request's. The seeds in
// testdata/fuzz/FuzzHostOrigin run with every `go test`.
func FuzzHostOrigin(f *testing.F) {
	f.Add("127.0.0.1:7070", "http://127.0.0.1:7070", "same-origin")
	f.Add("attacker.example:7070", "http://attacker.example:7070", "same-origin")
	f.Add("localhost:7070", "", "")
	f.Add("[::1]:7070", "http://[::1]:7070", "none")
	f.Add("127.0.0.1.nip.example:7070", "http://127.0.0.1.nip.example:7070", "")
	f.Add("ferry.test:7070", "https://ferry.test:7070", "same-origin")
	f.Add("127.0.0.1:7070", "null", "")
	f.Add("127.0.0.1:7070", "http://evil.example", "cross-site")
	f.Add("LOCALHOST.:7070", "http://user@LOCALHOST.:7070", "")
	f.Fuzz(func(t *testing.T, host, origin, site string) {
		s := &Server{loopback: true, opts: Options{Hosts: []string{"ferry.test"}}}
		if s.hostAllowed(host) {
			h := host
			if hh, _, err := net.SplitHostPort(host); err == nil {
				h = hh
			}
			h = strings.TrimSuffix(h, ".")
			if !strings.EqualFold(h, "ferry.test") && !loopbackHost(h) {
				t.Fatalf("Host %q accepted on loopback", host)
			}
			if ip := net.ParseIP(strings.Trim(h, "[]")); ip != nil && !ip.IsLoopback() {
				t.Fatalf("Host %q is not a loopback address", host)
			}
		}
		r := &http.Request{Method: http.MethodPost, Host: host, Header: http.Header{}}
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if site != "" {
			r.Header.Set("Sec-Fetch-Site", site)
		}
		if !sameOrigin(r) {
			return
		}
		if site != "" && site != "same-origin" && site != "none" {
			t.Fatalf("Sec-Fetch-Site %q let through", site)
		}
		if origin == "" {
			return
		}
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, host) || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil {
			t.Fatalf("Origin %q let through for Host %q", origin, host)
		}
	})
}
