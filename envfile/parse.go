package envfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"unicode"

	"github.com/joho/godotenv"
)

// MaxFileSize is the largest dotenv file ReadFile accepts. A real service's
// configuration is a few KiB; anything past this limit is a mistake (a log
// or a binary named .env) that would only cost memory and time.
const MaxFileSize = 10 << 20

// Source says where a value came from. A zero Source is the process
// environment.
type Source struct {
	File string // path of the file, as the caller named it
	Line int    // 1-based line of the statement that set the value; 0 when unknown
}

// IsProcess reports whether the value came from the process environment.
func (s Source) IsProcess() bool { return s.File == "" }

// String formats s as "file:line", "file" when the line is unknown, or
// "process environment".
func (s Source) String() string {
	switch {
	case s.File == "":
		return "process environment"
	case s.Line == 0:
		return s.File
	default:
		return fmt.Sprintf("%s:%d", s.File, s.Line)
	}
}

// Var is one key of a file or of the effective configuration.
type Var struct {
	Key    string
	Value  string
	Source Source
	// Shadows lists the values this one hides, nearest layer first: an
	// overlay line shadows the base file's line, a process variable shadows
	// both.
	Shadows []Var
}

// The kinds of error a dotenv file can have. ParseError wraps one of them;
// compare with errors.Is.
var (
	// ErrUnterminatedQuote is a quoted value with no closing quote.
	ErrUnterminatedQuote = errors.New("unterminated quoted value")
	// ErrBadName is a variable name with a character outside [A-Za-z0-9_.].
	ErrBadName = errors.New("unexpected character in variable name")
	// ErrMissingAssign is a line with a name but no "=" or ":".
	ErrMissingAssign = errors.New(`line has no "=" after the variable name`)
	// ErrTooLarge is a file over MaxFileSize.
	ErrTooLarge = fmt.Errorf("file larger than the %d MiB limit", MaxFileSize>>20)
	// ErrNotRegular is a directory, FIFO, device or socket where a file was
	// expected. Reading a FIFO would block until someone writes to it.
	ErrNotRegular = errors.New("not a regular file")
)

// ParseError is a file godotenv refused. GoFr exits at start on such a file
// (it loads nothing from it), so callers should treat it as fatal.
//
// Err is one of the Err* kinds above and never godotenv's own message,
// which quotes the rest of the file, secrets included.
type ParseError struct {
	File string
	Line int // the line where parsing stopped
	Err  error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// ReadFile parses one dotenv file from fsys. The result is in file order,
// one Var per key, at the line of the key's last definition (the one that
// wins, as in godotenv). A file that is not regular (checked before it is
// opened, so a FIFO never blocks) or is larger than MaxFileSize is refused
// with a *ParseError at line 0 wrapping ErrNotRegular or ErrTooLarge.
func ReadFile(fsys fs.FS, name string) ([]Var, error) {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, &ParseError{File: name, Err: ErrNotRegular}
	}
	if info.Size() > MaxFileSize {
		return nil, &ParseError{File: name, Err: ErrTooLarge}
	}
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The file may have grown since Stat; never read more than the limit.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, &ParseError{File: name, Err: ErrTooLarge}
	}
	return Parse(name, data)
}

// Parse parses dotenv content; name is used only for sources and errors.
//
// Values come from godotenv applied to the whole file, so expansion of
// ${VAR} sees exactly the keys defined earlier in the same file. Lines come
// from statements, found in one pass by following godotenv's own grammar
// (statement start, key, end of the value) without computing values: parsing
// is linear in the size of the file, even with an unterminated quote.
func Parse(name string, data []byte) ([]Var, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))

	stmts, perr := statements(data)
	if perr != nil {
		perr.File = name
		return nil, perr
	}
	values, err := godotenv.UnmarshalBytes(data)
	if err != nil {
		// statements follows godotenv's grammar, so this means the two have
		// drifted apart; still never pass godotenv's message (it quotes
		// values) on.
		return nil, &ParseError{File: name, Line: 1, Err: errors.New("unparsable file")}
	}

	lineOf := make(map[string]int, len(stmts))
	order := make([]string, 0, len(stmts))
	for _, s := range stmts {
		if _, seen := lineOf[s.key]; !seen {
			order = append(order, s.key)
		}
		lineOf[s.key] = s.line
	}
	vars := make([]Var, 0, len(values))
	for _, k := range order {
		v, ok := values[k]
		if !ok {
			continue
		}
		vars = append(vars, Var{Key: k, Value: v, Source: Source{File: name, Line: lineOf[k]}})
	}
	return vars, nil
}

// statement is one key=value of a file and the line it starts on.
type statement struct {
	key  string
	line int
}

