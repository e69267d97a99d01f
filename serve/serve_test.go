package serve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/promote"
	"github.com/ferrydev/ferry/remotelog"
	"github.com/ferrydev/ferry/view"
)

func TestLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:7070", true},
		{"127.5.0.1:7070", true},
		{"[::1]:7070", true},
		{"localhost:7070", true},
		{"0.0.0.0:7070", false},
		{":7070", false},
		{"192.168.1.4:7070", false},
		{"[::]:7070", false},
		{"ferry.internal:7070", false},
		{"nonsense", false},
	}
	for _, tt := range tests {
		if got := Loopback(tt.addr); got != tt.want {
			t.Errorf("Loopback(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestNewRefusesOpenAddressWithoutToken(t *testing.T) {
	pl := &pipeline{cfg: func() *promote.Config { t.Fatal("Config called"); return nil }}
	_, err := New(Options{Addr: "0.0.0.0:7070", Config: pl.cfg})
	if err == nil || !errors.Is(err, promote.ErrInput) || !strings.Contains(err.Error(), "needs --token") {
		t.Errorf("New(0.0.0.0 without token) = %v, want a bad-input error asking for --token", err)
	}
	for _, tok := range []string{"a", "s3cr3t-token-for-tests", strings.Repeat("x", MinTokenLen-1)} {
		_, err := New(Options{Addr: "0.0.0.0:7070", Token: tok, Config: pl.cfg})
		if !errors.Is(err, promote.ErrInput) || !strings.Contains(err.Error(), "at least 32 characters") {
			t.Errorf("New(0.0.0.0, --token of %d) = %v, want a bad-input error", len(tok), err)
		}
	}
}

// openToken is the token of the test server bound to every interface.
const openToken = "s3cr3t-token-for-tests-5f2b8c1e9d7a4036b1e8"

// noRedirect keeps a client on the answer it got.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}

func get(t *testing.T, u string, header ...string) (int, string, http.Header) {
	t.Helper()
	return send(t, http.MethodGet, u, nil, header)
}

func post(t *testing.T, u string, form url.Values, header ...string) (int, string, http.Header) {
	t.Helper()
	return send(t, http.MethodPost, u, form, header)
}

// send makes one request with header's name/value pairs and returns the
// answer as it came, without following a redirect.
func send(t *testing.T, method, u string, form url.Values, header []string) (int, string, http.Header) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1] // Header["Host"] is not sent
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Header
}

