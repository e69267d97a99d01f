package secret

import (
	"strings"
	"unicode/utf8"

	"github.com/ferrydev/ferry/internal/lazyre"
)

// escapeSeq is a terminal escape sequence: CSI (colours, cursor moves,
// screen clears), OSC (window titles, hyperlinks, clipboard writes),
// DCS/SOS/PM/APC strings, and the two-byte ESC forms.
var escapeSeq = lazyre.New(`\x1b(\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(\x07|\x1b\\)?|[PX^_][^\x1b]*(\x1b\\)?|[ -/]*[0-~]?)`)

// Printable returns an untrusted string — a signer's name, the "who" of an
// action taken on the page, a failed service's log tail — fit to print on
// the operator's terminal: escape sequences are removed, and so are other
// control characters but tab and newline, C1 controls, the bidirectional
// overrides that reorder what is shown, and invalid UTF-8 (replaced).
// A string could otherwise rewrite the screen, hide lines, set the
// window title or, on some terminals, write the clipboard.
func Printable(s string) string {
	if printableAlready(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = escapeSeq.Get().ReplaceAllString(s, "")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n':
			return r
		case r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0:
			return -1
		case r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f || r == 0x061c:
			return -1
		}
		return r
	}, s)
}

// PrintableLine is Printable for a string that must stay on one line (a
// name in a table): newlines and tabs become spaces.
func PrintableLine(s string) string {
	return strings.NewReplacer("\n", " ", "\t", " ").Replace(Printable(s))
}

// printableAlready is the common case, checked without allocating:
// printable ASCII, tabs and newlines.
func printableAlready(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || c < 0x20 && c != '\t' && c != '\n' || c == 0x7f {
			return false
		}
	}
	return true
}
