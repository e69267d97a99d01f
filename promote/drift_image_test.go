package promote

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferrydev/ferry/project"
)

// TestDriftRemovedFromImage: a key removed from configs/ since the deploy
// is still in the deployed image, so both verify and drift say a build
// is needed for it (it was "ferry deploy applies them": a redeploy of
// the same artifact changes nothing), while a key of ferry.yaml still
// says a deploy applies it.
func TestDriftRemovedFromImage(t *testing.T) {
	c, _ := newProject(t, "")
	deploy(t, c, "staging", "1.0.0")
	overlay := filepath.Join(c.Project.Dir, "configs", ".staging.env")
	if err := os.WriteFile(overlay, nil, 0o644); err != nil { // LOG_LEVEL=DEBUG is gone
		t.Fatal(err)
	}
	renameStagingDB(t, c)
	rep, err := NewDrift(c).Run(t.Context(), "staging")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ch := range rep.Changes {
		got[ch.Key] = ch.Change
		if ch.Key == "LOG_LEVEL" && (!ch.InImage || !strings.HasPrefix(ch.Source, "configs/.staging.env")) {
			t.Errorf("LOG_LEVEL removed from configs/: in image %v, source %q", ch.InImage, ch.Source)
		}
	}
	if got["LOG_LEVEL"] != "removed" || got["DB_NAME"] != "changed" {
		t.Fatalf("changes = %v", got)
	}
	hint := rep.Hint()
	for _, w := range []string{"DB_NAME changed (ferry deploy applies them)", "LOG_LEVEL removed (they travel in the image: ferry build, then deploy the new artifact)"} {
		if !strings.Contains(hint, w) {
			t.Errorf("drift hint %q lacks %q", hint, w)
		}
	}
	v, err := NewVerify(c).Run(t.Context(), "staging")
	if err != nil {
		t.Fatal(err)
	}
	if line := v.DriftLine(); !strings.Contains(line, "LOG_LEVEL removed (they travel in the image") {
		t.Errorf("verify's drift line %q does not send LOG_LEVEL to a build", line)
	}
}

// renameStagingDB changes staging's DB_NAME in ferry.yaml, a key a deploy
// writes, and reloads the project.
func renameStagingDB(t *testing.T, c *Config) {
	t.Helper()
	yaml := filepath.Join(c.Project.Dir, "ferry.yaml")
	data, err := os.ReadFile(yaml)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(yaml, []byte(strings.Replace(string(data), "DB_NAME: staging.db", "DB_NAME: staging2.db", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := project.Load(c.Project.Dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Project = p
}
