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
//
// The keys themselves (making, hashing, parsing, the key files) are
// kit/apikey's, which has no gRPC in it.
package auth

import (
	"context"
	"github.com/cqlive/alliance/services/kit/ctxval"
	"log/slog"

	"github.com/cqlive/alliance/services/kit/members"
)

// Kind of principal.
type Kind int

const (
	// Anonymous is no principal at all: a call that reached a handler
	// without passing authentication. Every rule refuses it.
	Anonymous Kind = iota
	Admin
	Member
	Service
	// Unchecked is every call to a server started without authentication
	// (Security.Admin nil, which only in-process tests do): trusted like
	// the alliance's staff. It is a principal of its own, set by
	// Security.Server, so that a server wired without authentication by
	// mistake meets Anonymous and refuses, instead of trusting everyone.
	Unchecked
)

func (k Kind) String() string {
	if k < Anonymous || k > Unchecked {
		return "unknown"
	}
	return [...]string{"anonymous", "admin", "member", "service", "unchecked"}[k]
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

// Principal is who makes a call.
type Principal struct {
	Kind Kind
	// Member: members/{id}, its kind (HOST, BASE, AGENCY, MERCHANT,
	// DISTRICT_OFFICE), district and state (ACTIVE or SUSPENDED; a
	// WITHDRAWN member's keys do not authenticate).
	Member      string
	MemberKind  members.Kind
	District    string
	MemberState members.State
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

// Trusted is any of the alliance's staff or another service of the suite
// (or any call of a server without authentication): callers that may see
// everything. What they may change is the Policy's business: a
// STAFF_READONLY key is refused every write before a handler runs.
func (p Principal) Trusted() bool { return p.Kind == Admin || p.Kind == Service || p.Kind == Unchecked }

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

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context { return ctxval.With(ctx, p) }

// From returns the principal of the call (Anonymous when none).
func From(ctx context.Context) Principal {
	p, _ := ctxval.Of[Principal](ctx)
	return p
}
