package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// buildProject copies the stand-in service (ferry.yaml, main.go,
// configs/.env) into a temp dir for a build to write .ferry/ into.
func buildProject(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../platform/local/testdata/svc")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// outsideCanary is what a file outside the project holds: no command may
// print it or pack it.
const outsideCanary = "OUTSIDE_CANARY_5b1e0c7d"

// TestBuildConfined: a repository that plants links in configs/ or
// commits .ferry/ cannot make build read or write outside the project;
// each is refused with exit 2 naming the path, before go build runs.
func TestBuildConfined(t *testing.T) {
	tests := []struct {
		name  string
		plant func(t *testing.T, dir, outside string)
		args  string
		want  string // in stderr
	}{
		{"configs file link", func(t *testing.T, dir, outside string) {
			plantLink(t, filepath.Join(outside, "id_rsa"), filepath.Join(dir, "configs", "extra.yaml"))
		}, "build", "configs/extra.yaml"},
		{"configs directory link", func(t *testing.T, dir, outside string) {
			os.RemoveAll(filepath.Join(dir, "configs"))
			plantLink(t, outside, filepath.Join(dir, "configs"))
		}, "build", "configs"},
		{"configs nested directory link", func(t *testing.T, dir, outside string) {
			plantLink(t, outside, filepath.Join(dir, "configs", "certs"))
		}, "build", "configs/certs"},
		{"committed .ferry/build link", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry"))
			plantLink(t, outside, filepath.Join(dir, ".ferry", "build"))
		}, "build", ".ferry/build"},
		{".ferry/build link inside the project", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry", "elsewhere"))
			plantLink(t, "elsewhere", filepath.Join(dir, ".ferry", "build"))
		}, "build", ".ferry/build"},
		{"committed binary link", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry", "build"))
			plantLink(t, filepath.Join(outside, "id_rsa"), filepath.Join(dir, ".ferry", "build", "svc"))
		}, "build", ".ferry/build/svc"},
		{"committed stamp link", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry", "build"))
			plantLink(t, filepath.Join(outside, "id_rsa"), filepath.Join(dir, ".ferry", "build", "svc.stamp"))
		}, "build", ".ferry/build/svc.stamp"},
		{".ferry link", func(t *testing.T, dir, outside string) {
			plantLink(t, outside, filepath.Join(dir, ".ferry"))
		}, "build", ".ferry: is a symbolic link"},
		{".ferry plain file", func(t *testing.T, dir, outside string) {
			plantFile(t, filepath.Join(dir, ".ferry"), "not a directory\n")
		}, "build", ".ferry: is a file"},
		{"committed .ferry/images link", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry"))
			plantLink(t, outside, filepath.Join(dir, ".ferry", "images"))
		}, "build", ".ferry/images"},
		{"committed link in the store", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry", "images"))
			plantLink(t, filepath.Join(outside, "id_rsa"), filepath.Join(dir, ".ferry", "images", "last-build"))
		}, "build", ".ferry/images/last-build"},
		{"gc: .ferry plain file", func(t *testing.T, dir, outside string) {
			plantFile(t, filepath.Join(dir, ".ferry"), "not a directory\n")
		}, "gc", ".ferry: is a file"},
		{"gc: .ferry link", func(t *testing.T, dir, outside string) {
			plantLink(t, outside, filepath.Join(dir, ".ferry"))
		}, "gc", ".ferry: is a symbolic link"},
		{"gc: link in the store", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry", "images", "blobs"))
			plantLink(t, outside, filepath.Join(dir, ".ferry", "images", "blobs", "sha256"))
		}, "gc", ".ferry/images/blobs/sha256"},
		{"pull: .ferry plain file", func(t *testing.T, dir, outside string) {
			plantFile(t, filepath.Join(dir, ".ferry"), "not a directory\n")
		}, "pull 1.0.0 --from registry.invalid/team/svc", ".ferry: is a file"},
		{"pull: .ferry/images link", func(t *testing.T, dir, outside string) {
			plantDir(t, filepath.Join(dir, ".ferry"))
			plantLink(t, outside, filepath.Join(dir, ".ferry", "images"))
		}, "pull 1.0.0 --from registry.invalid/team/svc", ".ferry/images"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, outside := buildProject(t), t.TempDir()
			plantFile(t, filepath.Join(outside, "id_rsa"), outsideCanary+"\n")
			tt.plant(t, dir, outside)
			before := listing(t, outside)
			out, errOut, code := run(t, "-C "+dir+" "+tt.args)
			if code != ExitUsage {
				t.Fatalf("ferry %s: exit %d, want %d\n%s%s", tt.args, code, ExitUsage, out, errOut)
			}
			if !strings.Contains(errOut, tt.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Errorf("stderr %q: want one line naming %q", errOut, tt.want)
			}
			if strings.Contains(out+errOut, outsideCanary) {
				t.Errorf("printed the outside file: %s%s", out, errOut)
			}
			if after := listing(t, outside); after != before {
				t.Errorf("wrote outside the project:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// TestBuildConfigSecrets: build packs configs/ into the image, so a
// secret there is in every copy of it; build says so, key by key with
// file:line, and never prints the value. Near misses stay quiet.
func TestBuildConfigSecrets(t *testing.T) {
	slow(t, "builds a service")
	const canary = "Xq7vR2mK9pL4wN8s" // a password's value, printed nowhere
	dir := buildProject(t)
	plantFile(t, filepath.Join(dir, "configs", ".env"), strings.Join([]string{
		"APP_NAME=svc",
		"HTTP_PORT=8000",
		"SHUTDOWN_GRACE_PERIOD=2s",
		"DB_PASSWORD=" + canary,
		"DB_PASSWORD_FILE=/run/secrets/db",
		"DB_URL=postgres://orders:" + canary + "@db:5432/orders",
		"TOKEN_TTL=1h",
	}, "\n")+"\n")
	plantFile(t, filepath.Join(dir, "configs", ".staging.env"), "LOG_LEVEL=DEBUG\nSTRIPE_API_KEY="+canary+"\n")
	out, errOut, code := run(t, "-C "+dir+" build")
	if code != 0 {
		t.Fatalf("build: exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, canary) {
		t.Fatalf("build printed the secret value:\n%s%s", out, errOut)
	}
	var warned []string
	for _, l := range strings.Split(strings.TrimSpace(errOut), "\n") {
		if !strings.HasPrefix(l, "warning: ") {
			continue
		}
		if !strings.Contains(l, "Secret") {
			t.Errorf("warning %q does not say where the value belongs", l)
		}
		f := strings.Fields(strings.TrimPrefix(l, "warning: "))
		warned = append(warned, f[0]+" "+f[1])
	}
	want := []string{"configs/.env:4: DB_PASSWORD", "configs/.env:6: DB_URL", "configs/.staging.env:2: STRIPE_API_KEY"}
	if strings.Join(warned, "|") != strings.Join(want, "|") {
		t.Errorf("warnings name %q, want %q\n%s", warned, want, errOut)
	}
}

func plantLink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func plantDir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
}

func plantFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// listing is every name under dir with its size, to tell a write.
func listing(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			fi, _ := d.Info()
			fmt.Fprintf(&b, "%s:%s:%d ", p, fi.Mode(), fi.Size())
		}
		return nil
	})
	return b.String()
}
