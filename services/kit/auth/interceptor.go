package auth

import (
	"context"
	"strings"

	adminv1 "github.com/cqlive/alliance/gen/pb/alliance/admin/v1"
	"github.com/cqlive/alliance/services/kit/apikey"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/members"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// MemberKeys checks the keys member-registry issues: members' keys and
// named staff keys (both look like mk_<key id>_<secret>). The registry
// answers from its own store, other services ask the registry (with a
// short cache).
type MemberKeys interface {
	// Lookup returns the principal of a valid key: a member (with its
	// state), or a staff admin (with its role). A wrong, unknown or revoked
	// key is a fault.Unauthenticated; a registry that cannot be reached is
	// a fault.Unavailable.
	Lookup(ctx context.Context, keyID, secret string) (Principal, error)
}

// Authenticator turns bearer tokens into principals.
type Authenticator struct {
	Admin    *AdminKeys
	Services ServiceSecret
	Members  MemberKeys
}

// ErrUnauthenticated is the one answer to every bad credential, so that
// it reveals nothing about which part was wrong; the gateway gives it to a
// request without a key.
var ErrUnauthenticated = grpcx.FaultStatus(Domain, fault.New(fault.Unauthenticated, fault.ReasonUnauthenticated,
	"missing or invalid API key: send `authorization: Bearer <key>`")).Err()

// Domain is the ErrorInfo domain of authentication failures.
const Domain = "auth.alliance"

// Authenticate returns the principal of token ("" is Anonymous).
func (a *Authenticator) Authenticate(ctx context.Context, token string) (Principal, error) {
	switch {
	case token == "":
		return Principal{}, nil
	case a.Admin.Match(token):
		return Principal{Kind: Admin, Role: RoleAdmin, KeyID: apikey.BootstrapKeyID(token)}, nil
	}
	if name, ok := a.Services.Verify(token); ok {
		return Principal{Kind: Service, Service: name}, nil
	}
	if keyID, secret, ok := apikey.ParseMemberKey(token); ok && a.Members != nil {
		p, err := a.Members.Lookup(ctx, keyID, secret)
		if err != nil {
			if fault.CodeOf(err) == fault.Unavailable {
				return Principal{}, grpcx.FaultStatus(Domain, fault.New(fault.Unavailable, fault.ReasonDependencyUnavailable,
					"cannot check the API key: member-registry is unavailable")).Err()
			}
			return Principal{}, ErrUnauthenticated
		}
		return p, nil
	}
	return Principal{}, ErrUnauthenticated
}

// Rule says who may call a method at all, and whether the method writes.
// Every rule of a Policy is one of the callers below or-ed with exactly one
// of Read and Write, e.g. Members|Write. Whether a member may touch a given
// resource is checked by the handler, with From(ctx).
//
// Write is where the rules that hold in every service live: a
// STAFF_READONLY key is refused every write (PERMISSION_DENIED, reason
// READ_ONLY_KEY), and so is a SUSPENDED member (FAILED_PRECONDITION,
// reason MEMBER_SUSPENDED), which may still read.
type Rule int

const (
	// Deny is the zero Rule: a method missing from the table is refused.
	Deny Rule = iota
	// Public needs no key (health checks).
	Public
	// AdminOnly: the alliance's staff.
	AdminOnly
	// TrustedOnly: the alliance's staff and the suite's own services.
	TrustedOnly
	// Members: any authenticated caller; the handler narrows it to the
	// member's own data where the service's rules say so.
	Members
)

// What a method does; exactly one of them is part of every rule. A rule
// with neither (or both) is refused like Deny and listed by Uncovered.
const (
	// Read changes nothing.
	Read Rule = 1 << 4
	// Write may change something stored.
	Write Rule = 1 << 5
)

const effects = Read | Write

// Who is the caller part of the rule.
func (r Rule) Who() Rule { return r &^ effects }

// Writes says whether the method writes.
func (r Rule) Writes() bool { return r&effects == Write }

// annotated says whether the rule names its callers and exactly one effect.
func (r Rule) annotated() bool {
	e := r & effects
	return r.Who() > Deny && r.Who() <= Members && (e == Read || e == Write)
}

func (r Rule) String() string {
	who := "unknown"
	if w := r.Who(); w >= Deny && w <= Members {
		who = [...]string{"deny", "public", "admin", "trusted", "members"}[w]
	}
	switch r & effects {
	case Read:
		return who + "/read"
	case Write:
		return who + "/write"
	}
	return who + "/unannotated"
}

// Policy maps full method names ("/pkg.Service/Method") to rules.
type Policy map[string]Rule

// Platform rules every server shares: health is public, reflection is for
// admins, and so is a backup of the service's file (alliance-admin): it
// reads everything the service holds.
var platform = Policy{
	adminv1.Maintenance_Backup_FullMethodName:                        AdminOnly | Read,
	"/grpc.health.v1.Health/Check":                                   Public | Read,
	"/grpc.health.v1.Health/Watch":                                   Public | Read,
	"/grpc.health.v1.Health/List":                                    Public | Read,
	"/grpc.reflection.v1.ServerReflection/ServerReflectionInfo":      AdminOnly | Read,
	"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": AdminOnly | Read,
}

// RuleFor returns the rule of a method: the service's table, then the platform's.
func (p Policy) RuleFor(method string) Rule {
	if r, ok := p[method]; ok {
		return r
	}
	return platform[method]
}

// Check says whether pr may call method at all: who may call it, and, for
// a method that writes, whether pr may write.
func (p Policy) Check(method string, pr Principal) error {
	rule := p.RuleFor(method)
	if rule.annotated() && rule.Who() == Public {
		return nil
	}
	if pr.Kind == Anonymous {
		return ErrUnauthenticated
	}
	allowed := false
	if rule.annotated() {
		switch rule.Who() {
		case AdminOnly:
			allowed = pr.Kind == Admin
		case TrustedOnly:
			allowed = pr.Trusted()
		case Members:
			allowed = true
		}
	}
	short := method[strings.LastIndexByte(method, '/')+1:]
	if !allowed {
		return grpcx.FaultStatus(Domain, fault.New(fault.PermissionDenied, fault.ReasonPermissionDenied,
			"this key may not call %s", short)).Err()
	}
	if rule.Writes() {
		return mayWrite(pr, short)
	}
	return nil
}

// The reasons of the refusals of a write, as ErrorInfo carries them (the
// values are fault's, where the suite's reasons are declared).
var (
	ReasonReadOnlyKey     = fault.ReasonReadOnlyKey.String()
	ReasonMemberSuspended = fault.ReasonMemberSuspended.String()
)

// mayWrite is the one rule of who may write, in every service.
func mayWrite(pr Principal, method string) error {
	switch pr.Kind {
	case Service:
		return nil
	case Admin:
		switch pr.Role {
		case RoleAdmin:
			return nil
		case RoleReadOnly:
			return grpcx.FaultStatus(Domain, fault.New(fault.PermissionDenied, fault.ReasonReadOnlyKey,
				"this staff key is read-only: it may not call %s", method)).Err()
		}
	case Member:
		switch pr.MemberState {
		case members.Active:
			return nil
		case members.Suspended:
			// FAILED_PRECONDITION, not PERMISSION_DENIED: the key is valid and
			// the call would be allowed; the member's state says no until an
			// admin reinstates it.
			return grpcx.FaultStatus(Domain, fault.New(fault.FailedPrecondition, fault.ReasonMemberSuspended,
				"%s is suspended: its keys may read but not write (%s) until it is reinstated", pr.Member, method).
				With("member", pr.Member)).Err()
		}
	}
	// A principal whose state or role is unknown may not write.
	return grpcx.FaultStatus(Domain, fault.New(fault.PermissionDenied, fault.ReasonPermissionDenied,
		"this key may not call %s", method)).Err()
}

func bearer(ctx context.Context) string {
	// The one header, not a copy of them all (FromIncomingContext's).
	for _, v := range metadata.ValueFromIncomingContext(ctx, "authorization") {
		if tok, ok := strings.CutPrefix(v, "Bearer "); ok && strings.TrimSpace(tok) != "" {
			return strings.TrimSpace(tok)
		}
		return "\x00malformed" // present but not a bearer token: never anonymous
	}
	return ""
}

func (a *Authenticator) admit(ctx context.Context, p Policy, method string) (context.Context, error) {
	pr, err := a.Authenticate(ctx, bearer(ctx))
	if err != nil {
		return nil, err
	}
	grpcx.Annotate(ctx, pr.LogAttrs()...)
	if err := p.Check(method, pr); err != nil {
		return nil, err
	}
	return WithPrincipal(ctx, pr), nil
}

// UnaryInterceptor authenticates and checks the rule before the handler runs.
func (a *Authenticator) UnaryInterceptor(p Policy) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := a.admit(ctx, p, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

type principalStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *principalStream) Context() context.Context { return s.ctx }

// StreamInterceptor is UnaryInterceptor for streams.
func (a *Authenticator) StreamInterceptor(p Policy) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := a.admit(ss.Context(), p, info.FullMethod)
		if err != nil {
			return err
		}
		return handler(srv, &principalStream{ServerStream: ss, ctx: ctx})
	}
}

// PerRPCToken sends a fixed bearer token on every call of a client
// connection: how a service presents its own token to another.
type PerRPCToken struct {
	Token    string
	Insecure bool // allow over plaintext (local default)
}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (t PerRPCToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + t.Token}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials.
func (t PerRPCToken) RequireTransportSecurity() bool { return !t.Insecure }
