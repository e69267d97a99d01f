package envfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/joho/godotenv"
)

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

// ParseError is a file godotenv refused. GoFr exits at start on such a file
// (it loads nothing from it), so callers should treat it as fatal.
type ParseError struct {
	File string
	Line int // the statement where parsing stopped
	Err  error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// ReadFile parses one dotenv file from fsys. The result is in file order,
// one Var per key, at the line of the key's last definition (the one that
// wins, as in godotenv).
func ReadFile(fsys fs.FS, name string) ([]Var, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	return Parse(name, data)
}

// Parse parses dotenv content; name is used only for sources and errors.
//
// Values come from godotenv applied to the whole file, so expansion of
// ${VAR} sees exactly the keys defined earlier in the same file. Lines are
// found by feeding godotenv one statement at a time: the smallest run of
// lines that parses on its own is one statement, which keeps multi-line
// quoted values intact without a second dotenv grammar.
func Parse(name string, data []byte) ([]Var, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	values, err := godotenv.UnmarshalBytes(data)

	lines := strings.SplitAfter(string(data), "\n")
	lineOf := make(map[string]int, len(values))
	var order []string
	start := 0
	for start < len(lines) {
		end := start + 1
		for ; end <= len(lines); end++ {
			seg, segErr := godotenv.Unmarshal(strings.Join(lines[start:end], ""))
			if segErr != nil {
				continue
			}
			at := firstStatement(lines, start, end)
			for k := range seg {
				if _, seen := lineOf[k]; !seen {
					order = append(order, k)
				}
				lineOf[k] = at
			}
			break
		}
		if end > len(lines) {
			// Nothing from start parses: this is where godotenv stops.
			if err == nil {
				err = errors.New("unparsable statement")
			}
			return nil, &ParseError{File: name, Line: firstStatement(lines, start, len(lines)), Err: err}
		}
		start = end
	}
	if err != nil {
		// The statements parse one by one but not together; point at the top.
		return nil, &ParseError{File: name, Line: 1, Err: err}
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

// firstStatement returns the 1-based number of the first line in
// lines[from:to] that is neither blank nor a comment.
func firstStatement(lines []string, from, to int) int {
	for i := from; i < to; i++ {
		t := strings.TrimSpace(lines[i])
		if t != "" && !strings.HasPrefix(t, "#") {
			return i + 1
		}
	}
	return from + 1
}
