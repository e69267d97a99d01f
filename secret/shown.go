package secret

// This file is the one place where a configuration value becomes text an
// output may print: every command's table and JSON, every finding of
// check, the page of `ferry serve` and the verbose log take a value
// through Shown, and cmd/ferry's TestOnePlaceMakesValuesPrintable fails
// when any other file of the module spells the placeholder or redacts a
// value by hand.

// Redacted stands in for a secret value in every output.
const Redacted = "<redacted>"

// Secrecy is what the producer of a value knows of its being secret.
type Secrecy uint8

const (
	// Unmarked: the producer knows of no secret. The key's name and the
	// value's shape still decide, so a password a producer missed is
	// hidden all the same.
	Unmarked Secrecy = iota
	// Marked: a secret by the producer's rule (a sensitive name, a
	// value it found secret). When passwords inside a URL or DSN are
	// what makes it one, they alone are replaced and the host stays
	// visible (postgres://app:<redacted>@db/orders); otherwise nothing
	// of it is shown.
	Marked
	// Whole: nothing of the value is shown: it comes from a Secret or an
	// encrypted file, or the output shows no value of it at all.
	Whole
)

// SecrecyOf is what a producer that knows whether a value is secret,
// and whether wholly so, tells Shown: Unmarked, Marked or Whole.
func SecrecyOf(isSecret, wholly bool) Secrecy {
	switch {
	case !isSecret:
		return Unmarked
	case wholly:
		return Whole
	}
	return Marked
}

// Shown is key's value as an output may print it: Redacted for a secret,
// a URL or DSN with only its passwords replaced when that is all that is
// secret of it, and in every case with the terminal's control sequences
// removed (see Printable), since a value is text ferry did not write.
func Shown(key, value string, s Secrecy) string {
	if s == Whole {
		return Redacted
	}
	// What Is already found not secret (render judges every entry
	// before an output shows it) is not checked again.
	out := value
	if !isCleared(key, value) {
		out = show(key, value)
	}
	if s == Marked && out == value {
		return Redacted
	}
	return Printable(out)
}

// show is what of a value is not secret by its key's name or its shape.
func show(key, value string) string {
	if Name(key) || opaqueSecret(value) {
		return Redacted
	}
	if red, ok := redactURL(value); ok {
		return red
	}
	if p, ok := keyedPair(key, value); ok {
		return value[:p.Start] + Redacted + value[p.End:]
	}
	return value
}

// redactURL replaces every password of a URL or DSN value (see
// Passwords) with Redacted and reports whether there was one.
func redactURL(v string) (string, bool) {
	ps := Passwords(v)
	for i := len(ps) - 1; i >= 0; i-- {
		v = v[:ps[i].Start] + Redacted + v[ps[i].End:]
	}
	return v, len(ps) > 0
}
