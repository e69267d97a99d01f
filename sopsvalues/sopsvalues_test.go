package sopsvalues_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/getsops/sops/v3"
	"github.com/getsops/sops/v3/aes"
	sopsage "github.com/getsops/sops/v3/age"
	"github.com/getsops/sops/v3/config"
	sopsyaml "github.com/getsops/sops/v3/stores/yaml"

	"github.com/ferrydev/ferry/check"
	"github.com/ferrydev/ferry/internal/cli"
	"github.com/ferrydev/ferry/project"
	"github.com/ferrydev/ferry/render"
	"github.com/ferrydev/ferry/sopsvalues"
)

// The plaintext of production's values, encrypted at test time: every
// leaf string below must stay out of every output.
var prodSecrets = []string{
	"rediss://billing-cache.prod.internal:6380/0", "hooks.billing.acme-payments.com",
	"billing-db.prod.internal", "billing_app", "Vq7-prod-db-3f9a1c", "sk_live_51HxAcmeBillingProdKey",
}

// encrypt encrypts a plaintext values file for recipient the way
// `sops -e --age` does, with the SOPS library itself.
func encrypt(t *testing.T, plain []byte, recipient string) []byte {
	t.Helper()
	store := sopsyaml.NewStore(&config.YAMLStoreConfig{})
	branches, err := store.LoadPlainFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	key, err := sopsage.MasterKeyFromRecipient(recipient)
	if err != nil {
		t.Fatal(err)
	}
	tree := sops.Tree{Branches: branches, Metadata: sops.Metadata{
		KeyGroups: []sops.KeyGroup{{key}}, UnencryptedSuffix: "_unencrypted", Version: "3.13.3",
	}}
	dataKey, errs := tree.GenerateDataKey()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	cipher := aes.NewCipher()
	mac, err := tree.Encrypt(dataKey, cipher)
	if err != nil {
		t.Fatal(err)
	}
	tree.Metadata.LastModified = time.Now().UTC()
	if tree.Metadata.MessageAuthenticationCode, err = cipher.Encrypt(mac, dataKey, tree.Metadata.LastModified.Format(time.RFC3339)); err != nil {
		t.Fatal(err)
	}
	out, err := store.EmitEncryptedFile(tree)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fixture copies testdata/billing (a NestJS service whose chart sits in
// deploy/helm) and writes its production values encrypted for a fresh
// age identity. It returns the project directory, the identity and the
// encrypted file.
func fixture(t *testing.T) (string, *age.X25519Identity, []byte) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/billing")); err != nil {
		t.Fatal(err)
	}
	plain, err := os.ReadFile("testdata/plain/values-prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	enc := encrypt(t, plain, id.Recipient().String())
	for _, s := range prodSecrets {
		if bytes.Contains(enc, []byte(s)) {
			t.Fatalf("the encrypted file holds %q in clear", s)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "deploy/helm/values-prod.yaml"), enc, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, id, enc
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
		key  func(t *testing.T, home string, id *age.X25519Identity)
	}{
		{"SOPS_AGE_KEY", func(t *testing.T, _ string, id *age.X25519Identity) {
			t.Setenv("SOPS_AGE_KEY", id.String())
		}},
		{"SOPS_AGE_KEY_FILE", func(t *testing.T, home string, id *age.X25519Identity) {
			f := filepath.Join(home, "prod.agekey")
			writeKey(t, f, id)
			t.Setenv("SOPS_AGE_KEY_FILE", f)
		}},
		{"default keys file", func(t *testing.T, home string, id *age.X25519Identity) {
			writeKey(t, filepath.Join(home, ".config", "sops", "age", "keys.txt"), id)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := noKeys(t)
			dir, id, enc := fixture(t)
			tt.key(t, home, id)
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
				if e.Value != w.value || !e.Secret || !e.Source.Encrypted || e.Display() != render.Redacted {
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
	dir, id, _ := fixture(t)
	t.Setenv("SOPS_AGE_KEY", id.String())
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

// TestNoKey: without a key the environment is unreadable, with the line
// of the sops: section and the variables to set; the plain environment
// next to it still renders.
func TestNoKey(t *testing.T) {
	tests := []struct {
		name    string
		install bool
		want    []string
	}{
		{"no key", true, []string{"deploy/helm/values-prod.yaml:", "is SOPS-encrypted and could not be decrypted", "set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY)", "sops/age/keys.txt"}},
		{"no decrypter", false, []string{"is SOPS-encrypted and this ferry was built without SOPS decryption"}},
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
			noKeys(t)
			dir, id, enc := fixture(t)
			_, err := renderEnv(t, dir, "prod")
			var ie *render.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("render prod: %v, want an InputError", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if ie.Line != lineOf(t, enc, "sops") {
				t.Errorf("error at line %d, want the sops: line %d", ie.Line, lineOf(t, enc, "sops"))
			}
			if tt.install && !strings.Contains(msg, id.Recipient().String()) {
				t.Errorf("error %q does not name the recipient", msg)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
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

// TestCLINeverPrints runs ferry's commands on the decrypted project:
// every output format shows the decrypted values redacted, never in
// clear, and still names where they were set.
func TestCLINeverPrints(t *testing.T) {
	noKeys(t)
	dir, id, enc := fixture(t)
	t.Setenv("SOPS_AGE_KEY", id.String())
	where := "deploy/helm/values-prod.yaml:" + strconv.Itoa(lineOf(t, enc, "REDIS_URL"))
	tests := []struct {
		args string
		code int
		want []string
	}{
		{"render prod", 0, []string{"REDIS_URL", render.Redacted, where}},
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
