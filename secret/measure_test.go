package secret

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// valueLine takes the value of a "key: value" or KEY=value line.
var valueLine = regexp.MustCompile(`^\s*-?\s*["']?[A-Za-z0-9_.-]+["']?\s*[:=]\s*["']?([^"'#\s]+)`)

// TestGeneratedKeyRates measures the 24-character generated-key rule: on
// every value of the repository's fixtures (testdata/ and examples/:
// charts, values, .env files in several layouts) it flags no value of 24
// to 31 characters, and it recognises at least 90% of random 18-byte
// base64 keys (those without a digit or a mix of cases are the misses).
func TestGeneratedKeyRates(t *testing.T) {
	seen := map[string]bool{}
	err := filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !(strings.Contains(p, "testdata") || strings.Contains(p, "examples")) {
			return nil
		}
		if ext := filepath.Ext(p); !(ext == ".yaml" || ext == ".yml" || strings.HasSuffix(p, ".env")) {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if m := valueLine.FindStringSubmatch(sc.Text()); m != nil {
				seen[m[1]] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 300 {
		t.Fatalf("only %d fixture values read; the measurement needs the repository's testdata", len(seen))
	}
	var flagged []string
	for v := range seen {
		if len(v) >= 24 && len(v) < 32 && generatedKey(v) {
			flagged = append(flagged, v)
		}
	}
	if len(flagged) > 0 {
		t.Errorf("%d of %d fixture values flagged as 24-31 character keys: %q", len(flagged), len(seen), flagged)
	}
	missed := 0
	for range 1000 {
		b := make([]byte, 18)
		_, _ = rand.Read(b)
		if !generatedKey(base64.StdEncoding.EncodeToString(b)) {
			missed++
		}
	}
	if missed > 100 {
		t.Errorf("%d of 1000 random 24-character keys not recognised", missed)
	}
	t.Logf("%d fixture values, %d flagged; %d of 1000 random keys missed", len(seen), len(flagged), missed)
}
