// Package auth authenticates every call to the suite and checks it against
// the service's table of rules. Keys travel as `authorization: Bearer <key>`.
//
// Three kinds of caller:
//   - admin: the alliance's staff. The bootstrap keys come from
//     configuration (a file); named staff keys, each of one person with a
//     role (ADMIN, or STAFF_READONLY that reads everything and writes
//     nothing), are issued by member-registry like member keys;
//   - member: a member system; keys are issued by member-registry, which
//     stores only their hashes;
//   - service: one service of the suite calling another; its token is an
//     HMAC of its name under the deployment's internal secret.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// Kind of principal.
type Kind int

const (
	Anonymous Kind = iota
	Admin
	Member
	Service
)

func (k Kind) String() string {
	return [...]string{"anonymous", "admin", "member", "service"}[k]
}

// Role of a staff key (Kind Admin). The zero Role may not write, so a
// principal built without one fails closed.
type Role int

const (
	RoleNone Role = iota
	// RoleAdmin may do everything: the bootstrap keys and ADMIN staff keys.
	RoleAdmin
	// RoleReadOnly (STAFF_READONLY) may read everything and write nothing.
	RoleReadOnly
)

func (r Role) String() string {
	return [...]string{"none", "admin", "staff_readonly"}[r]
}

// Member states as the principal carries them (the registry's names).
const (
	MemberActive    = "ACTIVE"
	MemberSuspended = "SUSPENDED"
)

// Principal is who makes a call.
type Principal struct {
	Kind Kind
	// Member: members/{id}, its kind (HOST, BASE, AGENCY, MERCHANT,
	// DISTRICT_OFFICE), district and state (ACTIVE or SUSPENDED; a
	// WITHDRAWN member's keys do not authenticate).
	Member      string
	MemberKind  string
	District    string
	MemberState string
	// Admin: what the key may do.
	Role Role
	// KeyID names the key in logs, never its secret: a registry key's id,
	// or BootstrapKeyID of a key from the admin key file.
	KeyID string
	// Service: the calling service's name, e.g. "session-scheduling".
	Service string
}

// IsAdmin reports whether p is an admin that may also write (the
// bootstrap keys and ADMIN staff keys; not STAFF_READONLY).
func (p Principal) IsAdmin() bool { return p.Kind == Admin && p.Role == RoleAdmin }

// Trusted is any of the alliance's staff or another service of the suite:
// callers that may see everything. What they may change is the Policy's
// business: a STAFF_READONLY key is refused every write before a handler
// runs.
func (p Principal) Trusted() bool { return p.Kind == Admin || p.Kind == Service }

// Is reports whether p is the member named name.
func (p Principal) Is(name string) bool { return p.Kind == Member && p.Member == name }

// LogAttrs name the caller on its call's log line: its kind, and which key
// (its id, never the secret), member or service it is.
func (p Principal) LogAttrs() []slog.Attr {
	attrs := []slog.Attr{slog.String("caller", p.Kind.String())}
	switch p.Kind {
	case Admin:
		attrs = append(attrs, slog.String("key_id", p.KeyID), slog.String("role", p.Role.String()))
	case Member:
		attrs = append(attrs, slog.String("key_id", p.KeyID), slog.String("member", p.Member))
	case Service:
		attrs = append(attrs, slog.String("service", p.Service))
	}
	return attrs
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// From returns the principal of the call (Anonymous when none).
func From(ctx context.Context) Principal {
	p, _ := ctx.Value(principalKey{}).(Principal)
	return p
}

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
	return keyID, memberKeyPrefix + keyID + "_" + secret, secret
}

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
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("admin key file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("admin key file %s has mode %v; it must be readable by its owner only (chmod 600)", path, fi.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("admin key file: %w", err)
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
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("service secret file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("service secret file %s has mode %v; it must be readable by its owner only (chmod 600)", path, fi.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(string(raw))
	if len(s) < 32 {
		return nil, fmt.Errorf("service secret file %s: the secret must have at least 32 characters", path)
	}
	return ServiceSecret(s), nil
}
