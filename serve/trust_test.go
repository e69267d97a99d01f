package serve

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/confine"
	"github.com/ferrydev/ferry/promote"
)

// TestRebindingAndCrossSite drives a real ferry serve on 127.0.0.1 as a
// hostile page would: through a name of its own that resolves to
// 127.0.0.1 (DNS rebinding: the browser sends Host: attacker.example and
// treats the answers as attacker.example's), and by posting a form from
// another site. Neither reads nor acts, even with the token.
func TestRebindingAndCrossSite(t *testing.T) {
	pl := newPipeline(t, []string{"staging", "prod"}, "0s")
	pl.serve(t, Options{Hosts: []string{"ferry.test"}})
	port := pl.url[strings.LastIndex(pl.url, ":")+1:]
	evil := "attacker.example:" + port
	level := url.Values{"env": {"staging"}, "level": {"ERROR"}, "confirm": {"yes"}, "who": {"mallory"}, "token": {pl.token}}
	tests := []struct {
		name   string
		method string
		path   string
		header []string
		status int
	}{
		{"rebinding reads the page", "GET", "/", []string{"Host", evil}, 421},
		{"rebinding reads the API", "GET", "/api/status", []string{"Host", evil}, 421},
		{"rebinding reads the history", "GET", "/api/history/staging", []string{"Host", evil}, 421},
		{"rebinding with the token in the query", "GET", "/api/status?token=" + pl.token, []string{"Host", evil}, 421},
		{"rebinding acts, same-origin as far as the browser knows", "POST", "/actions/loglevel", []string{"Host", evil, "Origin", "http://" + evil, "Sec-Fetch-Site", "same-origin"}, 421},
		{"rebinding to a loopback-looking name", "GET", "/api/status", []string{"Host", "127.0.0.1.attacker.example:" + port}, 421},
		{"cross-site form", "POST", "/actions/loglevel", []string{"Origin", "http://evil.example"}, 403},
		{"cross-site form, Sec-Fetch-Site only", "POST", "/actions/loglevel", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"same-site form (another port)", "POST", "/actions/loglevel", []string{"Origin", "http://127.0.0.1:1", "Sec-Fetch-Site", "same-site"}, 403},
		{"opaque origin (sandboxed frame, data: URL)", "POST", "/actions/loglevel", []string{"Origin", "null"}, 403},
		{"origin with another scheme", "POST", "/actions/loglevel", []string{"Origin", "ftp://127.0.0.1:" + port}, 403},
		{"loopback by name", "GET", "/api/status", []string{"Host", "localhost:" + port}, 200},
		{"loopback IPv6 literal", "GET", "/api/status", []string{"Host", "[::1]:" + port}, 200},
		{"the configured name", "GET", "/api/status", []string{"Host", "ferry.test:" + port}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var form url.Values
			if tt.method == "POST" {
				form = level
			}
			code, body, _ := send(t, tt.method, pl.url+tt.path, form, tt.header)
			if code != tt.status {
				t.Errorf("%s %s with %q = %d %.200q, want %d", tt.method, tt.path, tt.header, code, body, tt.status)
			}
			if code != 200 && (strings.Contains(body, `"environments"`) || strings.Contains(body, "revisions")) {
				t.Errorf("refused, but the body carries the API's answer: %.200s", body)
			}
		})
	}
	// Nothing above changed the level; the same request from the page
	// itself does.
	if cur, _ := promote.LogLevel(pl.cfg(), "staging"); cur.Level != cur.Configured {
		t.Fatalf("a refused request set the level: %+v", cur)
	}
	code, body, _ := post(t, pl.url+"/actions/loglevel", level, "Origin", pl.url, "Sec-Fetch-Site", "same-origin")
	if cur, _ := promote.LogLevel(pl.cfg(), "staging"); code != 303 || cur.Level != "ERROR" {
		t.Errorf("the page's own request = %d %.200q, level %+v", code, body, cur)
	}
}

