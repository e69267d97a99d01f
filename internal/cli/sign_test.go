package cli

import (
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/ferrydev/ferry/sign"
)

// loopbackRegistry starts a real registry (go-containerregistry's) on
// loopback for the test and returns its host:port.
func loopbackRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// keyPair generates a key pair with ferry keys generate into dir and
// returns the private and public key paths.
func keyPair(t *testing.T, dir, prefix, alg string) (string, string) {
	t.Helper()
	t.Setenv(sign.EnvPassword, "correct horse battery")
	out, errOut, code := run(t, "-C "+dir+" keys generate --algorithm "+alg+" --out "+prefix)
	if code != 0 {
		t.Fatalf("keys generate = %d\n%s%s", code, out, errOut)
	}
	return filepath.Join(dir, prefix+".key"), filepath.Join(dir, prefix+".pub")
}

func TestKeysGenerate(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(sign.EnvPassword, "")
	if _, errOut, code := run(t, "-C "+dir+" keys generate"); code != 2 || !strings.Contains(errOut, "set FERRY_SIGNING_PASSWORD") {
		t.Fatalf("keys generate without a passphrase = %d %q, want 2 naming the variable", code, errOut)
	}
	priv, pub := keyPair(t, dir, "keys/ci", "ed25519")
	st, err := os.Stat(priv)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key %s: %v, mode %v; want 0600", priv, err, st.Mode())
	}
	data, _ := os.ReadFile(pub)
	if _, err := sign.LoadPublicKey(pub, data); err != nil {
		t.Errorf("public key: %v", err)
	}
	if _, errOut, code := run(t, "-C "+dir+" keys generate --out keys/ci"); code != 2 || !strings.Contains(errOut, "exists: --force replaces it") {
		t.Errorf("keys generate over existing keys = %d %q, want 2", code, errOut)
	}
	if _, errOut, code := run(t, "-C "+dir+" keys generate --algorithm rsa --out other"); code != 2 || !strings.Contains(errOut, `algorithm "rsa"`) {
		t.Errorf("keys generate --algorithm rsa = %d %q, want 2", code, errOut)
	}
}

// TestBuildSignPush: build --sign --push puts the image and its signature
// in a real registry (go-containerregistry's, on loopback), where the
// public key verifies it; bad keys are refused before anything is built.
func TestBuildSignPush(t *testing.T) {
	dir := svcProject(t, "1s")
	priv, pub := keyPair(t, t.TempDir(), "ci", "ecdsa-p256")
	repo := loopbackRegistry(t) + "/team/svc"
	c := "-C " + dir + " "

	bad := []struct {
		name, args, env, want string
	}{
		{"wrong passphrase", "build --sign --key " + priv, "wrong", "wrong passphrase (FERRY_SIGNING_PASSWORD)"},
		{"public key as private", "build --sign --key " + pub, "correct horse battery", "not a key"},
		{"no key at all", "build --sign", "correct horse battery", "pass --key or set FERRY_SIGNING_KEY"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(sign.EnvPassword, tt.env)
			t.Setenv(sign.EnvKey, "")
			_, errOut, code := run(t, c+tt.args)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Errorf("ferry %s = %d %q, want 2 with %q", tt.args, code, errOut, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, ".ferry", "images", "last-build")); err == nil {
		t.Fatalf("a refused key still built the image")
	}

	t.Setenv(sign.EnvPassword, "correct horse battery")
	pemData, _ := os.ReadFile(priv)
	t.Setenv(sign.EnvKey, string(pemData)) // as a CI secret store hands it over
	out, errOut, code := run(t, c+"build --tag 1.0.0 --sign --push "+repo+":1.0.0")
	if code != 0 {
		t.Fatalf("build --sign --push = %d\n%s%s", code, out, errOut)
	}
	digest := strings.TrimSpace(out)
	if strings.Contains(out+errOut, "BEGIN") {
		t.Errorf("the key's PEM was printed:\n%s%s", out, errOut)
	}
	r, _ := name.NewRepository(repo)
	sigs, err := sign.Remote(t.Context(), r, digest)
	if err != nil || len(sigs) != 1 {
		t.Fatalf("registry signatures of %s = %d, %v; want 1", digest, len(sigs), err)
	}
	pubData, _ := os.ReadFile(pub)
	pk, _ := sign.LoadPublicKey(pub, pubData)
	if res := (&sign.Policy{Keys: []*sign.PublicKey{pk}}).Verify(digest, sigs); !res.OK() {
		t.Errorf("pushed signature: %s", res.Reason)
	}
	c2, _ := sigs[0].Claims()
	if c2.Reference != repo || c2.Signer == "" {
		t.Errorf("claims %+v: want the pushed repository and a signer", c2)
	}

	// ferry sign adds a second signature, here and there.
	out, errOut, code = run(t, c+"sign 1.0.0 --signer release-manager --push "+repo)
	if code != 0 || !strings.Contains(out, "signed "+digest) || !strings.Contains(out, "as release-manager") {
		t.Fatalf("sign = %d\n%s%s", code, out, errOut)
	}
	if sigs, _ = sign.Remote(t.Context(), r, digest); len(sigs) != 2 {
		t.Errorf("registry has %d signatures after ferry sign, want 2", len(sigs))
	}
}
