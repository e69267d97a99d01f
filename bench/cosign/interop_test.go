//go:build cosign

// Package cosign checks that ferry's signatures and cosign's are one
// format: run by interop.sh with a cosign binary built from its module.
package cosign

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/ferrydev/ferry/internal/cli"
	"github.com/ferrydev/ferry/sign"
)

func ferry(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Streams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	if code != 0 {
		t.Fatalf("ferry %s = %d\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
	return strings.TrimSpace(out.String())
}

func cosign(t *testing.T, password string, args ...string) string {
	t.Helper()
	out, err := cosignRun(t, password, args...)
	if err != nil {
		t.Fatalf("cosign %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func cosignRun(t *testing.T, password string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(os.Getenv("FERRY_COSIGN"), args...)
	cmd.Env = append(os.Environ(), "COSIGN_PASSWORD="+password, "COSIGN_YES=true", "SIGSTORE_NO_CACHE=true", "TUF_ROOT="+t.TempDir())
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestCosignInterop(t *testing.T) {
	if os.Getenv("FERRY_COSIGN") == "" {
		t.Fatal("FERRY_COSIGN names no cosign binary: run bench/cosign/interop.sh")
	}
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	repo := strings.TrimPrefix(srv.URL, "http://") + "/team/svc"
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../platform/local/testdata/svc")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "ferry.yaml"), []byte("service: svc\npath: [staging, prod]\n"), 0o644)
	keys := t.TempDir()
	const pw = "interop-passphrase"
	t.Setenv(sign.EnvPassword, pw)
	t.Setenv(sign.EnvKey, "")
	build := func(tag string, args ...string) string {
		f, _ := os.OpenFile(filepath.Join(dir, "configs", ".env"), os.O_APPEND|os.O_WRONLY, 0)
		fmt.Fprintf(f, "BUILD=%s\n", tag)
		f.Close()
		return ferry(t, append([]string{"-C", dir, "build", "--tag", tag, "--push", repo + ":" + tag}, args...)...)
	}

	for _, alg := range []string{"ecdsa-p256", "ed25519"} {
		t.Run("ferry signs, cosign verifies, "+alg, func(t *testing.T) {
			ferry(t, "-C", keys, "keys", "generate", "--algorithm", alg, "--out", alg)
			d := build("f-"+alg, "--sign", "--key", filepath.Join(keys, alg+".key"))
			out := cosign(t, "", "verify", "--key", filepath.Join(keys, alg+".pub"), "--insecure-ignore-tlog=true", "--allow-http-registry", repo+"@"+d)
			if !strings.Contains(out, d) {
				t.Errorf("cosign verify output does not name %s:\n%s", d, out)
			}
			// The same signature under another key is refused: cosign
			// really checks it.
			other := "ed25519"
			if alg == other {
				other = "ecdsa-p256"
			}
			if _, err := os.Stat(filepath.Join(keys, other+".pub")); err == nil {
				if out, err := cosignRun(t, "", "verify", "--key", filepath.Join(keys, other+".pub"), "--insecure-ignore-tlog=true", "--allow-http-registry", repo+"@"+d); err == nil {
					t.Errorf("cosign verify with the wrong key passed:\n%s", out)
				}
			}
		})
	}

	// cosign signs, with its own key and with ferry's; ferry verifies.
	cosign(t, pw, "generate-key-pair", "--output-key-prefix", filepath.Join(keys, "cosign"))
	for _, key := range []string{"cosign", "ecdsa-p256"} {
		t.Run("cosign signs with "+key+", ferry verifies", func(t *testing.T) {
			d := build("c-" + key)
			cosign(t, pw, "sign", "--key", filepath.Join(keys, key+".key"), "--tlog-upload=false", "--allow-http-registry", repo+"@"+d)
			pubData, _ := os.ReadFile(filepath.Join(keys, key+".pub"))
			pk, err := sign.LoadPublicKey(key+".pub", pubData)
			if err != nil {
				t.Fatal(err)
			}
			r, _ := name.NewRepository(repo)
			sigs, err := sign.Remote(t.Context(), r, d)
			if err != nil {
				t.Fatal(err)
			}
			if res := (&sign.Policy{Keys: []*sign.PublicKey{pk}}).Verify(d, sigs); !res.OK() {
				t.Errorf("ferry does not verify cosign's signature: %s", res.Reason)
			}
			if res := (&sign.Policy{Keys: []*sign.PublicKey{other(t, keys, key)}}).Verify(d, sigs); res.State != sign.UnknownKey {
				t.Errorf("cosign's signature under another key: %s, want unknown-key", res.State)
			}
			// ferry also signs with cosign's key.
			if key == "cosign" {
				ferry(t, "-C", dir, "sign", d, "--key", filepath.Join(keys, "cosign.key"))
			}
		})
	}
}

// other loads a public key that did not make key's signatures.
func other(t *testing.T, keys, key string) *sign.PublicKey {
	t.Helper()
	name := "ed25519.pub"
	if key == "ed25519" {
		name = "cosign.pub"
	}
	data, _ := os.ReadFile(filepath.Join(keys, name))
	pk, err := sign.LoadPublicKey(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return pk
}
