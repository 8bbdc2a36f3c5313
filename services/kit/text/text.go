// Package text holds the suite's rule for the text that one caller types
// and others are shown: display names, session titles, room ids. It is
// one rule for every service, so that a name and a title that stand side
// by side in a list, a report or an export are held to the same thing.
package text

import (
	"unicode"

	"github.com/cqlive/alliance/services/kit/fault"
)

// Unshown is the first character of s that does not show as itself, and
// its byte offset: a control character (a NUL, a tab, a line break), a
// line or paragraph separator, or a bidirectional embedding, override or
// isolate (U+202A–U+202E, U+2066–U+2069), which shows the text after it
// reversed or moved in every list it stands in. ok is false when every
// character shows.
func Unshown(s string) (r rune, at int, ok bool) {
	for i, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || '\u202a' <= r && r <= '\u202e' || '\u2066' <= r && r <= '\u2069' {
			return r, i, true
		}
	}
	return 0, 0, false
}

// Check adds to v that field must show as itself, when s holds a
// character that Unshown finds.
func Check(v *fault.Invalid, field, s string) {
	if r, i, ok := Unshown(s); ok {
		v.Add(field, "must not hold control or bidirectional formatting characters, has %U at byte %d", r, i)
	}
}
