package artifact

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/internal/confine"
)

// TestBuildServiceIsAName: ferry.yaml's service becomes the file name
// .ferry/build/<service>; one that is a path is refused before go build
// can write an executable where the repository chose.
func TestBuildServiceIsAName(t *testing.T) {
	for _, service := range []string{"../../../x", "/tmp/x", "a/b", "..", "."} {
		t.Run(service, func(t *testing.T) {
			p := svcProject(t)
			p.Service = service
			_, err := Build(t.Context(), p, NewStore(t.TempDir()), BuildOptions{Revision: "r"})
			if !errors.Is(err, confine.ErrRefused) {
				t.Fatalf("Build with service %q: %v, want a refusal", service, err)
			}
			if _, err := os.Stat(filepath.Join(p.Dir, ".ferry", "build")); err == nil {
				entries, _ := os.ReadDir(filepath.Join(p.Dir, ".ferry", "build"))
				if len(entries) > 0 {
					t.Errorf("go build ran: .ferry/build holds %v", entries)
				}
			}
		})
	}
}

// TestPackageConfinesConfigs: Package reads configs confined to itself;
// a link out of it is refused naming the link, one inside is packed.
func TestPackageConfinesConfigs(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	configs := filepath.Join(dir, "configs")
	os.MkdirAll(configs, 0o755)
	os.WriteFile(filepath.Join(configs, ".env"), []byte("APP_NAME=svc\n"), 0o644)
	os.Symlink(".env", filepath.Join(configs, "alias.env"))
	bin := filepath.Join(dir, "bin")
	os.WriteFile(bin, []byte("not really a binary"), 0o755)
	if _, _, err := Package(bin, "svc", configs, ""); err != nil {
		t.Fatalf("a link inside configs/: %v", err)
	}
	os.WriteFile(filepath.Join(outside, "secret"), []byte("OUTSIDE"), 0o644)
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(configs, "leak"))
	_, _, err := Package(bin, "svc", configs, "")
	if !errors.Is(err, confine.ErrOutside) || !strings.Contains(err.Error(), "leak") {
		t.Errorf("a link out of configs/: %v, want a refusal naming leak", err)
	}
}

// TestConfigSecrets: one warning per secret-looking key of a GoFr .env
// file, with file:line, never the value; other files and near misses
// are not warned about.
func TestConfigSecrets(t *testing.T) {
	const canary = "Zt8kQ3vN6mW1pR5x"
	files := []configFile{
		{name: "", dir: true},
		{name: ".env", data: []byte("APP_NAME=svc\n# DB_PASSWORD=" + canary + "\nDB_PASSWORD=" + canary + "\nDB_PASSWORD_FILE=/run/secrets/db\nPASSWORD_POLICY=strict\n")},
		{name: ".prod.env", data: []byte("REDIS_URL=redis://:" + canary + "@redis:6379/0\n")},
		{name: "app.yaml", data: []byte("password: " + canary + "\n")},
	}
	got := configSecrets("services/orders/configs", files)
	want := []string{"services/orders/configs/.env:3: DB_PASSWORD ", "services/orders/configs/.prod.env:1: REDIS_URL "}
	if len(got) != len(want) {
		t.Fatalf("warnings %q, want %d", got, len(want))
	}
	for i, w := range got {
		if !strings.HasPrefix(w, want[i]) || strings.Contains(w, canary) || strings.Contains(w, "\n") {
			t.Errorf("warning %q: want one line starting %q without the value", w, want[i])
		}
	}
}

// TestUnpackRefusesLinks: a committed link at the unpack directory or an
// image's root is refused, and nothing is written where it points.
func TestUnpackRefusesLinks(t *testing.T) {
	p := svcProject(t)
	s := NewStore(t.TempDir())
	img, err := Build(t.Context(), p, s, BuildOptions{Revision: "r"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, link string }{
		{"unpack directory", "roots"},
		{"image root", filepath.Join("roots", strings.TrimPrefix(img.Digest, "sha256:")[:16])},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run, outside := t.TempDir(), t.TempDir()
			os.MkdirAll(filepath.Dir(filepath.Join(run, tt.link)), 0o755)
			if err := os.Symlink(outside, filepath.Join(run, tt.link)); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(outside, ".ferry-complete"), nil, 0o644)
			_, err := s.Unpack(img.Digest, filepath.Join(run, "roots"))
			if !errors.Is(err, confine.ErrRefused) {
				t.Errorf("Unpack through a link: %v, want a refusal", err)
			}
			if entries, _ := os.ReadDir(outside); len(entries) != 1 {
				t.Errorf("wrote %v where the link points", entries)
			}
		})
	}
}
