package render

import (
	"strconv"
	"strings"
)

// plainManifest parses doc as parseManifest does when doc is in the
// plain block form most rendered manifests take: block mappings and
// sequences, one entry a line, whose keys are plain words and whose
// values are quoted strings without escapes, plain words and decimal
// integers. A 30,000-key ConfigMap is parsed, twice (the object and its
// marked twin), in a fraction of yaml.v2's time. ok is false for
// anything else (flow collections, comments, escapes, anchors, block
// scalars, YAML 1.1's booleans and nulls): yaml.v2 decides
// those, as ever.
func plainManifest(doc string) (m map[string]any, ok bool) {
	p := plainParser{lines: make([]plainLine, 0, strings.Count(doc, "\n")+1)}
	for len(doc) > 0 {
		line := doc
		if i := strings.IndexByte(doc, '\n'); i >= 0 {
			line, doc = doc[:i], doc[i+1:]
		} else {
			doc = ""
		}
		text := strings.TrimLeft(line, " ")
		text = strings.TrimRight(text, " ")
		if text == "" {
			continue
		}
		if strings.ContainsAny(text, "#&*!|>{}[]\\") || strings.HasPrefix(text, "---") || strings.HasPrefix(text, "...") {
			return nil, false
		}
		for i := 0; i < len(text); i++ {
			if text[i] < ' ' || text[i] >= 0x7f {
				return nil, false // tabs, control characters, what UTF-8 yaml.v2 checks
			}
		}
		p.lines = append(p.lines, plainLine{indent: len(line) - len(strings.TrimLeft(line, " ")), text: text})
	}
	if len(p.lines) == 0 || p.lines[0].indent != 0 || seqItem(p.lines[0].text) {
		return nil, false
	}
	m, ok = p.mapping(0)
	return m, ok && p.i == len(p.lines)
}

type plainLine struct {
	indent int
	text   string
}

type plainParser struct {
	lines []plainLine
	i     int
}

func seqItem(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

// block parses the mapping or sequence starting at the current line.
func (p *plainParser) block() (any, bool) {
	l := p.lines[p.i]
	if seqItem(l.text) {
		return p.sequence(l.indent)
	}
	return p.mapping(l.indent)
}

// entries counts the entries of the mapping or sequence at indent that
// starts at the current line: a 30,000-key map is made its size, not
// grown to it.
func (p *plainParser) entries(indent int) int {
	n := 0
	for _, l := range p.lines[p.i:] {
		if l.indent < indent {
			break
		}
		if l.indent == indent {
			n++
		}
	}
	return n
}

func (p *plainParser) mapping(indent int) (map[string]any, bool) {
	m := make(map[string]any, p.entries(indent))
	for p.i < len(p.lines) && p.lines[p.i].indent == indent && !seqItem(p.lines[p.i].text) {
		key, rest, ok := plainKey(p.lines[p.i].text)
		if !ok {
			return nil, false
		}
		if _, dup := m[key]; dup {
			return nil, false
		}
		p.i++
		var v any
		if rest != "" {
			if v, ok = plainScalar(rest); !ok {
				return nil, false
			}
		} else if p.i < len(p.lines) {
			if next := p.lines[p.i]; next.indent > indent || (next.indent == indent && seqItem(next.text)) {
				if v, ok = p.block(); !ok {
					return nil, false
				}
			}
		}
		m[key] = v
	}
	if p.i < len(p.lines) && p.lines[p.i].indent > indent {
		return nil, false // a continued plain scalar, or worse
	}
	return m, true
}

func (p *plainParser) sequence(indent int) ([]any, bool) {
	s := make([]any, 0, p.entries(indent))
	for p.i < len(p.lines) && p.lines[p.i].indent == indent && seqItem(p.lines[p.i].text) {
		l := &p.lines[p.i]
		if l.text == "-" {
			return nil, false
		}
		rest := strings.TrimLeft(l.text[2:], " ")
		if seqItem(rest) {
			return nil, false
		}
		if _, _, isKey := plainKey(rest); isKey {
			// - name: x: a mapping whose first entry shares the dash's line.
			l.indent, l.text = indent+len(l.text)-len(rest), rest
			m, ok := p.mapping(l.indent)
			if !ok {
				return nil, false
			}
			s = append(s, m)
			continue
		}
		v, ok := plainScalar(rest)
		if !ok {
			return nil, false
		}
		p.i++
		s = append(s, v)
	}
	if p.i < len(p.lines) && p.lines[p.i].indent > indent {
		return nil, false
	}
	return s, true
}

// plainKey splits "key: rest" or "key:" whose key is a word read as a
// string or a decimal integer (whose string it then is, as jsonish makes
// it).
func plainKey(text string) (key, rest string, ok bool) {
	i := strings.IndexByte(text, ':')
	// yaml.v2 gives up on an implicit key longer than 1,024 characters.
	if i <= 0 || i > 1000 || (i+1 < len(text) && text[i+1] != ' ') {
		return "", "", false
	}
	v, ok := plainScalar(text[:i])
	switch v.(type) {
	case string:
		if text[0] == '"' || text[0] == '\'' {
			return "", "", false
		}
	case float64:
	default:
		return "", "", false
	}
	return text[:i], strings.TrimLeft(text[i+1:], " "), ok
}

// plainScalar reads a value as yaml.v2 and jsonish would: a quoted
// string without escapes, a decimal integer (as a float64) or a plain
// word; ok is false for anything else (a YAML 1.1 boolean or null too:
// rare in a large document, and yaml.v2's to read).
func plainScalar(s string) (any, bool) {
	switch q := s[0]; q {
	case '"', '\'':
		if len(s) < 2 || s[len(s)-1] != q || strings.IndexByte(s[1:len(s)-1], q) >= 0 {
			return nil, false
		}
		return s[1 : len(s)-1], true
	}
	c := s[0]
	if c >= '0' && c <= '9' {
		// Canonical decimal only: 0x1f, 010, 1_000, 1.5 and dates are
		// yaml.v2's to read.
		if len(s) > 15 || (c == '0' && len(s) > 1) {
			return nil, false
		}
		n, err := strconv.Atoi(s)
		return float64(n), err == nil
	}
	if yaml11Words[s] || !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/') {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == ':' && (i+1 == len(s) || s[i+1] == ' '):
			return nil, false
		case strings.IndexByte("_./-:@=+,%", c) >= 0:
		default:
			return nil, false
		}
	}
	return s, true
}