// TestServe runs ferry serve over a live pipeline on loopback and one
// bound to every interface, and checks reads, the token and the actions.
func TestServe(t *testing.T) {
	pl := newPipeline(t, []string{"staging", "prod"}, "0s")
	pl.serve(t, Options{})
	open := newPipeline(t, []string{"staging", "prod"}, "0s")
	open.serve(t, Options{Addr: fmt.Sprintf("0.0.0.0:%d", freePort(t)), Token: openToken})
	openURL := strings.Replace(open.url, "0.0.0.0", "127.0.0.1", 1)
	// The page of a server bound to every interface, reached by an
	// address that is not loopback, is what a colleague sees.
	_ = openURL

	reads := []struct {
		name   string
		url    string
		header []string
		status int
		want   string
	}{
		{"page on loopback needs no token", pl.url + "/", nil, 200, `<h2 id="env-staging">staging`},
		{"board fragment", pl.url + "/?fragment=board", nil, 200, `<ol class="pipeline"`},
		{"status JSON is the CLI's", pl.url + "/api/status", nil, 200, `"environments"`},
		{"history JSON", pl.url + "/api/history/staging", nil, 200, `"revisions"`},
		{"unknown environment", pl.url + "/api/history/qa", nil, 400, `unknown environment`},
		{"soak JSON", pl.url + "/api/soak/staging", nil, 200, `"figures"`},
		{"GoFr's remote log body", pl.url + "/api/loglevel/staging", nil, 200, `{"data":{"serviceName":"svc","logLevel":"DEBUG"}}`},
		{"assets are embedded", pl.url + "/assets/app.js", nil, 200, "EventSource"},
		{"open address without token", openURL + "/", nil, 401, "needs its token"},
		{"open address, API without token", openURL + "/api/status", nil, 401, "needs its token"},
		{"open address, wrong token", openURL + "/api/status", []string{"Authorization", "Bearer " + openToken[:len(openToken)-2] + "XX"}, 401, ""},
		{"open address, bearer token", openURL + "/api/status", []string{"Authorization", "Bearer " + openToken}, 200, `"environments"`},
		{"open address, remote log URL with the token in its query", openURL + "/api/loglevel/prod?token=" + openToken, nil, 200, `"serviceName":"svc"`},
		{"open address, token in the query sets the cookie", openURL + "/?token=" + openToken, nil, 303, ""},
		{"open address, cookie", openURL + "/", []string{"Cookie", cookieName + "=" + openToken}, 200, "<main"},
	}
	for _, tt := range reads {
		t.Run(tt.name, func(t *testing.T) {
			code, body, h := get(t, tt.url, tt.header...)
			if code != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("GET %s = %d %.300q, want %d with %q", tt.url, code, body, tt.status, tt.want)
			}
			if strings.Contains(body, "s3cr3t") || strings.Contains(body, pl.token) {
				t.Errorf("GET %s shows a token", tt.url)
			}
			if tt.status == 303 && (!strings.Contains(h.Get("Set-Cookie"), cookieName+"=") || strings.Contains(h.Get("Location"), "token")) {
				t.Errorf("token login: Set-Cookie %q, Location %q", h.Get("Set-Cookie"), h.Get("Location"))
			}
		})
	}

	t.Run("api JSON has the status view's shape", func(t *testing.T) {
		_, body, _ := get(t, pl.url+"/api/status")
		var st struct {
			Environments []struct {
				Name, Digest, Health string
				Revision             int
			}
		}
		if err := json.Unmarshal([]byte(body), &st); err != nil {
			t.Fatal(err)
		}
		if len(st.Environments) != 2 || st.Environments[0].Name != "staging" || st.Environments[0].Revision != 1 || st.Environments[0].Health != "UP" || st.Environments[1].Digest != "" {
			t.Errorf("status = %+v", st)
		}
	})

	origin := []string{"Origin", pl.url}
	actions := []struct {
		name   string
		path   string
		form   url.Values
		header []string
		status int
		want   string
	}{
		{"first post asks for confirmation", "/actions/loglevel", url.Values{"env": {"staging"}, "level": {"WARN"}, "for": {"15m"}, "token": {pl.token}}, origin, 200, "Set staging&#39;s log level to WARN"},
		{"first post without the token asks for it and previews nothing", "/actions/loglevel", url.Values{"env": {"staging"}, "level": {"WARN"}, "for": {"15m"}}, origin, 403, `<input type="hidden" name="level" value="WARN">`},
		{"confirmation without the token", "/actions/loglevel", url.Values{"env": {"staging"}, "level": {"WARN"}, "confirm": {"yes"}, "who": {"ann"}}, origin, 403, "The token is missing or wrong"},
		{"confirmation with a wrong token", "/actions/loglevel", url.Values{"env": {"staging"}, "level": {"WARN"}, "confirm": {"yes"}, "who": {"ann"}, "token": {"nope"}}, origin, 403, "The token is missing or wrong"},
		{"unknown level refused", "/actions/loglevel", url.Values{"env": {"staging"}, "level": {"TRACE"}, "token": {pl.token}}, origin, 400, "unknown log level &#34;TRACE&#34;"},
		{"a form from another site", "/actions/loglevel", url.Values{"env": {"staging"}, "level": {"WARN"}, "confirm": {"yes"}, "who": {"ann"}, "token": {pl.token}}, []string{"Origin", "http://evil.example"}, 403, "another site"},
		{"no name", "/actions/loglevel", url.Values{"env": {"staging"}, "level": {"WARN"}, "confirm": {"yes"}, "token": {pl.token}}, origin, 400, "Say who you are"},
		{"confirmed with the token", "/actions/loglevel", url.Values{"env": {"staging"}, "level": {"warn"}, "for": {"15m"}, "confirm": {"yes"}, "who": {"ann"}, "token": {pl.token}}, origin, 303, ""},
		{"promote shows its gates first", "/actions/promote", url.Values{"from": {"staging"}, "to": {"prod"}, "token": {pl.token}}, origin, 200, "live is revision 1"},
		{"promote without the token runs no gate", "/actions/promote", url.Values{"from": {"staging"}, "to": {"prod"}}, origin, 403, "Nothing is run or previewed without it"},
	}
	for _, tt := range actions {
		t.Run(tt.name, func(t *testing.T) {
			code, body, h := post(t, pl.url+tt.path, tt.form, tt.header...)
			if code != tt.status || !strings.Contains(body, tt.want) {
				t.Errorf("POST %s = %d %.400q, want %d with %q", tt.path, code, body, tt.status, tt.want)
			}
			if code == 403 && (strings.Contains(body, "live is revision") || strings.Contains(body, "Set staging")) {
				t.Errorf("POST %s without the token previewed the action:\n%.600s", tt.path, body)
			}
			if code == 303 && !strings.HasPrefix(h.Get("Location"), "/?done=") {
				t.Errorf("after the action: Location %q, want /?done=…", h.Get("Location"))
			}
		})
	}

	t.Run("the level set is served and recorded with who", func(t *testing.T) {
		_, body, _ := get(t, pl.url+"/api/loglevel/staging")
		if !strings.Contains(body, `"logLevel":"WARN"`) {
			t.Errorf("loglevel = %s, want WARN", body)
		}
		hist, err := promote.LogLevels(pl.cfg(), "staging")
		if err != nil || len(hist) != 1 || !strings.HasPrefix(hist[0].By, "ann via ferry serve (127.0.0.1)") || hist[0].Until.Sub(hist[0].At) != 15*time.Minute {
			t.Errorf("history = %+v, %v; want one setting by ann for 15m", hist, err)
		}
		cur, _ := promote.LogLevel(pl.cfg(), "staging")
		if cur.Level != "WARN" || cur.Configured != "DEBUG" {
			t.Errorf("LogLevel = %+v", cur)
		}
		_ = remotelog.Levels
	})
}

