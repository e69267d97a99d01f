package sopsvalues_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// sopsRecipe changes the cache key when the way sops is built changes
// while hack/sops's go.mod and go.sum stay the same.
const sopsRecipe = "1 CGO_ENABLED=0 -trimpath -s -w"

// sopsDir holds the sops under test, built by TestMain.
var sopsDir string

// TestMain builds the sops that hack/sops pins, the first time on this
// machine, into <user cache>/ferry/sops/<hash of hack/sops's go.mod and
// go.sum> (about two minutes on two cores; the control plane's binaries
// are cached the same way), before any test moves HOME and with it the
// caches.
func TestMain(m *testing.M) {
	var err error
	if sopsDir, err = buildSops(); err != nil {
		fmt.Fprintln(os.Stderr, "build sops:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// useSops puts the sops under test first on PATH and returns its
// directory.
func useSops(t *testing.T) string {
	t.Helper()
	t.Setenv("PATH", sopsDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return sopsDir
}

func buildSops() (string, error) {
	src, err := filepath.Abs(filepath.Join("..", "hack", "sops"))
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "recipe %s\n", sopsRecipe)
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", f, len(b))
		h.Write(b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "ferry", "sops", hex.EncodeToString(h.Sum(nil))[:16])
	if fi, err := os.Stat(filepath.Join(dir, "sops")); err == nil && fi.Mode()&0o111 != 0 {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	// Built beside dir and renamed into place: a test process building at
	// the same time never sees half a binary; whoever renames first wins.
	tmp, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	start := time.Now()
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(tmp, "sops"), "github.com/getsops/sops/v3/cmd/sops")
	cmd.Dir = src
	// hack/sops keeps sops's own pins, apart from ferry's workspace.
	cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build in %s: %w\n%s", src, err, out.String())
	}
	fmt.Fprintf(os.Stderr, "sopsvalues: built sops into %s in %s\n", dir, time.Since(start).Round(time.Second))
	if err := os.Rename(tmp, dir); err != nil {
		if fi, serr := os.Stat(filepath.Join(dir, "sops")); serr == nil && fi.Mode()&0o111 != 0 {
			return dir, nil // built by another process meanwhile
		}
		return "", err
	}
	return dir, nil
}
