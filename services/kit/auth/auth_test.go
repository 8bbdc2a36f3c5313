package auth

import (
	"context"
	"github.com/cqlive/alliance/services/kit/members"
	"strings"
	"testing"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

func TestPolicy(t *testing.T) {
	p := Policy{
		"/s.S/Admin": AdminOnly | Write, "/s.S/Read": Members | Read, "/s.S/Internal": TrustedOnly | Read,
		"/s.S/Write": Members | Write, "/s.S/Unsaid": Members, "/s.S/Both": Members | Read | Write,
	}
	admin := Principal{Kind: Admin, Role: RoleAdmin}
	readOnly := Principal{Kind: Admin, Role: RoleReadOnly}
	noRole := Principal{Kind: Admin}
	member := Principal{Kind: Member, Member: "members/a", MemberState: members.Active}
	suspended := Principal{Kind: Member, Member: "members/a", MemberState: members.Suspended}
	unknownState := Principal{Kind: Member, Member: "members/a"}
	service := Principal{Kind: Service, Service: "x"}
	cases := []struct {
		name   string
		method string
		who    Principal
		code   codes.Code
		reason string
	}{
		{"health needs no key", "/grpc.health.v1.Health/Check", Principal{}, codes.OK, ""},
		{"reflection needs an admin", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", member, codes.PermissionDenied, "PERMISSION_DENIED"},
		{"reflection works for an admin", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", admin, codes.OK, ""},
		{"reflection is a read: a read-only staff key may use it", "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", readOnly, codes.OK, ""},
		{"a backup needs an admin: a member is refused", "/alliance.admin.v1.Maintenance/Backup", member, codes.PermissionDenied, "PERMISSION_DENIED"},
		{"a backup needs an admin: a service is refused", "/alliance.admin.v1.Maintenance/Backup", service, codes.PermissionDenied, "PERMISSION_DENIED"},
		{"a backup needs a key", "/alliance.admin.v1.Maintenance/Backup", Principal{}, codes.Unauthenticated, "UNAUTHENTICATED"},
		{"a backup works for an admin", "/alliance.admin.v1.Maintenance/Backup", admin, codes.OK, ""},
		{"no key is UNAUTHENTICATED", "/s.S/Read", Principal{}, codes.Unauthenticated, "UNAUTHENTICATED"},
		{"a member may call a members method", "/s.S/Read", member, codes.OK, ""},
		{"a member may not call an admin method", "/s.S/Admin", member, codes.PermissionDenied, "PERMISSION_DENIED"},
		{"a service may not call an admin method", "/s.S/Admin", service, codes.PermissionDenied, "PERMISSION_DENIED"},
		{"a service may call an internal method", "/s.S/Internal", service, codes.OK, ""},
		{"a member may not call an internal method", "/s.S/Internal", member, codes.PermissionDenied, "PERMISSION_DENIED"},
		{"a method without a rule is denied, even to admins", "/s.S/New", admin, codes.PermissionDenied, "PERMISSION_DENIED"},
		{"a rule that says neither read nor write is denied, even to admins", "/s.S/Unsaid", admin, codes.PermissionDenied, "PERMISSION_DENIED"},
		{"a rule that says both read and write is denied, even to admins", "/s.S/Both", admin, codes.PermissionDenied, "PERMISSION_DENIED"},
		{"suspension: a suspended member may read", "/s.S/Read", suspended, codes.OK, ""},
		{"suspension: a suspended member may not write", "/s.S/Write", suspended, codes.FailedPrecondition, ReasonMemberSuspended},
		{"suspension: an active member may write", "/s.S/Write", member, codes.OK, ""},
		{"a member of unknown state may not write", "/s.S/Write", unknownState, codes.PermissionDenied, "PERMISSION_DENIED"},
		{"a read-only staff key may read members' data", "/s.S/Read", readOnly, codes.OK, ""},
		{"a read-only staff key may not write", "/s.S/Write", readOnly, codes.PermissionDenied, ReasonReadOnlyKey},
		{"a read-only staff key may not make an admin's write", "/s.S/Admin", readOnly, codes.PermissionDenied, ReasonReadOnlyKey},
		{"a staff principal without a role may not write", "/s.S/Admin", noRole, codes.PermissionDenied, "PERMISSION_DENIED"},
		{"an admin may write", "/s.S/Admin", admin, codes.OK, ""},
		{"a service may write", "/s.S/Write", service, codes.OK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := p.Check(c.method, c.who)
			if got := status.Code(err); got != c.code {
				t.Fatalf("code = %v (%v), want %v", got, err, c.code)
			}
			if got := grpcx.Reason(err); got != c.reason {
				t.Fatalf("reason = %q, want %q", got, c.reason)
			}
		})
	}
}

func TestUncoveredListsMethodsWithoutAFullRule(t *testing.T) {
	sd := healthpb.File_grpc_health_v1_health_proto.Services().ByName("Health")
	full := Policy{"/grpc.health.v1.Health/Check": Public | Read, "/grpc.health.v1.Health/Watch": Public | Read, "/grpc.health.v1.Health/List": Public | Read}
	if got := full.Uncovered(sd); len(got) != 0 {
		t.Fatalf("a fully annotated table: uncovered %v", got)
	}
	// The service's own table overrides the platform's: a rule without its
	// effect is not covered.
	half := Policy{"/grpc.health.v1.Health/Check": Public, "/grpc.health.v1.Health/Watch": Public | Read, "/grpc.health.v1.Health/List": Public | Read}
	if got := half.Uncovered(sd); len(got) != 1 || got[0] != "/grpc.health.v1.Health/Check" {
		t.Fatalf("a rule without read or write: uncovered %v, want Check", got)
	}
	writes := Policy{"/grpc.health.v1.Health/Check": Members | Write, "/grpc.health.v1.Health/Watch": Public | Read}
	if got := writes.Writes(sd); len(got) != 1 || got[0] != "/grpc.health.v1.Health/Check" {
		t.Fatalf("Writes = %v, want Check", got)
	}
}

func TestFromAuthentication(t *testing.T) {
	cases := []struct {
		name string
		resp *memberv1.AuthenticateApiKeyResponse
		want Principal
		ok   bool
	}{
		{"a member key carries the member's kind, district and state",
			&memberv1.AuthenticateApiKeyResponse{Member: "members/a", Kind: memberv1.MemberKind_MEMBER_KIND_MERCHANT, District: "banan", State: memberv1.MemberState_MEMBER_STATE_SUSPENDED},
			Principal{Kind: Member, Member: "members/a", MemberKind: members.Merchant, District: "banan", MemberState: members.Suspended, KeyID: "k1"}, true},
		{"an ADMIN staff key is an admin",
			&memberv1.AuthenticateApiKeyResponse{Role: memberv1.ApiKeyRole_API_KEY_ROLE_ADMIN},
			Principal{Kind: Admin, Role: RoleAdmin, KeyID: "k1"}, true},
		{"a STAFF_READONLY key is a read-only admin",
			&memberv1.AuthenticateApiKeyResponse{Role: memberv1.ApiKeyRole_API_KEY_ROLE_STAFF_READONLY},
			Principal{Kind: Admin, Role: RoleReadOnly, KeyID: "k1"}, true},
		{"an answer with a member and a role is refused",
			&memberv1.AuthenticateApiKeyResponse{Member: "members/a", Role: memberv1.ApiKeyRole_API_KEY_ROLE_ADMIN}, Principal{}, false},
		{"an empty answer is refused", &memberv1.AuthenticateApiKeyResponse{}, Principal{}, false},
		{"an unknown role is refused", &memberv1.AuthenticateApiKeyResponse{Role: 99}, Principal{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := FromAuthentication("k1", c.resp)
			if (err == nil) != c.ok || got != c.want {
				t.Fatalf("FromAuthentication = %+v, %v; want %+v, ok %v", got, err, c.want, c.ok)
			}
		})
	}
}

func TestBootstrapKeyID(t *testing.T) {
	k1, k2 := NewAdminKey(), NewAdminKey()
	id := BootstrapKeyID(k1)
	if id != BootstrapKeyID(k1) || id == BootstrapKeyID(k2) || !strings.HasPrefix(id, "bootstrap-") {
		t.Fatalf("ids %q and %q: want stable, distinct, bootstrap-…", id, BootstrapKeyID(k2))
	}
	for i := 0; i+8 <= len(k1); i++ {
		if strings.Contains(id, k1[i:i+8]) {
			t.Fatalf("the id %q holds a part of the key", id)
		}
	}
	a := &Authenticator{Admin: NewAdminKeysFor(k1, k2)}
	p, err := a.Authenticate(context.Background(), k2)
	if err != nil || p.KeyID != BootstrapKeyID(k2) || !p.IsAdmin() {
		t.Fatalf("the file's key: %+v %v", p, err)
	}
}

func TestAuthenticate(t *testing.T) {
	key := NewAdminKey()
	secret := ServiceSecret("0123456789abcdef0123456789abcdef")
	a := &Authenticator{Admin: NewAdminKeysFor(key), Services: secret}
	ctxWith := func(v string) context.Context {
		return metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", v))
	}
	if p, err := a.Authenticate(ctxWith("x"), bearer(ctxWith("Bearer "+key))); err != nil || p.Kind != Admin {
		t.Fatalf("admin key: %v %v", p, err)
	}
	if p, err := a.Authenticate(context.Background(), bearer(ctxWith("Bearer "+secret.Token("gateway")))); err != nil || p.Kind != Service || p.Service != "gateway" {
		t.Fatalf("service token: %v %v", p, err)
	}
	for _, bad := range []string{"Bearer adm_wrong", "Basic abc", "Bearer mk_a_b", "Bearer "} {
		if _, err := a.Authenticate(context.Background(), bearer(ctxWith(bad))); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%q: %v, want UNAUTHENTICATED", bad, err)
		}
	}
}

func TestRefusalsCarryErrorInfo(t *testing.T) {
	p := Policy{"/s.S/Admin": AdminOnly | Write, "/s.S/Write": Members | Write}
	for name, err := range map[string]error{
		"no key":      p.Check("/s.S/Admin", Principal{}),
		"not allowed": p.Check("/s.S/Admin", Principal{Kind: Member}),
		"suspended":   p.Check("/s.S/Write", Principal{Kind: Member, MemberState: members.Suspended}),
		"read-only":   p.Check("/s.S/Admin", Principal{Kind: Admin, Role: RoleReadOnly}),
	} {
		st := status.Convert(err)
		if len(st.Details()) == 0 {
			t.Fatalf("%s: %v has no ErrorInfo", name, err)
		}
	}
}