// statements walks src the way godotenv's parseBytes does (v1.5.1,
// parser.go) and returns each statement's key and line. It mirrors
// godotenv byte for byte where godotenv decides where things end
// (getStatementStart, locateKeyName, extractVarValue), and the fuzz test
// checks that both accept and reject the same inputs with the same keys.
func statements(src []byte) ([]statement, *ParseError) {
	var out []statement
	lines := newLineIndex(src)
	pos := 0
	for {
		// getStatementStart: skip whitespace and comment lines.
		start := statementStart(src, pos)
		if start < 0 {
			return out, nil
		}
		key, valueAt, err := keyName(src, start)
		if err != nil {
			err.Line = lines.at(err.Line) // err.Line holds a byte offset here
			return nil, err
		}
		end, perr := valueEnd(src, valueAt)
		if perr != nil {
			perr.Line = lines.at(perr.Line)
			return nil, perr
		}
		out = append(out, statement{key: key, line: lines.at(start)})
		pos = end
	}
}

// statementStart returns the offset of the next statement at or after pos,
// or -1 at the end of the input.
func statementStart(src []byte, pos int) int {
	for {
		i := bytes.IndexFunc(src[pos:], func(r rune) bool { return !unicode.IsSpace(r) })
		if i < 0 {
			return -1
		}
		pos += i
		if src[pos] != '#' {
			return pos
		}
		nl := bytes.IndexByte(src[pos:], '\n')
		if nl < 0 {
			return -1
		}
		pos += nl
	}
}

// keyName reads the key of the statement at start. It returns the key and
// the offset where its value starts, or an error whose Line is the byte
// offset of the offending character.
func keyName(src []byte, start int) (string, int, *ParseError) {
	s := trimLeftSpace(src, start)
	if bytes.HasPrefix(src[s:], []byte("export")) {
		t := s + len("export")
		if bytes.IndexFunc(src[t:], isSpace) == 0 {
			s = trimLeftSpace(src, t)
		}
	}
	key, offset := "", s
	found := false
	for i := s; i < len(src); i++ {
		c := src[i]
		r := rune(c)
		if isSpace(r) {
			continue
		}
		switch c {
		case '=', ':':
			key, offset, found = string(src[s:i]), i+1, true
		case '_':
			continue
		default:
			// godotenv tests each byte as a rune, so bytes of UTF-8
			// sequences pass as letters there, and here.
			if unicode.IsLetter(r) || unicode.IsNumber(r) || r == '.' {
				continue
			}
			if c == '\n' {
				return "", 0, &ParseError{Line: i, Err: ErrMissingAssign}
			}
			return "", 0, &ParseError{Line: i, Err: ErrBadName}
		}
		if found {
			break
		}
	}
	// Without "=" at the end of the input godotenv takes the whole rest as
	// the value of the empty key.
	return strings.TrimRightFunc(key, unicode.IsSpace), trimLeftSpace(src, offset), nil
}

// valueEnd returns the offset just past the value starting at pos, or an
// error whose Line is the byte offset of the opening quote.
func valueEnd(src []byte, pos int) (int, *ParseError) {
	if pos >= len(src) || (src[pos] != '"' && src[pos] != '\'') {
		i := bytes.IndexAny(src[pos:], "\n\r")
		if i < 0 {
			return len(src), nil
		}
		return pos + i, nil
	}
	quote := src[pos]
	for i := pos + 1; i < len(src); i++ {
		if src[i] == quote && src[i-1] != '\\' {
			return i + 1, nil
		}
	}
	return 0, &ParseError{Line: pos, Err: ErrUnterminatedQuote}
}

// isSpace is godotenv's: whitespace other than a line break.
func isSpace(r rune) bool {
	switch r {
	case '\t', '\v', '\f', '\r', ' ', 0x85, 0xA0:
		return true
	}
	return false
}

// trimLeftSpace returns the offset of the first rune at or after pos that
// is not isSpace, decoding UTF-8 as godotenv's bytes.TrimLeftFunc does.
func trimLeftSpace(src []byte, pos int) int {
	return len(src) - len(bytes.TrimLeftFunc(src[pos:], isSpace))
}

// lineIndex maps byte offsets to 1-based line numbers.
type lineIndex []int // offsets of each '\n'

func newLineIndex(src []byte) lineIndex {
	var idx lineIndex
	for i, c := range src {
		if c == '\n' {
			idx = append(idx, i)
		}
	}
	return idx
}

// at returns the line holding offset: one more than the number of line
// breaks before it.
func (l lineIndex) at(offset int) int {
	lo, hi := 0, len(l)
	for lo < hi {
		m := (lo + hi) / 2
		if l[m] < offset {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo + 1
}
