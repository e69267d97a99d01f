package envfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"
)

func TestLoadLayering(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		environ []string
		key     string
		want    string
		wantSrc string
		present bool
	}{
		{name: "base only", files: map[string]string{"configs/.env": "A=base\n"}, key: "A", want: "base", wantSrc: "configs/.env:1", present: true},
		{name: "overlay only", files: map[string]string{"configs/.local.env": "# c\nA=local\n"}, key: "A", want: "local", wantSrc: "configs/.local.env:2", present: true},
		{name: "overlay beats base", files: map[string]string{"configs/.env": "A=base\n", "configs/.local.env": "A=local\n"}, key: "A", want: "local", wantSrc: "configs/.local.env:1", present: true},
		{name: "APP_ENV picks overlay", files: map[string]string{"configs/.env": "A=base\n", "configs/.local.env": "A=local\n", "configs/.prod.env": "\n\nA=prod\n"}, environ: []string{"APP_ENV=prod"}, key: "A", want: "prod", wantSrc: "configs/.prod.env:3", present: true},
		{name: "APP_ENV=local is the default overlay", files: map[string]string{"configs/.local.env": "A=local\n"}, environ: []string{"APP_ENV=local"}, key: "A", want: "local", wantSrc: "configs/.local.env:1", present: true},
		{name: "missing overlay is ignored", files: map[string]string{"configs/.env": "A=base\n"}, environ: []string{"APP_ENV=qa"}, key: "A", want: "base", wantSrc: "configs/.env:1", present: true},
		{name: "APP_ENV in a file selects nothing", files: map[string]string{"configs/.env": "APP_ENV=prod\nA=base\n", "configs/.prod.env": "A=prod\n", "configs/.local.env": "A=local\n"}, key: "A", want: "local", wantSrc: "configs/.local.env:1", present: true},
		{name: "process wins", files: map[string]string{"configs/.env": "A=base\n", "configs/.local.env": "A=local\n"}, environ: []string{"A=proc"}, key: "A", want: "proc", wantSrc: "process environment", present: true},
		{name: "empty process value masks files", files: map[string]string{"configs/.env": "A=base\n"}, environ: []string{"A="}, key: "A", want: "", wantSrc: "process environment", present: true},
		{name: "empty file value", files: map[string]string{"configs/.env": "A=\n"}, key: "A", want: "", wantSrc: "configs/.env:1", present: true},
		{name: "double quoted", files: map[string]string{"configs/.env": `A="a b # not a comment"` + "\n"}, key: "A", want: "a b # not a comment", wantSrc: "configs/.env:1", present: true},
		{name: "single quoted is literal", files: map[string]string{"configs/.env": "B=x\nA='${B}\\n'\n"}, key: "A", want: `${B}\n`, wantSrc: "configs/.env:2", present: true},
		{name: "export prefix", files: map[string]string{"configs/.env": "export A=exp\n"}, key: "A", want: "exp", wantSrc: "configs/.env:1", present: true},
		{name: "inline comment", files: map[string]string{"configs/.env": "A=v # note\n"}, key: "A", want: "v", wantSrc: "configs/.env:1", present: true},
		{name: "yaml style", files: map[string]string{"configs/.env": "A: v\n"}, key: "A", want: "v", wantSrc: "configs/.env:1", present: true},
		{name: "CRLF", files: map[string]string{"configs/.env": "X=1\r\nA=v\r\n"}, key: "A", want: "v", wantSrc: "configs/.env:2", present: true},
		{name: "no trailing newline", files: map[string]string{"configs/.env": "X=1\nA=v"}, key: "A", want: "v", wantSrc: "configs/.env:2", present: true},
		{name: "repeated key: last wins", files: map[string]string{"configs/.env": "A=1\nB=2\nA=3\n"}, key: "A", want: "3", wantSrc: "configs/.env:3", present: true},
		{name: "expansion of an earlier key", files: map[string]string{"configs/.env": "H=db\nA=${H}:5432\n"}, key: "A", want: "db:5432", wantSrc: "configs/.env:2", present: true},
		{name: "expansion ignores process env", files: map[string]string{"configs/.env": "A=${HOME}/x\n"}, environ: []string{"HOME=/root"}, key: "A", want: "/x", wantSrc: "configs/.env:1", present: true},
		{name: "expansion ignores later keys", files: map[string]string{"configs/.env": "A=${H}x\nH=db\n"}, key: "A", want: "x", wantSrc: "configs/.env:1", present: true},
		{name: "expansion does not cross files", files: map[string]string{"configs/.env": "H=db\n", "configs/.local.env": "A=${H}x\n"}, key: "A", want: "x", wantSrc: "configs/.local.env:1", present: true},
		{name: "multi-line value keeps its start line", files: map[string]string{"configs/.env": "A=\"one\ntwo\"\nB=after\n"}, key: "B", want: "after", wantSrc: "configs/.env:3", present: true},
		{name: "BOM", files: map[string]string{"configs/.env": "\xef\xbb\xbfA=v\n"}, key: "A", want: "v", wantSrc: "configs/.env:1", present: true},
		{name: "unset", files: map[string]string{"configs/.env": "B=1\n"}, key: "A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for name, body := range tt.files {
				fsys[name] = &fstest.MapFile{Data: []byte(body)}
			}
			c, err := Load(fsys, "configs", tt.environ)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			v, ok := c.Var(tt.key)
			if ok != tt.present {
				t.Fatalf("Var(%q) present = %v, want %v", tt.key, ok, tt.present)
			}
			if !ok {
				return
			}
			if v.Value != tt.want || v.Source.String() != tt.wantSrc {
				t.Errorf("Var(%q) = %q from %s, want %q from %s", tt.key, v.Value, v.Source, tt.want, tt.wantSrc)
			}
		})
	}
}

