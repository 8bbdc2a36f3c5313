// Package ids checks and makes the client-visible ids of resources
// (member_id, product_id, studio_id, session_id, ...).
package ids

import (
	"crypto/rand"
	"regexp"
)

// Pattern is the id alphabet of every resource (docs/API.md): 1-63
// lowercase letters, digits and hyphens, starting with a letter.
var Pattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}$`)

// Valid reports whether id follows Pattern.
func Valid(id string) bool { return Pattern.MatchString(id) }

const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// New makes a random id in the same alphabet: a letter and 15 more
// characters (about 77 bits), so ids made by the server never collide in practice.
func New() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	out := make([]byte, len(b))
	out[0] = alphabet[int(b[0])%26]
	for i := 1; i < len(b); i++ {
		out[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(out)
}
