package kit

import (
	"encoding/json"
	"testing"
	"time"
)

func TestAppendTimeMatchesRFC3339Nano(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("x", 5*3600+1800), time.FixedZone("y", -7*3600)}
	base := time.Date(2026, 11, 25, 23, 59, 59, 0, time.UTC)
	for _, d := range []time.Duration{0, time.Second, 24 * time.Hour} {
		for _, ns := range []int{0, 1, 10, 120000000, 999999999, 100, 500000} {
			for _, z := range zones { // the same second in turn in each zone
				tm := base.Add(d).Add(time.Duration(ns)).In(z)
				got := string(appendTime(nil, tm))
				if want := tm.Format(time.RFC3339Nano); got != want {
					t.Errorf("appendTime(%v) = %s, want %s", tm, got, want)
				}
			}
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"plain", `q"uote\\`, "ctl\x00\x1f\n", "ünï ☃", "bad\xffutf8", "/orders?id=1&x=<>"} {
		var got string
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil {
			t.Errorf("appendJSONString(%q) is not JSON: %v", s, err)
			continue
		}
		want := s
		if s == "bad\xffutf8" {
			want = "bad\ufffdutf8"
		}
		if got != want {
			t.Errorf("appendJSONString(%q) decodes to %q, want %q", s, got, want)
		}
	}
}
