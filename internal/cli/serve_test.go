package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSoakLoglevelServeCLI: the three commands' flags, outputs and exit
// codes over a deployed stand-in service (which serves no metrics).
func TestSoakLoglevelServeCLI(t *testing.T) {
	dir := svcProject(t, "{duration: 1s, maxErrorRatio: 0.01, minRequests: 10, interval: 200ms}")
	c := "-C " + dir + " "
	if _, errOut, code := run(t, c+"build --tag 1.0.0"); code != 0 {
		t.Fatal(errOut)
	}
	if _, errOut, code := run(t, c+"deploy staging"); code != 0 {
		t.Fatal(errOut)
	}
	steps := []struct {
		args     string
		wantCode int
		want     string // in stdout, or stderr when the code is not 0
	}{
		{"soak staging", 1, "staging soak unknown: no metrics: no metrics endpoint: METRICS_PORT is 0 in staging"},
		{"soak staging --watch", 1, "staging soak unknown: no metrics"},
		{"soak prod", 2, `nothing is deployed in "prod"`},
		{"soak qa", 2, `unknown environment "qa"`},
		{"soak", 2, "soak takes 1 argument(s), got 0"},
		{"promote staging prod --dry-run", 1, "soak error ratio"},
		{"loglevel staging", 0, "staging: DEBUG (configured)"},
		{"loglevel staging TRACE", 2, `unknown log level "TRACE": one of DEBUG, INFO, NOTICE, WARN, ERROR, FATAL`},
		{"loglevel staging warn --for 15m", 0, "staging: WARN (set by"},
		{"loglevel staging --reset", 0, "staging: DEBUG (configured)"},
		{"loglevel staging", 0, "back to the configured level"},
		{"loglevel staging WARN --reset", 2, "--reset takes no level"},
		{"loglevel qa DEBUG", 2, `unknown environment "qa"`},
		{"serve --addr 0.0.0.0:0", 2, "not a loopback address, needs --token or --token-file"},
		{"serve --token a --token-file b", 2, "--token and --token-file: give one"},
		{"serve --addr 0.0.0.0:0 --token a", 2, "needs a token of at least 32 characters (this one has 1)"},
		{"serve --help", 0, "ferry serve --addr 0.0.0.0:7070 --token-file"},
		{"soak --help", 0, "ferry soak staging --watch"},
		{"loglevel --help", 0, "ferry loglevel staging DEBUG --for 15m"},
	}
	for _, s := range steps {
		out, errOut, code := run(t, c+s.args)
		where := out
		if code != 0 {
			where = out + errOut
		}
		if code != s.wantCode || !strings.Contains(where, s.want) {
			t.Errorf("ferry %s = %d\nstdout: %s\nstderr: %s\nwant exit %d and %q", s.args, code, out, errOut, s.wantCode, s.want)
		}
	}
	out, _, code := run(t, c+"soak staging -o json")
	var v struct {
		State   string `json:"state"`
		Figures []struct{ Name, State string }
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 1 || v.State != "unknown" || len(v.Figures) != 4 {
		t.Errorf("soak -o json = %d %v %s", code, err, out)
	}
	out, _, _ = run(t, c+"loglevel staging -o json")
	if !strings.Contains(out, `"configured": "DEBUG"`) || !strings.Contains(out, `"history": [`) || !strings.Contains(out, `"changes": [`) || strings.Count(out, `"by":`) != 4 {
		t.Errorf("loglevel -o json = %s", out)
	}
}
