package sopsvalues_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/ferrydev/ferry/check"
	"github.com/ferrydev/ferry/internal/cli"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/secret"
	"github.com/ferrydev/ferry/sopsvalues"
)

// The plaintext of production's values, encrypted at test time: every
// leaf string below must stay out of every output.
var prodSecrets = []string{
	"rediss://billing-cache.prod.internal:6380/0", "hooks.billing.acme-payments.com",
	"billing-db.prod.internal", "billing_app", "Vq7-prod-db-3f9a1c", "sk_live_51HxAcmeBillingProdKey",
}

// sopsRun runs the sops on PATH in dir, with stdin empty.
func sopsRun(t *testing.T, dir string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command("sops", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("sops %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// keyKind is how a fixture's production values are encrypted.
type keyKind int

const (
	ageKey keyKind = iota
	pgpKey
)

// keys are the fixture's: a fresh age identity, and for PGP the
// fingerprint of a key in gnupg (a GNUPGHOME of its own).
type keys struct {
	age    *age.X25519Identity
	pgp    string
	gnupg  string
	sopsOn string // the directory of the sops under test
}

// fixture copies testdata/billing (a NestJS service whose chart sits in
// deploy/helm) and writes its production values encrypted by sops, as
// `sops -e --age` or `sops -e --pgp` does, for fresh keys. It returns the
// project directory, the keys and the encrypted file. The key stays out
// of the environment; each test puts it where it means to.
func fixture(t *testing.T, kind keyKind) (string, keys, []byte) {
	t.Helper()
	var k keys
	k.sopsOn = useSops(t)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	k.age = id
	dir, plain := billing(t)
	in := filepath.Join(t.TempDir(), "values-prod.yaml")
	if err := os.WriteFile(in, plain, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--encrypt", "--input-type", "yaml", "--output-type", "yaml"}
	switch kind {
	case ageKey:
		args = append(args, "--age", id.Recipient().String())
	case pgpKey:
		k.gnupg, k.pgp = gnupgKey(t)
		t.Setenv("GNUPGHOME", k.gnupg)
		args = append(args, "--pgp", k.pgp)
	}
	enc, err := sopsRun(t, dir, append(args, in)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range prodSecrets {
		if bytes.Contains(enc, []byte(s)) {
			t.Fatalf("the encrypted file holds %q in clear", s)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "deploy/helm/values-prod.yaml"), enc, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, k, enc
}

// billing copies testdata/billing into a temporary project and returns
// it with production's plaintext values, not yet written.
func billing(t *testing.T) (dir string, prod []byte) {
	t.Helper()
	dir = t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/billing")); err != nil {
		t.Fatal(err)
	}
	prod, err := os.ReadFile("testdata/plain/values-prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return dir, prod
}

// gnupgKey makes a GNUPGHOME with one fresh PGP key without a passphrase
// (ed25519, with a cv25519 subkey to encrypt to) and returns the home and
// the key's fingerprint. Its gpg-agent is stopped at the end of the test.
func gnupgKey(t *testing.T) (home, fpr string) {
	t.Helper()
	if _, err := exec.LookPath("gpg"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("gpg is needed for the PGP tests: %v", err)
		}
		t.Skipf("gpg not installed: %v", err)
	}
	// gpg-agent's socket path must stay short: not under t.TempDir().
	home, err := os.MkdirTemp("", "gpg")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	gpg := func(args ...string) []byte {
		cmd := exec.Command("gpg", append([]string{"--batch", "--homedir", home}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("gpg %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "gpg-agent").Run()
		os.RemoveAll(home)
	})
	gpg("--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", "Billing Prod <billing-prod@acme-payments.example>", "future-default", "default", "never")
	for _, l := range strings.Split(string(gpg("--with-colons", "--list-secret-keys")), "\n") {
		if f := strings.Split(l, ":"); f[0] == "fpr" && len(f) > 9 {
			return home, f[9]
		}
	}
	t.Fatal("gpg listed no fingerprint")
	return "", ""
}

// lineOf is the line of the encrypted file that sets key: what
// provenance must name.
func lineOf(t *testing.T, enc []byte, key string) int {
	t.Helper()
	re := regexp.MustCompile(`^\s*` + regexp.QuoteMeta(key) + `:`)
	for i, l := range strings.Split(string(enc), "\n") {
		if re.MatchString(l) {
			return i + 1
		}
	}
	t.Fatalf("%s not in the encrypted file", key)
	return 0
}

// noKeys leaves sops nothing to find: no key variables, and a config
// directory without sops/age/keys.txt.
func noKeys(t *testing.T) string {
	home := t.TempDir()
	for _, v := range []string{"SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE", "SOPS_AGE_SSH_PRIVATE_KEY_CMD"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("GNUPGHOME", filepath.Join(home, ".gnupg"))
	return home
}

func renderEnv(t *testing.T, dir, env string) (*render.Result, error) {
	t.Helper()
	p, err := project.Load(dir)
	if err != nil {
		t.Fatalf("project.Load: %v", err)
	}
	return render.Render(t.Context(), p, env)
}

// TestDecrypt renders production through ferry with the key in each
// place sops looks: the values reach the container, secret, with the
// encrypted file's lines as their sources.
func TestDecrypt(t *testing.T) {
	sopsvalues.Install()
	tests := []struct {
		name string
		kind keyKind
		key  func(t *testing.T, home string, k keys)
	}{
		{"SOPS_AGE_KEY", ageKey, func(t *testing.T, _ string, k keys) {
			t.Setenv("SOPS_AGE_KEY", k.age.String())
		}},
		{"SOPS_AGE_KEY_FILE", ageKey, func(t *testing.T, home string, k keys) {
			f := filepath.Join(home, "prod.agekey")
			writeKey(t, f, k.age)
			t.Setenv("SOPS_AGE_KEY_FILE", f)
		}},
		{"default keys file", ageKey, func(t *testing.T, home string, k keys) {
			writeKey(t, filepath.Join(home, ".config", "sops", "age", "keys.txt"), k.age)
		}},
		{"PGP key in gpg", pgpKey, func(t *testing.T, _ string, k keys) {
			t.Setenv("GNUPGHOME", k.gnupg)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := noKeys(t)
			dir, k, enc := fixture(t, tt.kind)
			t.Setenv("GNUPGHOME", filepath.Join(home, ".gnupg"))
			tt.key(t, home, k)
			res, err := renderEnv(t, dir, "prod")
			if err != nil {
				t.Fatalf("render prod: %v", err)
			}
			const file = "deploy/helm/values-prod.yaml"
			want := []struct {
				key, value, source string
			}{
				{"REDIS_URL", "rediss://billing-cache.prod.internal:6380/0", file},
				{"PAYMENT_WEBHOOK_HOST", "hooks.billing.acme-payments.com", file},
				{"LOG_LEVEL", "warn", file},
				{"DB_HOST", "billing-db.prod.internal", file},
				{"DATABASE_PASSWORD", "Vq7-prod-db-3f9a1c", file},
				{"STRIPE_API_KEY", "sk_live_51HxAcmeBillingProdKey", file},
				// Computed from decrypted and clear values.
				{"DATABASE_URL", "postgresql://billing_app@billing-db.prod.internal:5432/billing", "template"},
			}
			for _, w := range want {
				e, ok := res.Config.Get(w.key)
				if !ok {
					t.Fatalf("%s not rendered", w.key)
				}
				if e.Value != w.value || !e.Secret || !e.Source.Encrypted || e.Display() != secret.Redacted {
					t.Errorf("%s = %q (secret %v, encrypted %v, shown %q), want %q, secret and redacted", w.key, e.Value, e.Secret, e.Source.Encrypted, e.Display(), w.value)
				}
				if w.source == file {
					leaf := w.key
					if w.key == "DB_HOST" {
						leaf = "host"
					}
					if e.Source.File != file || e.Source.Line != lineOf(t, enc, leaf) {
						t.Errorf("%s from %s, want %s:%d", w.key, e.Source, file, lineOf(t, enc, leaf))
					}
				} else if e.Source.Kind != render.KindTemplate {
					t.Errorf("%s from %s, want the template", w.key, e.Source)
				}
			}
			// A key only the clear base sets stays clear.
			if e, _ := res.Config.Get("NODE_ENV"); e.Secret || e.Display() != "production" {
				t.Errorf("NODE_ENV shown %q (secret %v), want production in clear", e.Display(), e.Secret)
			}
		})
	}
}

func writeKey(t *testing.T, path string, id *age.X25519Identity) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("# created: today\n# public key: "+id.Recipient().String()+"\n"+id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestCheckNeverShowsDecrypted checks the decrypted project: no finding
// prints a decrypted value, and FERRY041 does not call the encrypted
// file's values committed literals.
func TestCheckNeverShowsDecrypted(t *testing.T) {
	sopsvalues.Install()
	noKeys(t)
	dir, k, _ := fixture(t, ageKey)
	t.Setenv("SOPS_AGE_KEY", k.age.String())
	rep, err := check.Project(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) > 0 {
		t.Fatalf("problems: %+v", rep.Problems)
	}
	var out bytes.Buffer
	if err := check.WriteJSON(&out, []*check.Report{rep}); err != nil {
		t.Fatal(err)
	}
	if err := check.WriteText(&out, []*check.Report{rep}, check.TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, s := range prodSecrets {
		if strings.Contains(out.String(), s) {
			t.Errorf("check output shows decrypted %q", s)
		}
	}
	for _, f := range rep.Findings {
		if f.Rule == "FERRY041" && strings.Contains(f.File, "values-prod") {
			t.Errorf("FERRY041 on the encrypted file: %s", f.Message)
		}
	}
}

// TestNoKey: without a key, without sops, or with a file sops refuses,
// the environment is unreadable, in one line at the sops: section that
// names sops and what to do; the plain environment next to it still
// renders.
func TestNoKey(t *testing.T) {
	tests := []struct {
		name    string
		kind    keyKind
		install bool
		setup   func(t *testing.T, dir string, k keys) // after the keys are gone
		want    func(k keys) []string
	}{
		{"no age key", ageKey, true, nil, func(k keys) []string {
			return []string{"is SOPS-encrypted and could not be decrypted: sops found no key to decrypt it", "set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY)", "sops/age/keys.txt", k.age.Recipient().String()}
		}},
		{"no PGP key", pgpKey, true, nil, func(k keys) []string {
			return []string{"sops found no key to decrypt it: import the PGP key " + k.pgp + " into gpg"}
		}},
		{"no sops on PATH", ageKey, true, func(t *testing.T, _ string, k keys) {
			t.Setenv("SOPS_AGE_KEY", k.age.String())
			t.Setenv("PATH", t.TempDir())
		}, func(keys) []string {
			return []string{"decrypting it needs the sops command, and none is on PATH: install sops"}
		}},
		{"edited after encryption", ageKey, true, func(t *testing.T, dir string, k keys) {
			t.Setenv("SOPS_AGE_KEY", k.age.String())
			edit(t, filepath.Join(dir, "deploy/helm/values-prod.yaml"), regexp.MustCompile(`lastmodified: "[^"]*"`), `lastmodified: "2024-01-02T03:04:05Z"`)
		}, func(keys) []string {
			return []string{"sops refused it: its MAC does not match its values"}
		}},
		{"ciphertext damaged", ageKey, true, func(t *testing.T, dir string, k keys) {
			t.Setenv("SOPS_AGE_KEY", k.age.String())
			edit(t, filepath.Join(dir, "deploy/helm/values-prod.yaml"), regexp.MustCompile(`(REDIS_URL: ENC\[AES256_GCM,data:)[^,]{4}`), `${1}AAAA`)
		}, func(keys) []string {
			return []string{"is SOPS-encrypted and could not be decrypted: ", "sops failed (exit status"}
		}},
		{"no decrypter", ageKey, false, nil, func(keys) []string {
			return []string{"is SOPS-encrypted and this ferry was built without SOPS decryption"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.install {
				sopsvalues.Install()
			} else {
				// As a program that does not install it; the CLI, linked
				// into this test, does.
				render.SetDecrypter(nil)
				t.Cleanup(sopsvalues.Install)
			}
			home := noKeys(t)
			dir, k, enc := fixture(t, tt.kind)
			t.Setenv("GNUPGHOME", filepath.Join(home, ".gnupg"))
			if tt.setup != nil {
				tt.setup(t, dir, k)
			}
			_, err := renderEnv(t, dir, "prod")
			var ie *render.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("render prod: %v, want an InputError", err)
			}
			msg := err.Error()
			t.Log(msg)
			for _, w := range append(tt.want(k), "deploy/helm/values-prod.yaml:") {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if ie.Line != lineOf(t, enc, "sops") {
				t.Errorf("error at line %d, want the sops: line %d", ie.Line, lineOf(t, enc, "sops"))
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, s := range prodSecrets {
				if strings.Contains(msg, s) {
					t.Errorf("error shows decrypted %q", s)
				}
			}
			res, err := renderEnv(t, dir, "staging")
			if err != nil {
				t.Fatalf("render staging: %v", err)
			}
			if e, _ := res.Config.Get("RELEASE_NOTES"); e.Secret || e.Source.Encrypted || e.Display() != "rolled out by the sops-free staging pipeline" {
				t.Errorf("staging RELEASE_NOTES shown %q (secret %v): a plain file that mentions sops is plain", e.Display(), e.Secret)
			}
		})
	}
}

// edit replaces re's first match in the file at path with repl.
func edit(t *testing.T, path string, re *regexp.Regexp, repl string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	loc := re.FindIndex(b)
	if loc == nil {
		t.Fatalf("%s: no match for %s", path, re)
	}
	out := append(append([]byte{}, b[:loc[0]]...), re.Expand(nil, []byte(repl), b, re.FindSubmatchIndex(b))...)
	if err := os.WriteFile(path, append(out, b[loc[1]:]...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCheckWithoutSOPS: on a project without SOPS files ferry never runs
// sops, nor needs one on PATH. The spy on PATH is a fake by design: it
// only records that it ran.
func TestCheckWithoutSOPS(t *testing.T) {
	sopsvalues.Install()
	dir, plain := billing(t)
	if err := os.WriteFile(filepath.Join(dir, "deploy/helm/values-prod.yaml"), plain, 0o644); err != nil {
		t.Fatal(err)
	}
	spyDir := t.TempDir()
	ran := filepath.Join(spyDir, "ran")
	if err := os.WriteFile(filepath.Join(spyDir, "sops"), []byte("#!/bin/sh\ntouch "+ran+"\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{spyDir, t.TempDir()} {
		t.Setenv("PATH", path)
		var out, errOut bytes.Buffer
		code := cli.Main(t.Context(), []string{"-C", dir, "check"}, cli.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
		// Production's committed secrets are findings (exit 1); bad
		// input (2) would mean ferry wanted sops.
		if code > cli.ExitFailed || strings.Contains(errOut.String(), "sops") {
			t.Errorf("PATH=%s: check exit %d, want 0 or 1 and no word of sops:\n%s%s", path, code, out.String(), errOut.String())
		}
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("check ran sops on a project without SOPS files")
	}
}

// TestCLINeverPrints runs ferry's commands on the decrypted project:
// every output format shows the decrypted values redacted, never in
// clear, and still names where they were set.
func TestCLINeverPrints(t *testing.T) {
	noKeys(t)
	dir, k, enc := fixture(t, ageKey)
	t.Setenv("SOPS_AGE_KEY", k.age.String())
	where := "deploy/helm/values-prod.yaml:" + strconv.Itoa(lineOf(t, enc, "REDIS_URL"))
	tests := []struct {
		args string
		code int
		want []string
	}{
		{"render prod", 0, []string{"REDIS_URL", secret.Redacted, where}},
		{"render prod -o json", 0, []string{`"REDIS_URL"`, where}},
		{"render prod -o dotenv", 0, []string{"REDIS_URL"}},
		{"diff staging prod", 0, []string{"REDIS_URL"}},
		{"diff staging prod -o json", 0, []string{"REDIS_URL"}},
		{"check -o json", -1, []string{`"findings"`}},
		{"check -o sarif", -1, []string{`"runs"`}},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := cli.Main(t.Context(), append([]string{"-C", dir}, strings.Fields(tt.args)...), cli.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
			all := out.String() + errOut.String()
			if tt.code >= 0 && code != tt.code {
				t.Errorf("exit %d, want %d:\n%s", code, tt.code, all)
			}
			if code == cli.ExitUsage {
				t.Errorf("exit 2: prod was not decrypted:\n%s", all)
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
			for _, s := range prodSecrets {
				if strings.Contains(all, s) {
					t.Errorf("output shows decrypted %q:\n%s", s, all)
				}
			}
		})
	}
}