func TestShadows(t *testing.T) {
	fsys := fstest.MapFS{
		"configs/.env":      {Data: []byte("A=base\n")},
		"configs/.prod.env": {Data: []byte("A=prod\n")},
	}
	c, err := Load(fsys, "configs", []string{"APP_ENV=prod", "A=proc"})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := c.Var("A")
	if len(v.Shadows) != 2 || v.Shadows[0].Source.String() != "configs/.prod.env:1" || v.Shadows[1].Source.String() != "configs/.env:1" {
		t.Errorf("Shadows = %+v, want prod line then base line", v.Shadows)
	}
}

func TestParseErrorNamesLine(t *testing.T) {
	const secret = "hunter2-canary"
	tests := []struct {
		name, body string
		line       int
		kind       error
	}{
		{"bad key character", "A=1\n\n# c\nBAD-KEY=2\nC=3\n", 4, ErrBadName},
		{"unterminated quote", "A=1\nB=\"open\nC=3\n", 2, ErrUnterminatedQuote},
		{"unterminated quote after a secret", "DB_PASSWORD=" + secret + "\nX='" + secret + "\n", 2, ErrUnterminatedQuote},
		{"unterminated quote at the end", "A=1\nB=\"" + secret, 2, ErrUnterminatedQuote},
		{"no assignment before a secret line", "oops line\nDB_PASSWORD=" + secret + "\n", 1, ErrMissingAssign},
		{"multi-line value then a bad line", "A=\"one\ntwo\"\nB=2\n-C=" + secret + "\n", 4, ErrBadName},
		{"bad key after a quoted value on the same line", "A=\"x\" B-C=" + secret + "\n", 1, ErrBadName},
		{"export with a bad key", "export  A$B=" + secret + "\n", 1, ErrBadName},
		{"CRLF lines", "A=1\r\nB=2\r\nC='" + secret + "\r\n", 3, ErrUnterminatedQuote},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"configs/.env": {Data: []byte(tt.body)}}
			_, err := Load(fsys, "configs", nil)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Load error = %v, want *ParseError", err)
			}
			if pe.File != "configs/.env" || pe.Line != tt.line {
				t.Errorf("ParseError at %s:%d, want configs/.env:%d (%v)", pe.File, pe.Line, tt.line, err)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("Load error = %v, want kind %v", err, tt.kind)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "oops") {
				t.Errorf("Load error = %q carries a value", err)
			}
		})
	}
}

