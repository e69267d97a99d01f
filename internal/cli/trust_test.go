package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/ferrydev/ferry/artifact"
	"github.com/ferrydev/ferry/sign"
)

// trustProject makes the project in dir require a signature in prod by
// trusted's public key, and the image named as a repository of reg.
func trustProject(t *testing.T, dir, trustedPub, repo string) string {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, "ferry.yaml"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "image: %s\ntrust:\n  keys: [%s]\n  require: [prod]\n", repo, trustedPub)
	f.Close()
	return dir
}

// inProject copies the public key pub into dir/keys and returns its path
// relative to dir, as ferry.yaml names it.
func inProject(t *testing.T, dir, pub string) string {
	t.Helper()
	data, err := os.ReadFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	rel := filepath.Join("keys", filepath.Base(pub))
	if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, rel), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return rel
}

// newBuild builds a new digest: configs/ is in the image, so a new line
// there is a new artifact.
func newBuild(t *testing.T, dir, tag string, signArgs string) string {
	t.Helper()
	f, _ := os.OpenFile(filepath.Join(dir, "configs", ".env"), os.O_APPEND|os.O_WRONLY, 0)
	fmt.Fprintf(f, "BUILD=%s\n", tag)
	f.Close()
	out, errOut, code := run(t, "-C "+dir+" build --tag "+tag+" "+signArgs)
	if code != 0 {
		t.Fatalf("build %s = %d\n%s%s", tag, code, out, errOut)
	}
	return strings.TrimSpace(out)
}

// TestSignatureGate promotes a signed digest to a prod that requires
// signatures, then refuses unsigned, untrusted, tampered and moved
// signatures with a message each; a signature that only the registry
// holds counts; a key dropped from the policy after signing no longer
// does, which verify and status report.
func TestSignatureGate(t *testing.T) {
	keys := t.TempDir()
	trustedKey, trustedPub := keyPair(t, keys, "ci", "ecdsa-p256")
	strangerKey, strangerPub := keyPair(t, keys, "stranger", "ed25519")
	repo := loopbackRegistry(t) + "/team/svc"
	dir := svcProject(t, "1s")
	// trust.keys name files inside the project (issue 18): the public
	// keys are committed there, the private ones stay outside.
	trustedPub, strangerPub = inProject(t, dir, trustedPub), inProject(t, dir, strangerPub)
	dir = trustProject(t, dir, trustedPub, repo)
	c := "-C " + dir + " "
	t.Setenv(sign.EnvKey, "")

	// promoteOf deploys digest to staging, lets it soak and promotes it.
	promoteOf := func(tag string) (string, int) {
		t.Helper()
		if out, errOut, code := run(t, c+"deploy staging --artifact "+tag); code != 0 {
			t.Fatalf("deploy staging %s = %d\n%s%s", tag, code, out, errOut)
		}
		time.Sleep(1100 * time.Millisecond)
		out, errOut, code := run(t, c+"promote staging prod")
		return out + errOut, code
	}

	signed := newBuild(t, dir, "1.0.0", "--sign --key "+trustedKey)
	if out, code := promoteOf("1.0.0"); code != 0 || !strings.Contains(out, "pass  signed by a trusted key") {
		t.Fatalf("promote a signed digest = %d\n%s", code, out)
	}
	out, _, _ := run(t, c+"history prod -o json")
	var h struct {
		Revisions []struct {
			Digest    string `json:"digest"`
			Signature *struct{ KeyID, Key, Signer string }
		} `json:"revisions"`
	}
	if err := json.Unmarshal([]byte(out), &h); err != nil || len(h.Revisions) != 1 || h.Revisions[0].Signature == nil ||
		h.Revisions[0].Signature.Key != trustedPub || h.Revisions[0].Signature.Signer == "" {
		t.Fatalf("prod history does not record the signing key: %v\n%s", err, out)
	}
	if out, _, code := run(t, c+"verify prod"); code != 0 || !strings.Contains(out, "signed by "+trustedPub) {
		t.Errorf("verify prod = %d %q, want ok and the signing key", code, out)
	}

	// Each refusal: exit 1, naming the digest and why.
	stranger, err := sign.LoadSignerFrom(strangerKey)
	if err != nil {
		t.Fatal(err)
	}
	trusted, err := sign.LoadSignerFrom(trustedKey)
	if err != nil {
		t.Fatal(err)
	}
	local := sign.Store{Images: artifact.NewStore(dir)}
	refusals := []struct {
		name string
		// prepare signs (or not) the digest built for the case.
		prepare func(digest string)
		want    string
	}{
		{"unsigned", func(string) {}, "is unsigned: no signature under sha256-"},
		{"untrusted key", func(d string) {
			s, _ := sign.Sign(stranger, repo, d, "someone@elsewhere")
			local.Add(d, s)
		}, "which ferry.yaml's trust.keys does not list"},
		{"tampered payload", func(d string) {
			s, _ := sign.Sign(trusted, repo, d, "ci@runner")
			s.Payload = []byte(strings.Replace(string(s.Payload), "ci@runner", "mallory", 1))
			local.Add(d, s)
		}, "does not verify: its payload or signature was altered"},
		{"signature of another digest moved here", func(d string) {
			s, _ := sign.Sign(trusted, repo, signed, "ci@runner")
			local.Add(d, s)
		}, "made for another digest, " + signed},
	}
	for i, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			tag := fmt.Sprintf("2.0.%d", i)
			d := newBuild(t, dir, tag, "")
			tt.prepare(d)
			out, code := promoteOf(tag)
			if code != 1 || !strings.Contains(out, tt.want) || !strings.Contains(out, d[:19]) {
				t.Errorf("promote = %d\n%s\nwant exit 1 naming %s and %q", code, out, d, tt.want)
			}
			_, errOut, code := run(t, c+"deploy prod --artifact "+tag)
			if code != 1 || !strings.Contains(errOut, "prod requires a signature") || !strings.Contains(errOut, tt.want) {
				t.Errorf("deploy prod = %d %q, want 1 with %q", code, errOut, tt.want)
			}
		})
	}

	// A signature only the registry holds counts; without it, unsigned.
	d := newBuild(t, dir, "3.0.0", "")
	if _, errOut, code := run(t, c+"deploy prod --artifact 3.0.0"); code != 1 || !strings.Contains(errOut, "is unsigned") {
		t.Fatalf("deploy prod with no signature anywhere = %d %q", code, errOut)
	}
	r, _ := name.NewRepository(repo)
	s, _ := sign.Sign(trusted, repo, d, "ci@runner")
	img, _ := sign.Append(nil, s)
	if err := remote.Write(r.Tag(sign.Tag(d)), img); err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := run(t, c+"deploy prod --artifact 3.0.0"); code != 0 {
		t.Fatalf("deploy prod signed in the registry only = %d\n%s%s", code, out, errOut)
	}

	// Dropping the key from the policy: the old signature stops counting.
	data, _ := os.ReadFile(filepath.Join(dir, "ferry.yaml"))
	os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte(strings.Replace(string(data), trustedPub, strangerPub, 1)), 0o644)
	out, _, code := run(t, c+"verify prod")
	if code != 1 || !strings.Contains(out, "signature unknown-key") {
		t.Errorf("verify prod after the key left the policy = %d %q, want 1 and unknown-key", code, out)
	}
	out, _, _ = run(t, c+"status")
	if !strings.Contains(out, "SIGNATURE") || !strings.Contains(out, "unknown-key (required)") {
		t.Errorf("status does not show prod's signature state:\n%s", out)
	}
}
