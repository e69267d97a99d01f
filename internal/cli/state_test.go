package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStateDamaged: a state file cut short, emptied or scribbled on is
// refused by every command with exit 2 in one line and never written;
// `state check` names the damage (exit 1); `state repair` copies the
// records into a new file, keeps the old one, and ferry works again.
func TestStateDamaged(t *testing.T) {
	dir := svcProject(t, "0s")
	c := "-C " + dir + " "
	if _, errOut, code := run(t, c+"build"); code != 0 {
		t.Fatalf("build: %s", errOut)
	}
	if _, errOut, code := run(t, c+"deploy staging"); code != 0 {
		t.Fatalf("deploy: %s", errOut)
	}
	t.Cleanup(func() { run(t, c+"down staging") })
	db := filepath.Join(dir, ".ferry", "state.db")
	good, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"truncated", good[:len(good)/2+100]},
		{"meta pages zeroed", append(make([]byte, 8192), good[8192:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(db, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			for _, args := range []string{"status", "deploy staging", "history staging", "verify staging", "promote staging prod"} {
				_, errOut, code := run(t, c+args)
				if code != 2 || !strings.Contains(errOut, "state file is corrupted") || strings.Count(errOut, "\n") != 1 || strings.Contains(errOut, "goroutine") {
					t.Errorf("ferry %s = %d %q, want exit 2 with one line", args, code, errOut)
				}
			}
			if after, _ := os.ReadFile(db); !bytes.Equal(after, tt.data) {
				t.Fatal("the damaged state file was modified")
			}
			if out, _, code := run(t, c+"state check"); code != 1 || !strings.Contains(out, "DAMAGED") {
				t.Errorf("state check = %d %q, want 1 and DAMAGED", code, out)
			}
			out, errOut, code := run(t, c+"state repair")
			if code != 0 || !strings.Contains(out, "damaged file is") {
				t.Fatalf("state repair = %d %q %q", code, out, errOut)
			}
			old, _ := filepath.Glob(db + ".damaged-*")
			if len(old) != 1 {
				t.Fatalf("damaged files kept: %v, want one", old)
			}
			if kept, _ := os.ReadFile(old[0]); !bytes.Equal(kept, tt.data) {
				t.Error("the damaged file was not kept as it was")
			}
			os.Remove(old[0])
			if out, _, code := run(t, c+"state check"); code != 0 {
				t.Errorf("state check after repair = %d %q", code, out)
			}
			if _, errOut, code := run(t, c+"deploy staging"); code != 0 {
				t.Errorf("deploy after repair = %d %q", code, errOut)
			}
			// The next case damages the store as it is now.
			if good, err = os.ReadFile(db); err != nil {
				t.Fatal(err)
			}
		})
	}
}