// TestParseLinear checks the cases that used to be quadratic (an
// unterminated quote near the top of a long file took 16 s at 20k lines)
// now finish in well under a second.
func TestParseLinear(t *testing.T) {
	var long strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&long, "KEY_%d=value-%d # comment\n", i, i)
	}
	tests := []struct{ name, body string }{
		{"unterminated quote at the top", "A=\"open\n" + long.String()},
		{"unterminated quote at the end", long.String() + "Z='open\n"},
		{"bad key at the end", long.String() + "BAD KEY-=1\n"},
		{"20k good lines", long.String()},
		{"one 1 MiB quoted value", "A=\"" + strings.Repeat("x\\\"", 1<<20/3) + "\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, _ = Parse("configs/.env", []byte(tt.body))
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("Parse took %v, want linear time (< 2s)", d)
			}
		})
	}
}

func TestReadFileRefuses(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.env")
	if err := os.WriteFile(big, bytes.Repeat([]byte("A=1234567\n"), MaxFileSize/10+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "dir.env"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.env"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		kind error
	}{
		{"big.env", ErrTooLarge},
		{"dir.env", ErrNotRegular},
		{"fifo.env", ErrNotRegular},
		{"missing.env", fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() { _, err := ReadFile(os.DirFS(dir), tt.name); done <- err }()
			select {
			case err := <-done:
				if !errors.Is(err, tt.kind) {
					t.Errorf("ReadFile(%s) = %v, want %v", tt.name, err, tt.kind)
				}
				if tt.kind == ErrTooLarge && !strings.Contains(err.Error(), "10 MiB") {
					t.Errorf("ReadFile(%s) = %v, want the limit named", tt.name, err)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("ReadFile(%s) blocked", tt.name)
			}
		})
	}
}

func TestMissingBaseWarns(t *testing.T) {
	c, err := Load(fstest.MapFS{}, "configs", []string{"A=1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 1 || c.Get("A") != "1" {
		t.Errorf("Warnings = %q, A = %q; want one warning and A=1", c.Warnings, c.Get("A"))
	}
}

func TestTypedGetters(t *testing.T) {
	fsys := fstest.MapFS{"configs/.env": {Data: []byte("PORT=80x\nGRACE=30\nRATIO=0.5\nOK=true\nEMPTY=\nLEVEL=debug\n")}}
	c, err := Load(fsys, "configs", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Int("PORT", 8000)
	var ve *ValueError
	if !errors.As(err, &ve) || ve.Source.String() != "configs/.env:1" || ve.Value != "80x" {
		t.Errorf("Int(PORT) error = %v, want a ValueError at configs/.env:1", err)
	}
	if got := err.Error(); got != `configs/.env:1: PORT="80x" is not an integer` {
		t.Errorf("error text = %q", got)
	}
	if _, err := c.Duration("GRACE", 0); err == nil {
		t.Error("Duration(GRACE=30) = nil error, want one: GoFr needs a unit")
	}
	if r, err := c.Float("RATIO", 1); err != nil || r != 0.5 {
		t.Errorf("Float(RATIO) = %v, %v", r, err)
	}
	if b, err := c.Bool("OK", false); err != nil || !b {
		t.Errorf("Bool(OK) = %v, %v", b, err)
	}
	if d, err := c.Duration("EMPTY", 30*time.Second); err != nil || d != 30*time.Second {
		t.Errorf("Duration(EMPTY) = %v, %v; want the default", d, err)
	}
	if l, err := c.OneOf("LEVEL", "INFO", "DEBUG", "INFO"); err != nil || l != "DEBUG" {
		t.Errorf("OneOf(LEVEL) = %v, %v", l, err)
	}
	if s := c.String("EMPTY", "def"); s != "def" {
		t.Errorf("String(EMPTY) = %q, want the default", s)
	}
}

// BenchmarkParse measures parsing a 20k-line file, whole and with an
// unterminated quote on its first line (quadratic before: 16 s).
func BenchmarkParse(b *testing.B) {
	var long strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&long, "KEY_%d=value-%d # comment\n", i, i)
	}
	for _, bb := range []struct{ name, body string }{
		{"20k lines", long.String()},
		{"20k lines, unterminated quote first", "A=\"open\n" + long.String()},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(bb.body)))
			for b.Loop() {
				_, _ = Parse("configs/.env", []byte(bb.body))
			}
		})
	}
}