// TestCarry: what a promotion would carry into prod shows prod's config
// changes made in the repository since prod's revision; a secret-named
// key is named, its value never.
func TestCarry(t *testing.T) {
	pl := newPipeline(t, []string{"staging", "prod"}, "0s")
	if _, err := promote.NewDeploy(pl.cfg()).Run(t.Context(), "prod"); err != nil {
		t.Fatal(err)
	}
	pl.serve(t, Options{Interval: 100 * time.Millisecond})
	// The repository changes prod's configuration: configs/.prod.env.
	overlay := filepath.Join(pl.dir, "configs", ".prod.env")
	if err := os.WriteFile(overlay, []byte("FEATURE_X=on\nPAYMENT_API_TOKEN=tok-very-secret-value\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var body string
	for start := time.Now(); time.Since(start) < 20*time.Second; time.Sleep(200 * time.Millisecond) {
		_, body, _ = get(t, pl.url+"/?fragment=board")
		if strings.Contains(body, "config change(s) in prod") {
			break
		}
	}
	for _, want := range []string{"2 config change(s) in prod", "<code>FEATURE_X</code> added: ", "<code>PAYMENT_API_TOKEN</code> added (secret: compared by its keyed hash, never shown)"} {
		if !strings.Contains(body, want) {
			t.Errorf("the board lacks %q:\n%.3000s", want, body)
		}
	}
	if strings.Contains(body, "tok-very-secret-value") {
		t.Error("the board shows a secret's value")
	}
}

// TestFingerprintSeesEveryColumnField: the page is pushed again when any
// part of a column changes, not only its status: a column embeds
// view.EnvStatus, which must not bring a MarshalJSON of its own that
// would leave the rest of the column out of the fingerprint.
func TestFingerprintSeesEveryColumnField(t *testing.T) {
	b := &Board{Columns: []Column{{EnvStatus: view.EnvStatus{Environment: "prod", Name: "prod"}}}}
	b.Columns[0].EnvStatus.SetDetails(map[string]string{"pid": "838"})
	before := fingerprint(b)
	b.Columns[0].VerifySummary = "identity: runs another artifact"
	if fingerprint(b) == before {
		t.Error("the fingerprint did not change with the column's verify summary")
	}
}
