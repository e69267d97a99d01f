package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferrydev/ferry/internal/boltstore"
	"github.com/ferrydev/ferry/state"
)

// outsideStore makes a valid state store outside the project holding a
// revision of staging whose configuration carries outsideCanary: a
// command that reads it through a committed link would print it.
func outsideStore(t *testing.T, outside string) string {
	t.Helper()
	db := filepath.Join(outside, "state.db")
	st := boltstore.New(db)
	err := st.Update(func(tx state.Tx) error {
		r := &state.Revision{Env: "staging", Digest: "sha256:" + strings.Repeat("ab", 32), Outcome: state.Live, At: time.Now(),
			Config: []state.Entry{{Key: "OUTSIDE", Value: outsideCanary}}}
		n, err := tx.Add(r)
		if err != nil {
			return err
		}
		return tx.SetCurrent("staging", n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestStateConfined: a repository that commits .ferry/ with its state
// file, its locks or its secret key as links cannot make ferry read or
// write outside the project: each is refused with exit 2 naming the
// path, and nothing outside changes.
func TestStateConfined(t *testing.T) {
	tests := []struct {
		name  string
		plant func(t *testing.T, dir, outside string)
		args  string
		want  string // in stderr
	}{
		{"rollback: lock link truncates its target", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry", "locks"))
			plantLink(t, filepath.Join(outside, "id_rsa"), filepath.Join(dir, ".ferry", "locks", "staging.lock"))
		}, "rollback staging", ".ferry/locks/staging.lock"},
		{"down: lock link truncates its target", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry", "locks"))
			plantLink(t, filepath.Join(outside, "id_rsa"), filepath.Join(dir, ".ferry", "locks", "staging.lock"))
		}, "down staging", ".ferry/locks/staging.lock"},
		{"lock link inside .ferry", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry", "locks"))
			plantFile(t, filepath.Join(dir, ".ferry", "mine"), "kept\n")
			plantLink(t, "../mine", filepath.Join(dir, ".ferry", "locks", "staging.lock"))
		}, "rollback staging", ".ferry/locks/staging.lock"},
		{"locks directory link", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry"))
			plantLink(t, outside, filepath.Join(dir, ".ferry", "locks"))
		}, "rollback staging", ".ferry/locks"},
		{"history: state.db link reads another store", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry"))
			plantLink(t, outsideStore(t, outside), filepath.Join(dir, ".ferry", "state.db"))
		}, "history staging -o json", ".ferry/state.db"},
		{"status: state.db link", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry"))
			plantLink(t, outsideStore(t, outside), filepath.Join(dir, ".ferry", "state.db"))
		}, "status -o json", ".ferry/state.db"},
		{"state check: state.db link", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry"))
			plantLink(t, outsideStore(t, outside), filepath.Join(dir, ".ferry", "state.db"))
		}, "state check", ".ferry/state.db"},
		{"state repair: state.db link", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry"))
			plantLink(t, outsideStore(t, outside), filepath.Join(dir, ".ferry", "state.db"))
		}, "state repair", ".ferry/state.db"},
		{"history: dangling state.db link", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry"))
			plantLink(t, filepath.Join(outside, "new.db"), filepath.Join(dir, ".ferry", "state.db"))
		}, "history staging", ".ferry/state.db"},
		{"history: .ferry link", func(t *testing.T, dir, outside string) {
			outsideStore(t, outside)
			plantLink(t, outside, filepath.Join(dir, ".ferry"))
		}, "history staging -o json", ".ferry: is a symbolic link"},
		{"history: refused promotions link reads outside", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry", "refused"))
			plantFile(t, filepath.Join(outside, "refused.jsonl"), `{"environment":"prod","from":"staging","by":"x","reason":"`+outsideCanary+`"}`+"\n")
			plantLink(t, filepath.Join(outside, "refused.jsonl"), filepath.Join(dir, ".ferry", "refused", "prod.jsonl"))
		}, "history prod -o json", ".ferry/refused/prod.jsonl"},
		{"history: refused directory link", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry"))
			plantDir(t, filepath.Join(outside, "r"))
			plantFile(t, filepath.Join(outside, "r", "prod.jsonl"), `{"environment":"prod","from":"staging","by":"x","reason":"`+outsideCanary+`"}`+"\n")
			plantLink(t, filepath.Join(outside, "r"), filepath.Join(dir, ".ferry", "refused"))
		}, "history prod -o json", ".ferry/refused"},
		{"rollback: .ferry plain file", func(t *testing.T, dir, outside string) {
			plantFile(t, filepath.Join(dir, ".ferry"), "not a directory\n")
		}, "rollback staging", ".ferry: is a file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, outside := svcProject(t, "0s"), t.TempDir()
			plantFile(t, filepath.Join(outside, "id_rsa"), outsideCanary+"\n")
			tt.plant(t, dir, outside)
			confinedRun(t, dir, outside, tt.args, tt.want)
		})
	}
}

