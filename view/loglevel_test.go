package view

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ferrydev/ferry/remotelog"
)

// TestLevelChanges: settings become changes newest first, and a setting
// whose --for ran out before the next one shows a revert by ferry at its
// expiry; one overtaken by a later setting does not.
func TestLevelChanges(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	debug15 := remotelog.Setting{Env: "staging", Level: "DEBUG", By: "ann@laptop", At: at(0), Until: at(15)}
	tests := []struct {
		name string
		hist []remotelog.Setting
		now  time.Time
		want []string // Change Level By At-minute, newest first
	}{
		{"none", nil, at(0), []string{}},
		{"still active", []remotelog.Setting{debug15}, at(14), []string{"set DEBUG for 15m0s ann@laptop 0"}},
		{"ran out at its end exactly", []remotelog.Setting{debug15}, at(15), []string{
			"revert back to the configured level (DEBUG for 15m0s by ann@laptop ran out) ferry (expiry) 15", "set DEBUG for 15m0s ann@laptop 0"}},
		{"overtaken before its end", []remotelog.Setting{debug15, {Env: "staging", Level: "WARN", By: "bob", At: at(10)}}, at(60), []string{
			"set WARN bob 10", "set DEBUG for 15m0s ann@laptop 0"}},
		{"next set at its end exactly", []remotelog.Setting{debug15, {Env: "staging", Level: "WARN", By: "bob", At: at(15)}}, at(60), []string{
			"set WARN bob 15", "set DEBUG for 15m0s ann@laptop 0"}},
		{"ran out, then reset", []remotelog.Setting{debug15, {Env: "staging", Reset: true, By: "pat via ferry serve (127.0.0.1)", At: at(40)}}, at(60), []string{
			"reset back to the configured level pat via ferry serve (127.0.0.1) 40",
			"revert back to the configured level (DEBUG for 15m0s by ann@laptop ran out) ferry (expiry) 15",
			"set DEBUG for 15m0s ann@laptop 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := []string{}
			for _, c := range LevelChanges(tt.hist, tt.now) {
				got = append(got, c.Change+" "+c.What()+" "+c.By+" "+strconv.Itoa(int(c.At.Sub(t0).Minutes())))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LevelChanges (-want +got):\n%s", diff)
			}
		})
	}
	// The JSON names what reverted; a reset carries no level.
	data, _ := json.Marshal(LevelChanges([]remotelog.Setting{debug15, {Env: "staging", Reset: true, By: "bob", At: at(20)}}, at(30)))
	want := `[{"environment":"staging","env":"staging","change":"reset","by":"bob","at":"2026-12-01T09:50:00Z"},` +
		`{"environment":"staging","env":"staging","change":"revert","by":"ferry (expiry)","at":"2026-12-01T09:45:00Z","reverts":{"environment":"staging","env":"staging","change":"set","level":"DEBUG","until":"2026-12-01T09:45:00Z","by":"ann@laptop","at":"2026-12-01T09:30:00Z"}},` +
		`{"environment":"staging","env":"staging","change":"set","level":"DEBUG","until":"2026-12-01T09:45:00Z","by":"ann@laptop","at":"2026-12-01T09:30:00Z"}]`
	if string(data) != want {
		t.Errorf("JSON:\n%s\nwant\n%s", data, want)
	}
}
