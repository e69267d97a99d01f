package serve

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// cookieName holds the token in the browser once it has been given, so
// that links and forms need not carry it.
const cookieName = "ferry_token"

// NewToken returns a random token for a server started without one: the
// actions still need a token, which only the person who started the
// server sees.
func NewToken() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Loopback says whether addr ("host:port") binds only the loopback
// interface. An empty host binds every interface.
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// tokenOf returns the token a request carries: an Authorization bearer,
// a form or query field (a REMOTE_LOG_URL can only carry it there), or the
// cookie.
func tokenOf(r *http.Request) string {
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
		return strings.TrimPrefix(a, "Bearer ")
	}
	if t := r.URL.Query().Get("token"); t != "" {
		return t
	}
	if r.Method == http.MethodPost {
		if t := r.PostFormValue("token"); t != "" {
			return t
		}
	}
	if c, err := r.Cookie(cookieName); err == nil {
		return c.Value
	}
	return ""
}

// valid compares in constant time: hashing both sides first makes the
// comparison's length fixed too.
func (s *Server) valid(got string) bool {
	if got == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(s.token))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// sameOrigin refuses a cross-site form post: a browser always sends
// Origin on POST, and a page elsewhere must not act with the cookie.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == ""
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// guard checks the token on every request when the server is not on
// loopback; on loopback reads pass and only actions need it.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		// same-origin, not no-referrer: with no-referrer a browser sends
		// "Origin: null" on a form post, which sameOrigin must refuse.
		w.Header().Set("Referrer-Policy", "same-origin")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
		tok := tokenOf(r)
		ok := s.valid(tok)
		if !s.loopback && !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ferry"`)
			http.Error(w, "ferry serve: this server needs its token (Authorization: Bearer …, or ?token=… once in the browser)", http.StatusUnauthorized)
			return
		}
		if ok && r.URL.Query().Get("token") != "" && r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") {
			// Keep it in the browser, and out of the address bar and the
			// history: redirect to the same page without it.
			http.SetCookie(w, &http.Cookie{Name: cookieName, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
			q := r.URL.Query()
			q.Del("token")
			u := *r.URL
			u.RawQuery = q.Encode()
			http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
			return
		}
		next.ServeHTTP(w, r.WithContext(withAuthed(r.Context(), ok)))
	})
}

// LoadOrCreateToken reads the token kept at path, creating the file
// (mode 0600) with a new random token when there is none.
func LoadOrCreateToken(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(data))) >= 16 {
		return strings.TrimSpace(string(data)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("serve token: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("serve token: %w", err)
	}
	tok := NewToken()
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("serve token: %w", err)
	}
	return tok, nil
}