// TestRefusalRecordConfined: a promotion its gates refuse is recorded
// in .ferry/refused/<env>.jsonl; a committed link there is not appended
// to (the refusal itself still exits 1, the record is best effort).
func TestRefusalRecordConfined(t *testing.T) {
	dir, outside := svcProject(t, "0s"), t.TempDir()
	plantFile(t, filepath.Join(outside, "id_rsa"), outsideCanary+"\n")
	plantDir(t, filepath.Join(dir, ".ferry", "refused"))
	plantLink(t, filepath.Join(outside, "id_rsa"), filepath.Join(dir, ".ferry", "refused", "prod.jsonl"))
	before := listing(t, outside)
	_, errOut, code := run(t, "-C "+dir+" promote staging prod")
	if code != ExitFailed || !strings.Contains(errOut, "nothing is deployed") {
		t.Fatalf("promote with nothing in staging = %d %q, want %d", code, errOut, ExitFailed)
	}
	if after := listing(t, outside); after != before {
		t.Errorf("appended the refusal outside the project:\nbefore %s\nafter  %s", before, after)
	}
}

// TestSecretKeyConfined: a committed .ferry/secret.key link (dangling,
// to a file ferry would create outside, or to a key of the attacker's)
// is refused by deploy with exit 2, and no key is written outside.
func TestSecretKeyConfined(t *testing.T) {
	slow(t, "builds a service")
	dir, outside := svcProject(t, "0s"), t.TempDir()
	if _, errOut, code := run(t, "-C "+dir+" build"); code != 0 {
		t.Fatalf("build: %s", errOut)
	}
	for _, target := range []string{filepath.Join(outside, "secret.key"), filepath.Join(outside, "chosen.key")} {
		key := filepath.Join(dir, ".ferry", "secret.key")
		os.Remove(key)
		if strings.HasSuffix(target, "chosen.key") {
			if err := os.WriteFile(target, []byte(strings.Repeat("k", 32)), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		plantLink(t, target, key)
		confinedRun(t, dir, outside, "deploy staging", ".ferry/secret.key")
	}
}

// confinedRun runs ferry in dir and wants exit 2 with one line naming
// want, nothing of outside printed and nothing outside changed.
func confinedRun(t *testing.T, dir, outside, args, want string) {
	t.Helper()
	before := listing(t, outside)
	out, errOut, code := run(t, "-C "+dir+" "+args)
	if code != ExitUsage {
		t.Fatalf("ferry %s: exit %d, want %d\n%s%s", args, code, ExitUsage, out, errOut)
	}
	if !strings.Contains(errOut, want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
		t.Errorf("stderr %q: want one line naming %q", errOut, want)
	}
	if strings.Contains(out+errOut, outsideCanary) {
		t.Errorf("printed the outside file: %s%s", out, errOut)
	}
	if after := listing(t, outside); after != before {
		t.Errorf("wrote outside the project:\nbefore %s\nafter  %s", before, after)
	}
}
