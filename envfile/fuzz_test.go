package envfile

import (
	"errors"
	"testing"
	"testing/fstest"
)

// FuzzLoad feeds arbitrary bytes to both layers: Load must never panic, and
// either succeed or return a *ParseError pointing inside the file.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"A=1\n", "export A='x'\n", "A=\"multi\nline\"\n", "A=${B}\n", "BAD-KEY=1\n",
		"A=\"open\n", "# only a comment", "\xef\xbb\xbfA: b\r\n", "A=1 # c\nB=$A\n", "=\n", "A='\\''\n",
	} {
		f.Add([]byte(seed), []byte("A=overlay\n"))
	}
	f.Fuzz(func(t *testing.T, base, overlay []byte) {
		fsys := fstest.MapFS{
			"configs/.env":      {Data: base},
			"configs/.fuzz.env": {Data: overlay},
		}
		c, err := Load(fsys, "configs", []string{"APP_ENV=fuzz"})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("Load error = %v, want a *ParseError with a line", err)
			}
			return
		}
		for _, v := range c.Vars() {
			if v.Source.File != "" && v.Source.Line < 1 {
				t.Errorf("%s has no line: %+v", v.Key, v.Source)
			}
		}
	})
}
