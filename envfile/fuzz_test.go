package envfile

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/joho/godotenv"
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

// FuzzStatementsAgree checks that the one-pass statement scanner follows
// godotenv's grammar: both accept and refuse the same inputs, and find the
// same keys.
func FuzzStatementsAgree(f *testing.F) {
	for _, seed := range []string{
		"A=1\n", "export A='x'\n", "A=\"multi\nline\"\n", "A=\"x\" B=2\n", "A=\"x\"#c\nB=1", "BAD-KEY=1\n",
		"A=\"open\n", "# only a comment", "A: b\r\n", "noassign", "x\n", "=\n", "A='\\''\n", "A B = c\n",
		"\u00a0A=1\n", "A\u00a0=1\n", "\x85A=1\n", "export\tA=1\n", "exportA=1\n", "A=\rB=2\n", "\xc3\xa9=1\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := Parse("f.env", data)
		// Parse drops a BOM and CRLFs before godotenv sees the data.
		norm := bytes.ReplaceAll(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), []byte("\r\n"), []byte("\n"))
		want, wantErr := godotenv.UnmarshalBytes(norm)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("Parse error = %v, godotenv error = %v", err, wantErr)
		}
		if err != nil {
			return
		}
		var got []string
		for _, v := range vars {
			got = append(got, v.Key)
			if want[v.Key] != v.Value {
				t.Errorf("%q = %q, godotenv %q", v.Key, v.Value, want[v.Key])
			}
		}
		if w := slices.Sorted(maps.Keys(want)); !slices.Equal(slices.Sorted(slices.Values(got)), w) {
			t.Errorf("keys = %q, godotenv %q", got, w)
		}
	})
}