// git runs git in dir for a test.
func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// TestProjectToken: a token file others may have seen is replaced, and
// the notice says why; a good one is kept.
func TestProjectToken(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed to commit a token file") // never skipped: the committed token is the attack
	}
	good := strings.Repeat("7f", 32)
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir, file string)
		notice string // "" when the token is kept
	}{
		{"kept", func(t *testing.T, dir, file string) { write(t, file, good, 0o600) }, ""},
		{"none yet", func(t *testing.T, dir, file string) {}, ""},
		{"committed", func(t *testing.T, dir, file string) {
			write(t, file, good, 0o600)
			git(t, dir, "init", "-q")
			git(t, dir, "add", "-f", ".ferry/serve.token")
			git(t, dir, "commit", "-qm", "token")
		}, "is tracked by git"},
		{"world-readable", func(t *testing.T, dir, file string) { write(t, file, good, 0o644) }, "was readable by others (mode 0644)"},
		{"group-readable", func(t *testing.T, dir, file string) { write(t, file, good, 0o640) }, "was readable by others (mode 0640)"},
		{"another user's", func(t *testing.T, dir, file string) {
			write(t, file, good, 0o600)
			if os.Getuid() != 0 {
				t.Skip("chown needs root") // the CI container runs as root
			}
			if err := os.Chown(file, 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}, "belongs to user 4242"},
		{"a link", func(t *testing.T, dir, file string) {
			write(t, filepath.Join(dir, "planted"), good, 0o600)
			if err := os.Symlink("../planted", file); err != nil {
				t.Fatal(err)
			}
		}, "is a symbolic link"},
		{"too short", func(t *testing.T, dir, file string) { write(t, file, "abc123", 0o600) }, "a token of 6 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, ".ferry"), 0o700); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, ".ferry", "serve.token")
			tt.setup(t, dir, file)
			tf, err := ProjectToken(dir)
			if err != nil {
				t.Fatal(err)
			}
			if tt.notice == "" {
				if tf.Notice != "" || len(tf.Token) < MinTokenLen || (tt.name == "kept" && tf.Token != good) {
					t.Errorf("ProjectToken = %+v, want the token kept without a notice", tf)
				}
			} else if tf.Token == good || !strings.Contains(tf.Notice, tt.notice) || !strings.Contains(tf.Notice, "a new token") {
				t.Errorf("ProjectToken = token %q, notice %q; want a new token and a notice saying %q", tf.Token, tf.Notice, tt.notice)
			}
			fi, err := os.Lstat(file)
			if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
				t.Errorf("token file = %v, %v; want a regular 0600 file", fi, err)
			}
			if b, _ := os.ReadFile(file); strings.TrimSpace(string(b)) != tf.Token {
				t.Errorf("file holds %q, ProjectToken said %q", b, tf.Token)
			}
			if tt.name == "a link" {
				if b, _ := os.ReadFile(filepath.Join(dir, "planted")); strings.TrimSpace(string(b)) != good {
					t.Errorf("the link's target was written: %q", b)
				}
			}
		})
	}
	t.Run(".ferry a link", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Symlink(t.TempDir(), filepath.Join(dir, ".ferry")); err != nil {
			t.Fatal(err)
		}
		if _, err := ProjectToken(dir); !errors.Is(err, confine.ErrRefused) {
			t.Errorf("ProjectToken with .ferry a link = %v, want a refusal", err)
		}
	})
}

func write(t *testing.T, path, content string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content+"\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// TestCommittedTokenCannotAct: with the token file committed, the token
// everyone has read no longer acts on the running server.
func TestCommittedTokenCannotAct(t *testing.T) {
	pl := newPipeline(t, []string{"staging"}, "0s")
	committed := strings.Repeat("c0", 32)
	if err := os.MkdirAll(filepath.Join(pl.dir, ".ferry"), 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(pl.dir, ".ferry", "serve.token"), committed, 0o600)
	git(t, pl.dir, "init", "-q")
	git(t, pl.dir, "add", "-f", ".ferry/serve.token")
	git(t, pl.dir, "commit", "-qm", "oops")
	tf, err := ProjectToken(pl.dir)
	if err != nil || tf.Notice == "" {
		t.Fatalf("ProjectToken = %+v, %v", tf, err)
	}
	pl.serve(t, Options{Token: tf.Token})
	form := url.Values{"env": {"staging"}, "level": {"ERROR"}, "confirm": {"yes"}, "who": {"mallory"}, "token": {committed}}
	if code, body, _ := post(t, pl.url+"/actions/loglevel", form, "Origin", pl.url); code != 403 {
		t.Errorf("the committed token acted: %d %.200q", code, body)
	}
	if cur, _ := promote.LogLevel(pl.cfg(), "staging"); cur.Level != cur.Configured {
		t.Errorf("level changed: %+v", cur)
	}
}

func TestReadTokenFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	write(t, good, strings.Repeat("ab", 20), 0o600)
	if tok, err := ReadTokenFile(good); err != nil || tok != strings.Repeat("ab", 20) {
		t.Errorf("ReadTokenFile(good) = %q, %v", tok, err)
	}
	open := filepath.Join(dir, "open")
	write(t, open, strings.Repeat("ab", 20), 0o644)
	if _, err := ReadTokenFile(open); !errors.Is(err, promote.ErrInput) || !strings.Contains(err.Error(), "readable by others") {
		t.Errorf("ReadTokenFile(world-readable) = %v", err)
	}
	empty := filepath.Join(dir, "empty")
	write(t, empty, "", 0o600)
	if _, err := ReadTokenFile(empty); !errors.Is(err, promote.ErrInput) {
		t.Errorf("ReadTokenFile(empty) = %v", err)
	}
}

// TestRemoteLogURLTokenNotStored: the README's off-loopback setup puts
// the serve token in REMOTE_LOG_URL's query. A deploy stores the
// configuration, the history shows it: neither holds the token in clear.
func TestRemoteLogURLTokenNotStored(t *testing.T) {
	pl := newPipeline(t, []string{"staging"}, "0s")
	tok := strings.Repeat("5e", 32)
	remote := fmt.Sprintf("REMOTE_LOG_URL=http://ferry.internal:7070/api/loglevel/staging?token=%s\n", tok)
	overlay := filepath.Join(pl.dir, "configs", ".staging.env")
	old, _ := os.ReadFile(overlay)
	if err := os.WriteFile(overlay, append(old, remote...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := promote.NewDeploy(pl.cfg()).Run(t.Context(), "staging"); err != nil {
		t.Fatal(err)
	}
	pl.serve(t, Options{})
	for _, path := range []string{"/api/history/staging", "/", "/api/status"} {
		if _, body, _ := get(t, pl.url+path); strings.Contains(body, tok) {
			t.Errorf("GET %s shows the token", path)
		}
	}
	err := filepath.WalkDir(filepath.Join(pl.dir, ".ferry"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "build") {
			return err
		}
		if b, _ := os.ReadFile(p); strings.Contains(string(b), tok) {
			t.Errorf("%s stores the token in clear", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
