package serve

import (
	"context"
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
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/secret"
)

// cookieName holds the token in the browser once it has been given, so
// that links and forms need not carry it.
const cookieName = "ferry_token"

// MinTokenLen is the shortest token ferry serve accepts off loopback: a
// guessable token there is no guard at all.
const MinTokenLen = 32

// NewToken returns a random token for a server started without one: the
// actions still need a token, which only the person who started the
// server sees. 32 random bytes, in hex.
func NewToken() string {
	b := make([]byte, 32)
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
	return loopbackHost(host)
}

func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	return ip != nil && ip.IsLoopback()
}

// hostAllowed says whether a request's Host header names this server. On
// loopback that is a loopback name or address, or one of the names the
// server was told it is reached by: a page on attacker.example whose name
// was made to resolve to 127.0.0.1 (DNS rebinding) sends its own name and
// is refused before it reads or acts. Off loopback, with names
// configured, only those are accepted; without, any (the token guards
// every request there).
func (s *Server) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(host, ".")
	for _, h := range s.opts.Hosts {
		if strings.EqualFold(host, h) {
			return true
		}
	}
	if s.loopback {
		return loopbackHost(host)
	}
	return len(s.opts.Hosts) == 0 || loopbackHost(host)
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

// sameOrigin refuses a cross-site request: a browser sends Origin on
// every POST and Sec-Fetch-Site on every request, and a page elsewhere
// must not act with the cookie, nor with a token it learnt. A request
// with neither comes from a program (curl, a script), not a browser
// page; it still needs the token.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.User == nil && strings.EqualFold(u.Host, r.Host)
}

// safeMethod is a request that changes nothing.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
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
		if !s.hostAllowed(r.Host) {
			http.Error(w, fmt.Sprintf("ferry serve: this server is not %s (a page whose name points at this machine cannot use it); open it by a loopback address, or start it with --host NAME", secret.PrintableLine(r.Host)), http.StatusMisdirectedRequest)
			return
		}
		if !safeMethod(r.Method) && !sameOrigin(r) {
			http.Error(w, "ferry serve: a form from another site cannot act here", http.StatusForbidden)
			return
		}
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

// TokenFile is the token ferry serve keeps for a project on loopback.
type TokenFile struct {
	// Path is the file, for the message that tells where the token is.
	Path  string
	Token string
	// Notice says why the token was made anew when the file held one
	// that could not be trusted; empty otherwise. Print it.
	Notice string
}

// tokenName is the token's file in .ferry/.
const tokenName = "serve.token"

// ProjectToken reads the token kept in the project's .ferry/serve.token,
// creating .ferry (see confine.Root.Ferry) and the file (mode 0600) with
// a new random token when there is none. A token that others may have
// seen is not trusted: a file tracked by git (committed with the
// repository, so everyone who can read it knows the token), readable by
// others, owned by another user, a link, or too short. It is replaced by
// a new token, and Notice says why.
func ProjectToken(projectDir string) (*TokenFile, error) {
	root, err := confine.Open(projectDir)
	if err != nil {
		return nil, fmt.Errorf("serve token: %w", err)
	}
	defer root.Close()
	dir, err := root.Ferry()
	if err != nil {
		return nil, fmt.Errorf("serve token: %w", err)
	}
	defer dir.Close()
	tf := &TokenFile{Path: filepath.Join(dir.Dir(), tokenName)}
	why, err := distrust(dir, projectDir, filepath.Join(confine.StateDir, tokenName))
	if err != nil {
		return nil, fmt.Errorf("serve token: %w", err)
	}
	if why == "" {
		data, err := dir.ReadFile(tokenName)
		if err == nil {
			tf.Token = strings.TrimSpace(string(data))
			return tf, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("serve token: %w", err)
		}
	}
	tf.Token = NewToken()
	// Write a new file and rename it over the old: the old one (maybe
	// another user's, maybe a link) is replaced, never written through.
	tmp := tokenName + ".new"
	_ = dir.Remove(tmp)
	f, err := dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("serve token: %w", err)
	}
	_, werr := f.WriteString(tf.Token + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = dir.Rename(tmp, tokenName)
	}
	if werr != nil {
		_ = dir.Remove(tmp)
		return nil, fmt.Errorf("serve token: %w", werr)
	}
	if why != "" {
		tf.Notice = fmt.Sprintf("%s %s, so it is not trusted: a new token is in it now", tf.Path, why)
	}
	return tf, nil
}

// distrust says why the token file at name (in dir, .ferry/) cannot be
// trusted, or "" when it can or does not exist. rel is its path in the
// project, for git.
func distrust(dir *confine.Root, projectDir, rel string) (string, error) {
	fi, err := dir.Lstat(tokenName)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	case err != nil:
		return "", err
	case fi.Mode()&fs.ModeSymlink != 0:
		return "is a symbolic link", nil
	case !fi.Mode().IsRegular():
		return "", fmt.Errorf("%s is not a regular file (%s): remove it", filepath.Join(dir.Dir(), tokenName), fi.Mode().Type())
	}
	if uid, ok := confine.Owner(fi); ok && uid != os.Getuid() {
		return fmt.Sprintf("belongs to user %d, not to you", uid), nil
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Sprintf("was readable by others (mode %04o)", perm), nil
	}
	if tracked(projectDir, rel) {
		return "is tracked by git (committed, everyone who can read the repository has the token); git rm --cached it and add .ferry/ to .gitignore", nil
	}
	data, err := dir.ReadFile(tokenName)
	if err != nil {
		return "", err
	}
	if n := len(strings.TrimSpace(string(data))); n < MinTokenLen {
		return fmt.Sprintf("held a token of %d characters, fewer than %d", n, MinTokenLen), nil
	}
	return "", nil
}

// tracked says whether git tracks rel in the repository at dir. Without
// git, or outside a repository, nothing is tracked.
func tracked(dir, rel string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "ls-files", "--error-unmatch", "--", filepath.ToSlash(rel))
	return cmd.Run() == nil
}

// ReadTokenFile reads a token file given with --token-file: its first
// line. It refuses a file that others can read or that another user
// owns, as ssh refuses such a key: the token in it cannot be secret.
func ReadTokenFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("%w: token file: %w", promote.ErrInput, err)
	}
	if uid, ok := confine.Owner(fi); ok && uid != os.Getuid() {
		return "", fmt.Errorf("%w: token file %s belongs to user %d, not to you", promote.ErrInput, path, uid)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return "", fmt.Errorf("%w: token file %s is readable by others (mode %04o): chmod 600 it and use a new token", promote.ErrInput, path, perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("%w: token file: %w", promote.ErrInput, err)
	}
	tok, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
	if tok = strings.TrimSpace(tok); tok == "" {
		return "", fmt.Errorf("%w: token file %s is empty", promote.ErrInput, path)
	}
	return tok, nil
}
