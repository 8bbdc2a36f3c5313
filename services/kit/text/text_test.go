package text_test

import (
	"testing"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/text"
)

func TestUnshownFindsWhatDoesNotShowAsItself(t *testing.T) {
	for _, c := range []struct {
		s  string
		r  rune
		at int
		ok bool
	}{
		{"重庆直播带货", 0, 0, false},
		{"Tea & Honey – 茶 (2020)", 0, 0, false},
		{"emoji 🍵 and 　 ideographic space", 0, 0, false},
		{"", 0, 0, false},
		{"a\x00b", 0, 1, true},
		{"李\t主播", '\t', 3, true},
		{"李\r\n=1+1", '\r', 3, true},
		{"\u0085next line", '\u0085', 0, true},
		{"a\u2028b", '\u2028', 1, true},
		{"a\u2029b", '\u2029', 1, true},
		{"\u202eabc", '\u202e', 0, true},
		{"x\u202ay", '\u202a', 1, true},
		{"x\u2066y", '\u2066', 1, true},
		{"x\u2069y", '\u2069', 1, true},
		{"x\u2065y", 0, 0, false}, // unassigned, just below the isolates: not a control
		{"x\u202fy", 0, 0, false}, // narrow no-break space, just above the overrides
	} {
		r, at, ok := text.Unshown(c.s)
		if ok != c.ok || ok && (r != c.r || at != c.at) {
			t.Errorf("Unshown(%q) = %U, %d, %v; want %U, %d, %v", c.s, r, at, ok, c.r, c.at, c.ok)
		}
		var v fault.Invalid
		text.Check(&v, "session.title", c.s)
		if v.Empty() == c.ok {
			t.Errorf("Check(%q) added a violation: %v; want %v", c.s, !v.Empty(), c.ok)
		}
	}
}
