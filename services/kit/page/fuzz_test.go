package page

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/cqlive/alliance/services/kit/fault"
)

// FuzzPageToken checks the token codec against any input: Decode never
// panics and refuses with INVALID_ARGUMENT; it accepts a token only as
// Encode spells it (no second spelling of one token); a round trip gives
// the cursor back exactly; and a token with one bit flipped, or used for
// another query, is refused. testdata/fuzz/FuzzPageToken keeps the inputs
// that broke the codec once.
func FuzzPageToken(f *testing.F) {
	c := NewCodec([]byte("0123456789abcdef0123456789abcdef"))
	f.Add("members|kind=1", []byte("cursor-42"), c.Encode("members|kind=1", []byte("cursor-42")), uint(0))
	f.Add("", []byte{}, "", uint(7))
	f.Add("sessions|host=members/h1", []byte{0, 0xff, 0x10}, "!!not-base64!!", uint(130))
	f.Fuzz(func(t *testing.T, query string, cursor []byte, token string, flip uint) {
		got, err := c.Decode(token, query)
		switch {
		case err != nil:
			if fe, ok := fault.As(err); !ok || fe.Code != fault.InvalidArgument {
				t.Fatalf("Decode(%q) = %v, want INVALID_ARGUMENT", token, err)
			}
		case token != "" && c.Encode(query, got) != token:
			t.Fatalf("Decode accepted %q, which Encode spells %q", token, c.Encode(query, got))
		}

		tok := c.Encode(query, cursor)
		back, err := c.Decode(tok, query)
		if err != nil || !bytes.Equal(back, cursor) {
			t.Fatalf("round trip of %q: %q, %v", cursor, back, err)
		}
		if _, err := c.Decode(tok, query+"|more"); err == nil {
			t.Fatalf("the token of %q was accepted for another query", query)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(tok)
		raw[flip/8%uint(len(raw))] ^= 1 << (flip % 8)
		if _, err := c.Decode(base64.RawURLEncoding.EncodeToString(raw), query); err == nil {
			t.Fatalf("a token with bit %d flipped was accepted", flip)
		}
	})
}
