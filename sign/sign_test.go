package sign

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/ferrydev/ferry/artifact"
)

func digestOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

type keyPair struct {
	signer *Signer
	pub    *PublicKey
	pubPEM []byte
}

func newKey(t testing.TB, alg Algorithm) keyPair {
	t.Helper()
	priv, pub, err := GenerateKeyPair(alg, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadSigner("test.key", priv, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	pk, err := LoadPublicKey("test.pub", pub)
	if err != nil {
		t.Fatal(err)
	}
	if s.KeyID != pk.KeyID {
		t.Fatalf("private key id %s, public key id %s", s.KeyID, pk.KeyID)
	}
	return keyPair{s, pk, pub}
}

func TestKeys(t *testing.T) {
	for _, alg := range []Algorithm{ECDSAP256, Ed25519} {
		t.Run(string(alg), func(t *testing.T) {
			priv, pub, err := GenerateKeyPair(alg, []byte("pw"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(priv), "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----") {
				t.Errorf("private key PEM starts %q, want an encrypted sigstore key", string(priv)[:40])
			}
			if _, err := LoadSigner("k", priv, []byte("wrong")); !errors.Is(err, ErrPassword) {
				t.Errorf("LoadSigner(wrong passphrase) = %v, want ErrPassword", err)
			}
			if _, err := LoadSigner("k", pub, []byte("pw")); !errors.Is(err, ErrNotKey) {
				t.Errorf("LoadSigner(public key) = %v, want ErrNotKey", err)
			}
			if _, err := LoadPublicKey("k", priv); !errors.Is(err, ErrNotKey) {
				t.Errorf("LoadPublicKey(private key) = %v, want ErrNotKey", err)
			}
		})
	}
	if _, err := LoadPublicKey("notes.txt", []byte("this is not a key\n")); !errors.Is(err, ErrNotKey) || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("LoadPublicKey(text) = %v, want ErrNotKey naming the file", err)
	}
	if _, _, err := GenerateKeyPair(ECDSAP256, nil); err == nil || !strings.Contains(err.Error(), EnvPassword) {
		t.Errorf("GenerateKeyPair(no passphrase) = %v, want an error naming %s", err, EnvPassword)
	}
}

func TestLoadSignerFrom(t *testing.T) {
	priv, _, err := GenerateKeyPair(Ed25519, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ferry.key")
	os.WriteFile(file, priv, 0o600)
	t.Setenv(EnvPassword, "pw")
	tests := []struct {
		name, ref, env, other, wantErr string
	}{
		{name: "file", ref: file},
		{name: "PEM in the variable", env: string(priv)},
		{name: "path in the variable", env: file},
		{name: "env reference", ref: "env://SIGNING_PEM", other: string(priv)},
		{name: "nothing", wantErr: "pass --key or set FERRY_SIGNING_KEY"},
		{name: "KMS", ref: "awskms:///alias/ferry", wantErr: "awskms:// keys are not supported yet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvKey, tt.env)
			t.Setenv("SIGNING_PEM", tt.other)
			s, err := LoadSignerFrom(tt.ref)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadSignerFrom(%q) = %v, want %q", tt.ref, err, tt.wantErr)
				}
				return
			}
			if err != nil || !strings.HasPrefix(s.KeyID, "sha256:") {
				t.Fatalf("LoadSignerFrom(%q) = %v", tt.ref, err)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	trusted := newKey(t, ECDSAP256)
	trustedEd := newKey(t, Ed25519)
	stranger := newKey(t, ECDSAP256)
	a, b := digestOf("image a"), digestOf("image b")
	signed := func(k keyPair, d string) Signature {
		s, err := Sign(k.signer, "orders-api", d, "ci@runner")
		if err != nil {
			t.Fatal(err)
		}
		return *s
	}
	tamper := func(s Signature) Signature {
		s.Payload = []byte(strings.Replace(string(s.Payload), "ci@runner", "mallory", 1))
		return s
	}
	policy := &Policy{Keys: []*PublicKey{trusted.pub, trustedEd.pub}}
	tests := []struct {
		name   string
		policy *Policy
		sigs   []Signature
		want   State
		reason string
	}{
		{"ecdsa", policy, []Signature{signed(trusted, a)}, Verified, "is signed by test.pub"},
		{"ed25519", policy, []Signature{signed(trustedEd, a)}, Verified, "signer ci@runner"},
		{"one good among others", policy, []Signature{signed(stranger, a), signed(trusted, a)}, Verified, "signed by"},
		{"unsigned", policy, nil, Unsigned, "is unsigned: no signature under sha256-"},
		{"unknown key", policy, []Signature{signed(stranger, a)}, UnknownKey, "trust.keys does not list"},
		{"moved from another digest", policy, []Signature{signed(trusted, b)}, OtherDigest, "made for another digest, " + b},
		{"tampered payload", policy, []Signature{tamper(signed(trusted, a))}, Tampered, "does not verify: its payload or signature was altered"},
		{"key removed from the policy after signing", &Policy{Keys: []*PublicKey{trustedEd.pub}}, []Signature{signed(trusted, a)}, UnknownKey, "trust.keys does not list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.policy.Verify(a, tt.sigs)
			if got.State != tt.want || !strings.Contains(got.Reason, tt.reason) || !strings.Contains(got.Reason, a[:19]) {
				t.Errorf("Verify = %s %q, want %s with %q naming the digest", got.State, got.Reason, tt.want, tt.reason)
			}
		})
	}
}

// TestStores: signatures kept in the local image layout under cosign's
// tag, pushed to a real registry (go-containerregistry's, on loopback)
// and read back from it.
func TestStores(t *testing.T) {
	k := newKey(t, ECDSAP256)
	d := digestOf("image")
	local := Store{Images: artifact.NewStore(t.TempDir())}
	if sigs, err := local.Signatures(d); err != nil || len(sigs) != 0 {
		t.Fatalf("Signatures(empty store) = %v, %v", sigs, err)
	}
	s1, _ := Sign(k.signer, "orders-api", d, "dev@laptop")
	s2, _ := Sign(k.signer, "orders-api", d, "ci@runner")
	for _, s := range []*Signature{s1, s1, s2} {
		if err := local.Add(d, s); err != nil {
			t.Fatal(err)
		}
	}
	sigs, err := local.Signatures(d)
	if err != nil || len(sigs) != 2 {
		t.Fatalf("local Signatures = %d, %v; want 2 (the repeated one once)", len(sigs), err)
	}
	if r := (&Policy{Keys: []*PublicKey{k.pub}}).Verify(d, sigs); !r.OK() || r.Signer != "dev@laptop" {
		t.Errorf("local signature: %+v", r)
	}
	if _, err := local.Images.Resolve(""); err == nil {
		t.Errorf("storing a signature recorded a last build")
	}

	srv := httptest.NewServer(registry.New())
	defer srv.Close()
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/team/orders-api")
	if err != nil {
		t.Fatal(err)
	}
	if sigs, err := Remote(t.Context(), repo, d); err != nil || len(sigs) != 0 {
		t.Fatalf("Remote(no signature) = %v, %v; want none, no error", sigs, err)
	}
	for range 2 {
		if n, err := local.Push(t.Context(), repo, d); err != nil || n != 2 {
			t.Fatalf("Push = %d, %v", n, err)
		}
	}
	got, err := Remote(t.Context(), repo, d)
	if err != nil || len(got) != 2 {
		t.Fatalf("Remote = %d signatures, %v; want 2 after pushing twice", len(got), err)
	}
	c, err := got[1].Claims()
	if err != nil || c.Digest != d || c.Signer != "ci@runner" || c.KeyID != k.signer.KeyID {
		t.Errorf("Claims = %+v, %v", c, err)
	}
}

// TestVerifyPrintsNoEscapes: a signer name in a signature's payload is
// anyone's to write; a terminal escape planted there (a window title, a
// screen clear) never reaches the result ferry prints.
func TestVerifyPrintsNoEscapes(t *testing.T) {
	k := newKey(t, ECDSAP256)
	stranger := newKey(t, ECDSAP256)
	a := digestOf("image a")
	const planted = "\x1b]0;pwned\x07ci\x1b[2J@runner\u202e"
	for _, tt := range []struct {
		name string
		key  keyPair
	}{{"trusted", k}, {"unknown key", stranger}} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Sign(tt.key.signer, "orders-api", a, planted)
			if err != nil {
				t.Fatal(err)
			}
			got := (&Policy{Keys: []*PublicKey{k.pub}}).Verify(a, []Signature{*s})
			for _, f := range []string{got.Signer, got.Reason, got.Key, got.KeyID} {
				if strings.ContainsAny(f, "\x1b\x07\u202e") {
					t.Errorf("%s result carries an escape: %q", got.State, f)
				}
			}
			if got.Signer != "ci@runner" {
				t.Errorf("signer = %q, want the printable rest, ci@runner", got.Signer)
			}
		})
	}
}

// TestPolicyKeysConfined: a trust key is read from the project only. The
// same public key in the project loads; linked from outside, it is
// refused by name.
func TestPolicyKeysConfined(t *testing.T) {
	k := newKey(t, ECDSAP256)
	outside := filepath.Join(t.TempDir(), "ferry.pub")
	if err := os.WriteFile(outside, k.pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ci.pub"), k.pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "ferry.pub")); err != nil {
		t.Fatal(err)
	}
	if p, err := LoadPolicy(dir, []string{"ci.pub"}, nil); err != nil || len(p.Keys) != 1 {
		t.Fatalf("LoadPolicy(ci.pub) = %v, %v; want one key", p, err)
	}
	_, err := LoadPolicy(dir, []string{"ferry.pub"}, nil)
	if err == nil || !strings.Contains(err.Error(), "ferry.pub is a symbolic link") {
		t.Errorf("LoadPolicy(ferry.pub linked from outside) = %v, want a refusal naming the link", err)
	}
}
