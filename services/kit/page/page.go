// Package page implements the paging conventions of every List RPC: page
// sizes, and opaque page tokens that are tamper-evident and bound to the
// query they came from.
package page

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"

	"github.com/cqlive/alliance/services/kit/fault"
)

const (
	// DefaultSize is used when page_size is 0.
	DefaultSize = 50
	// MaxSize caps page_size.
	MaxSize = 1000
	macLen  = 16
)

// Size applies the page_size rules: 0 means DefaultSize, larger than
// MaxSize is capped, negative is INVALID_ARGUMENT.
func Size(pageSize int32) (int, error) {
	switch {
	case pageSize < 0:
		return 0, fault.InvalidField("page_size", "must not be negative, got %d", pageSize)
	case pageSize == 0:
		return DefaultSize, nil
	case pageSize > MaxSize:
		return MaxSize, nil
	}
	return int(pageSize), nil
}

// Codec signs and checks page tokens with a key kept by the service.
type Codec struct{ key []byte }

// NewCodec returns a codec with the given secret key (at least 16 bytes).
func NewCodec(key []byte) *Codec {
	if len(key) < 16 {
		panic("page: key too short")
	}
	return &Codec{key: append([]byte(nil), key...)}
}

func (c *Codec) mac(query string, cursor []byte) []byte {
	h := hmac.New(sha256.New, c.key)
	// The query and the cursor are length-prefixed so that no split of one
	// string into the two can forge another.
	var n [8]byte
	putLen(n[:], len(query))
	h.Write(n[:])
	h.Write([]byte(query))
	h.Write(cursor)
	return h.Sum(nil)[:macLen]
}

func putLen(b []byte, n int) {
	for i := 7; i >= 0; i-- {
		b[i] = byte(n)
		n >>= 8
	}
}

// Encode makes the token that resumes query after cursor. query is a
// fingerprint of the request's filters (anything that changes the result set).
func (c *Codec) Encode(query string, cursor []byte) string {
	buf := append(append([]byte(nil), cursor...), c.mac(query, cursor)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// Decode checks token against query and returns its cursor. An empty token
// is the first page (nil cursor). An altered token, or one made for another
// query, is INVALID_ARGUMENT.
func (c *Codec) Decode(token, query string) ([]byte, error) {
	if token == "" {
		return nil, nil
	}
	bad := fault.InvalidField("page_token", "is not a page token of this query; start again without one")
	raw, err := base64.RawURLEncoding.DecodeString(token)
	// The decoder skips newlines and ignores the unused low bits of the
	// last character, so several strings decode to one token; only the
	// spelling Encode makes is a token.
	if err != nil || len(raw) < macLen || base64.RawURLEncoding.EncodeToString(raw) != token {
		return nil, bad
	}
	cursor, sum := raw[:len(raw)-macLen], raw[len(raw)-macLen:]
	if !hmac.Equal(sum, c.mac(query, cursor)) {
		return nil, bad
	}
	if cursor == nil {
		cursor = []byte{}
	}
	return cursor, nil
}
