// Package apikey makes, hashes, parses and loads the suite's credentials:
// member and staff keys (issued by member-registry, which keeps only their
// hashes), the admin key file, and the service secret whose HMAC tokens
// the services present to one another. It has no gRPC in it, so that
// member-registry's domain can issue keys without importing a transport;
// kit/auth checks the credentials of each call with it.
package apikey

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// RandomSecret returns n random bytes as lowercase base32.
func RandomSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return strings.ToLower(b32.EncodeToString(b))
}

// Hash is the stored form of a key secret. Secrets are 32 random bytes, so
// a fast hash suffices: there is nothing to guess.
func Hash(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Equal compares two hashes in constant time.
func Equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// Member keys look like "mk_<key id>_<secret>".
const memberKeyPrefix = "mk_"

// NewMemberKey makes a key id and the full key to hand out once.
func NewMemberKey() (keyID, key, secret string) {
	keyID = RandomSecret(10)
	secret = RandomSecret(32)
	return keyID, MemberKey(keyID, secret), secret
}

// MemberKey is the full key of a key id and its secret.
func MemberKey(keyID, secret string) string { return memberKeyPrefix + keyID + "_" + secret }

// ParseMemberKey splits a member key; ok is false for anything else.
func ParseMemberKey(key string) (keyID, secret string, ok bool) {
	rest, found := strings.CutPrefix(key, memberKeyPrefix)
	if !found {
		return "", "", false
	}
	keyID, secret, ok = strings.Cut(rest, "_")
	return keyID, secret, ok && keyID != "" && secret != ""
}

// Admin keys look like "adm_<secret>".
const adminKeyPrefix = "adm_"

// NewAdminKey makes an admin key.
func NewAdminKey() string { return adminKeyPrefix + RandomSecret(32) }

// AdminKeys holds the hashes of the configured admin keys.
type AdminKeys struct{ hashes [][]byte }

// LoadAdminKeys reads admin keys, one per line ('#' starts a comment), from
// a file that only its owner may read.
func LoadAdminKeys(path string) (*AdminKeys, error) {
	raw, err := readPrivate("admin key file", path)
	if err != nil {
		return nil, err
	}
	ak := &AdminKeys{}
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.HasPrefix(line, adminKeyPrefix) || len(line) < len(adminKeyPrefix)+20 {
			return nil, fmt.Errorf("admin key file %s: a key must look like adm_<at least 20 characters>", path)
		}
		ak.hashes = append(ak.hashes, Hash(line))
	}
	if len(ak.hashes) == 0 {
		return nil, fmt.Errorf("admin key file %s holds no key", path)
	}
	return ak, nil
}

// NewAdminKeysFor is for tests and tools: the given keys, hashed.
func NewAdminKeysFor(keys ...string) *AdminKeys {
	ak := &AdminKeys{}
	for _, k := range keys {
		ak.hashes = append(ak.hashes, Hash(k))
	}
	return ak
}

// Match reports whether key is an admin key. Every stored hash is compared,
// so the time taken does not depend on which one matches.
func (a *AdminKeys) Match(key string) bool {
	if a == nil || !strings.HasPrefix(key, adminKeyPrefix) {
		return false
	}
	h := Hash(key)
	found := 0
	for _, s := range a.hashes {
		found |= subtle.ConstantTimeCompare(h, s)
	}
	return found == 1
}

// BootstrapKeyPrefix starts the id of every key of the admin key file;
// registry key ids (lowercase base32) never contain a hyphen.
const BootstrapKeyPrefix = "bootstrap-"

// BootstrapKeyID is the name of a key of the admin key file in logs:
// "bootstrap-" and 12 hex digits of a hash of the key, kept apart from
// Hash by its own prefix. It stays the same across restarts, tells the
// file's keys apart, and says nothing usable about the secret.
func BootstrapKeyID(key string) string {
	h := sha256.Sum256([]byte("alliance-bootstrap-key-id:" + key))
	return BootstrapKeyPrefix + hex.EncodeToString(h[:6])
}

// ServiceSecret is the deployment's internal secret, shared by its services.
type ServiceSecret []byte

// Service tokens look like "svc_<name>_<hex hmac>".
const serviceTokenPrefix = "svc_"

// Token is the bearer token the named service presents.
func (s ServiceSecret) Token(service string) string {
	return serviceTokenPrefix + service + "_" + hex.EncodeToString(s.mac(service))
}

func (s ServiceSecret) mac(service string) []byte {
	m := hmac.New(sha256.New, s)
	m.Write([]byte("alliance-service:" + service))
	return m.Sum(nil)
}

// Verify returns the service a token names, if its HMAC is right.
func (s ServiceSecret) Verify(token string) (string, bool) {
	if len(s) == 0 {
		return "", false
	}
	rest, ok := strings.CutPrefix(token, serviceTokenPrefix)
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, '_')
	if i <= 0 {
		return "", false
	}
	// The whole token is compared with the one Token makes, so no other
	// spelling (upper-case hex) is accepted; the comparison takes constant time.
	name := rest[:i]
	return name, hmac.Equal([]byte(token), []byte(s.Token(name)))
}

// LoadServiceSecret reads the internal secret from a 0600 file.
func LoadServiceSecret(path string) (ServiceSecret, error) {
	raw, err := readPrivate("service secret file", path)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(string(raw))
	if len(s) < 32 {
		return nil, fmt.Errorf("service secret file %s: the secret must have at least 32 characters", path)
	}
	return ServiceSecret(s), nil
}

// readPrivate reads a credential file (what names it in errors), refusing
// one that anybody but its owner may read or write: a key in a file the
// group can read is a key already shared.
func readPrivate(what, path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s %s has mode %v; it must be readable by its owner only (chmod 600)", what, path, fi.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return raw, nil
}
