package view

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/platform"
	"github.com/ferrydev/ferry/state"
)

func TestRevisionRedacted(t *testing.T) {
	r := &state.Revision{Env: "prod", Number: 3, Digest: "sha256:abc", Outcome: state.Failed,
		Config: []state.Entry{
			{Key: "DB_PASSWORD", Value: "hmac-sha256:0011", Secret: true},
			{Key: "DATABASE_URL", Value: "postgres://app:hunter2@db/orders"},
			{Key: "LOG_LEVEL", Value: "INFO"},
		},
		Reason:    "revision 3: crashed; last log lines:\n  connecting to postgres://app:hunter2@db/orders",
		Gates:     []state.Gate{{Name: "smoke", Detail: "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"}},
		Instances: []state.Instance{{Name: "pid 42", Private: json.RawMessage(`{"log":"/x/log"}`)}},
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // as the CLI writes JSON
	if err := enc.Encode(NewRevision(r)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, bad := range []string{"hunter2", "hmac-sha256:0011", "eyJzdWIi", `"pid"`, "/x/log", "instances"} {
		if strings.Contains(out, bad) {
			t.Errorf("history entry holds %q:\n%s", bad, out)
		}
	}
	for _, want := range []string{`"value":"INFO"`, "postgres://app:<redacted>@db/orders", `"outcome":"failed"`} {
		if !strings.Contains(out, want) {
			t.Errorf("history entry lacks %q:\n%s", want, out)
		}
	}
}

func TestVerifyOK(t *testing.T) {
	tests := []struct {
		name string
		v    Verify
		want bool
	}{
		{"local match", Verify{Digest: "d", WantDigest: "d", Details: map[string]string{"pid": "42", "executable": "x"}, WantExecutable: "x", Health: platform.HealthUp}, true},
		{"kube match", Verify{Digest: "d", WantDigest: "d", Health: platform.HealthUp}, true},
		{"nothing deployed", Verify{Digest: "d", Health: platform.HealthUp}, false},
		// The local target judges its executable and says so as a mismatch.
		{"other executable", Verify{Digest: "", WantDigest: "d", Details: map[string]string{"executable": "y"}, WantExecutable: "x", Mismatch: "its executable is y, not d's x", Health: platform.HealthUp}, false},
		{"degraded", Verify{Digest: "d", WantDigest: "d", Health: platform.HealthDegraded}, false},
		{"a key differs", Verify{Digest: "d", WantDigest: "d", Health: platform.HealthUp, Differences: []Difference{{Key: "K"}}}, false},
		{"other configuration layer", Verify{Digest: "d", WantDigest: "d", WantExecutable: "x", Configs: "c", WantConfigs: "w", Health: platform.HealthUp}, false},
		{"drift alone", Verify{Digest: "d", WantDigest: "d", Health: platform.HealthUp, Drift: []Change{{Key: "K", Change: "changed"}}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.v.OK(); got != tt.want {
				t.Errorf("OK() = %v, want %v (%s)", got, tt.want, tt.v.Summary())
			}
			data, _ := json.Marshal(&tt.v)
			if !strings.Contains(string(data), `"ok":`+map[bool]string{true: "true", false: "false"}[tt.want]) {
				t.Errorf("JSON lacks ok: %s", data)
			}
		})
	}
}

// TestIdentityNamesWhatDiffers: verify never says "differs" of two equal
// hashes: each part that differs is named with both values, and only it.
func TestIdentityNamesWhatDiffers(t *testing.T) {
	tests := []struct {
		name string
		v    Verify
		want string
	}{
		{"configs only", Verify{Revision: 2, Digest: "sha256:a", WantDigest: "sha256:a", WantExecutable: "sha256:x", Configs: "sha256:c1", WantConfigs: "sha256:c2"},
			"configuration layer sha256:c1, want sha256:c2"},
		{"another artifact", Verify{Revision: 2, Digest: "", WantDigest: "sha256:b", WantExecutable: "sha256:x", Mismatch: "its configs/ (sha256:c1) is not sha256:b's configuration layer (sha256:c2)"},
			"runs no artifact of this project, not the live revision's sha256:b (its configs/ (sha256:c1) is not sha256:b's configuration layer (sha256:c2))"},
		{"same", Verify{Revision: 2, Digest: "sha256:a", WantDigest: "sha256:a", Tag: "1.1.0", WantExecutable: "sha256:x"},
			"runs sha256:a (1.1.0) as deployed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.v.IdentityLine(); got != tt.want {
				t.Errorf("IdentityLine = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRevisionFields: a view of a revision with every stored field set
// shows exactly these fields, so a field added to state.Revision is shown
// only once someone adds it here (and decides whether it needs redacting).
func TestRevisionFields(t *testing.T) {
	r := &state.Revision{Env: "prod", Number: 2, Digest: "sha256:a", BinaryDigest: "sha256:b", Tag: "1.0", By: "ana",
		Action: "promote", PromotedFrom: "staging", FromRevision: 4, SkipPath: "x", RollbackOf: 1,
		Config: []state.Entry{{Key: "K", Value: "v"}}, Gates: []state.Gate{{Name: "soak", Passed: true}},
		Outcome: state.Live, Reason: "r", URL: "http://127.0.0.1:1", Instances: []state.Instance{{Name: "pid 1"}},
		GatesPending: true, Replaces: 1, Signature: &state.Signature{KeyID: "k", Key: "ci"}}
	r.At = r.At.AddDate(2026, 0, 0)
	r.Since = r.At
	b, err := json.Marshal(NewRevision(r))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := []string{"environment", "env", "revision", "digest", "binaryDigest", "tag", "config", "by", "at", "action",
		"promotedFrom", "fromRevision", "skipPath", "rollbackOf", "gates", "outcome", "reason", "since", "signature"}
	for _, k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("the view lacks %q: %s", k, b)
		}
		delete(got, k)
	}
	for k := range got {
		t.Errorf("the view shows the stored field %q, not reviewed for showing: %s", k, b)
	}
}

// TestDetailsAliases: a target's details reach JSON as "details", and
// the fields they replaced ("pid", "executable") stay, filled from them,
// for one release; the text names the instance as its target does.
func TestDetailsAliases(t *testing.T) {
	details := map[string]string{platform.DetailPID: "838", platform.DetailExecutable: "sha256:e"}
	v := &Verify{Environment: "prod", Revision: 3, Details: details,
		Instances: []platform.Instance{{Name: "pid 838", Revision: 3, Details: details}}}
	st := Status{Environments: []EnvStatus{{Environment: "prod"}, {Environment: "kube"}}}
	st.Environments[0].SetDetails(map[string]string{platform.DetailPID: "838"})
	for _, tt := range []struct {
		what    string
		value   any
		want    []string
		wantNot []string
	}{
		{"verify", v, []string{`"details":{"executable":"sha256:e","pid":"838"}`, `"pid":838`, `"executable":"sha256:e"`}, nil},
		{"instance", v.Instances[0], []string{`"details":{`, `"pid":838`, `"executable":"sha256:e"`}, nil},
		{"status", st, []string{`"details":{"pid":"838"}`, `"pid":838`}, []string{`"pid":0`}},
	} {
		b, err := json.Marshal(tt.value)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s JSON lacks %s: %s", tt.what, w, b)
			}
		}
		for _, w := range tt.wantNot {
			if strings.Contains(string(b), w) {
				t.Errorf("%s JSON has %s: %s", tt.what, w, b)
			}
		}
	}
	if got := v.Who(); got != "pid 838 (revision 3)" {
		t.Errorf("Who() = %q, want the target's name of the instance", got)
	}
	if got := platform.DetailsText(details); got != "executable sha256:e, pid 838" {
		t.Errorf("DetailsText = %q", got)
	}
}

// TestDriftHints: each changed key is told what applies it by where its
// value comes from: ferry.yaml or the chart's values a deploy writes,
// configs/ files only a new build changes.
func TestDriftHints(t *testing.T) {
	tests := []struct {
		name    string
		changes []Change
		want    []string
		not     []string
	}{
		{"deploy only", []Change{{Key: "DB_NAME", Change: "changed", Source: "ferry.yaml:7"}},
			[]string{"1 key(s) changed in the repository since revision 4: DB_NAME changed (ferry deploy applies them)"},
			[]string{"ferry build"}},
		{"image only", []Change{{Key: "LOG_LEVEL", Change: "removed", Source: "configs/.prod.env:1", InImage: true}},
			[]string{"1 key(s) changed in the image's configuration files since revision 4: LOG_LEVEL removed (they travel in the image: ferry build, then deploy the new artifact)"},
			[]string{"ferry deploy applies"}},
		{"both and unknown", []Change{
			{Key: "API_TIMEOUT", Change: "added", Source: "chart/values-prod.yaml:3"},
			{Key: "PAGE_SIZE", Change: "changed", Source: "configs/.env:4", InImage: true},
			{Key: "DB_PASSWORD", Change: "unknown", Desired: "<secrets file missing>"},
		}, []string{"API_TIMEOUT added (ferry deploy applies them)", "PAGE_SIZE changed (they travel in the image", "unknown: DB_PASSWORD <secrets file missing>"}, nil},
	}
	for _, tt := range tests {
		d := &Drift{Environment: "prod", Revision: 4, Changes: tt.changes}
		v := &Verify{Revision: 4, Drift: tt.changes}
		for _, got := range []string{d.Hint(), v.DriftLine()} {
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("%s: %q lacks %q", tt.name, got, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("%s: %q says %q", tt.name, got, n)
				}
			}
		}
	}
	if h := (&Drift{Revision: 4}).Hint(); h != "" {
		t.Errorf("no drift, hint %q", h)
	}
}
