package render

// Change is one key whose effective value differs between two
// environments.
type Change struct {
	Key    string
	Change string // "changed", "added" or "removed"
	From   *Entry // nil when added
	To     *Entry // nil when removed
}

// Diff lists the keys whose effective values differ from a to b, sorted by
// key. Secret values are compared like any other; callers print them only
// through Entry.Display.
func Diff(a, b *Config) []Change {
	var out []Change
	i, j := 0, 0
	for i < len(a.Entries) || j < len(b.Entries) {
		switch {
		case j >= len(b.Entries) || (i < len(a.Entries) && a.Entries[i].Key < b.Entries[j].Key):
			e := a.Entries[i]
			out = append(out, Change{Key: e.Key, Change: "removed", From: &e})
			i++
		case i >= len(a.Entries) || b.Entries[j].Key < a.Entries[i].Key:
			e := b.Entries[j]
			out = append(out, Change{Key: e.Key, Change: "added", To: &e})
			j++
		default:
			ea, eb := a.Entries[i], b.Entries[j]
			if !sameValue(ea, eb) {
				out = append(out, Change{Key: ea.Key, Change: "changed", From: &ea, To: &eb})
			}
			i++
			j++
		}
	}
	return out
}

// sameValue compares two entries' values; two external values are the
// same when they name the same reference.
func sameValue(a, b Entry) bool {
	if a.External || b.External {
		return a.External == b.External && a.Source.Detail == b.Source.Detail
	}
	return a.Value == b.Value
}
