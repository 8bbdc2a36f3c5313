package auth

import (
	"context"
	"github.com/cqlive/alliance/services/kit/members"
	"log/slog"
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// fixedKeys is a registry's answer for a few keys.
type fixedKeys map[string]Principal

func (f fixedKeys) Lookup(_ context.Context, keyID, secret string) (Principal, error) {
	if p, ok := f[keyID+"_"+secret]; ok {
		return p, nil
	}
	return Principal{}, fault.New(fault.Unauthenticated, fault.ReasonInvalidAPIKey, "invalid API key")
}

// testService has a read, a write and a client-streaming write.
var testService = grpc.ServiceDesc{
	ServiceName: "t.T",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{
		{MethodName: "Read", Handler: emptyHandler("/t.T/Read")},
		{MethodName: "Write", Handler: emptyHandler("/t.T/Write")},
	},
	Streams: []grpc.StreamDesc{{StreamName: "Import", ClientStreams: true, Handler: func(_ any, ss grpc.ServerStream) error {
		return ss.SendMsg(&emptypb.Empty{})
	}}},
}

func emptyHandler(method string) func(any, context.Context, func(any) error, grpc.UnaryServerInterceptor) (any, error) {
	return func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
		in := new(emptypb.Empty)
		if err := dec(in); err != nil {
			return nil, err
		}
		h := func(context.Context, any) (any, error) { return &emptypb.Empty{}, nil }
		return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: method}, h)
	}
}

var testPolicy = Policy{"/t.T/Read": Members | Read, "/t.T/Write": Members | Write, "/t.T/Import": Members | Write}

// TestWritesAreRefusedToSuspendedMembersAndReadOnlyStaff runs a real gRPC
// server with the interceptors every service uses.
func TestWritesAreRefusedToSuspendedMembersAndReadOnlyStaff(t *testing.T) {
	admin := NewAdminKey()
	const (
		activeKey    = "mk_act1_secretA"
		suspendedKey = "mk_sus1_secretS"
		readOnlyKey  = "mk_ro1_secretR"
		staffKey     = "mk_adm1_secretX"
	)
	keys := fixedKeys{
		"act1_secretA": MemberPrincipal("members/a", members.Merchant, "banan", members.Active, "act1"),
		"sus1_secretS": MemberPrincipal("members/s", members.Host, "banan", members.Suspended, "sus1"),
		"ro1_secretR":  StaffPrincipal(RoleReadOnly, "ro1"),
		"adm1_secretX": StaffPrincipal(RoleAdmin, "adm1"),
	}
	logs := &testkit.LogBuffer{}
	a := &Authenticator{Admin: NewAdminKeysFor(admin), Members: keys}
	srv := grpcx.NewServer(grpcx.ServerOptions{
		Name: "t.T", Logger: slog.New(slog.NewTextHandler(logs, nil)),
		Unary:  []grpc.UnaryServerInterceptor{a.UnaryInterceptor(testPolicy)},
		Stream: []grpc.StreamServerInterceptor{a.StreamInterceptor(testPolicy)},
	})
	srv.GRPC.RegisterService(&testService, struct{}{})
	cc := testkit.Dial(t, testkit.Serve(t, srv))
	call := func(key, method string) error {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+key)
		if method != "/t.T/Import" {
			return cc.Invoke(ctx, method, &emptypb.Empty{}, &emptypb.Empty{})
		}
		st, err := cc.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true}, method)
		if err != nil {
			return err
		}
		_ = st.SendMsg(&emptypb.Empty{})
		_ = st.CloseSend()
		return st.RecvMsg(&emptypb.Empty{})
	}
	cases := []struct {
		name, key, method string
		code              codes.Code
		reason            string
	}{
		{"an active member writes", activeKey, "/t.T/Write", codes.OK, ""},
		{"a suspended member reads", suspendedKey, "/t.T/Read", codes.OK, ""},
		{"a suspended member may not write", suspendedKey, "/t.T/Write", codes.FailedPrecondition, ReasonMemberSuspended},
		{"a suspended member may not open a writing stream", suspendedKey, "/t.T/Import", codes.FailedPrecondition, ReasonMemberSuspended},
		{"a read-only staff key reads", readOnlyKey, "/t.T/Read", codes.OK, ""},
		{"a read-only staff key may not write", readOnlyKey, "/t.T/Write", codes.PermissionDenied, ReasonReadOnlyKey},
		{"a read-only staff key may not open a writing stream", readOnlyKey, "/t.T/Import", codes.PermissionDenied, ReasonReadOnlyKey},
		{"an ADMIN staff key writes", staffKey, "/t.T/Write", codes.OK, ""},
		{"the bootstrap key writes", admin, "/t.T/Write", codes.OK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := call(c.key, c.method)
			if status.Code(err) != c.code || grpcx.Reason(err) != c.reason {
				t.Fatalf("%v (reason %q), want %v %q", err, grpcx.Reason(err), c.code, c.reason)
			}
		})
	}

	// Every write's log line names its key by id, never by secret.
	lines := strings.Split(logs.String(), "\n")
	want := map[string]string{
		"act1": "member=members/a", "adm1": "role=admin", BootstrapKeyID(admin): "role=admin",
		"sus1": "code=FailedPrecondition", "ro1": "code=PermissionDenied",
	}
	for id, also := range want {
		found := false
		for _, l := range lines {
			if strings.Contains(l, "method=/t.T/Write") && strings.Contains(l, "key_id="+id+" ") && strings.Contains(l, also) {
				found = true
			}
		}
		if !found {
			t.Errorf("no write log line with key_id=%s and %s in:\n%s", id, also, logs)
		}
	}
	for _, secret := range []string{"secretA", "secretS", "secretR", "secretX", admin} {
		if strings.Contains(logs.String(), secret) {
			t.Fatalf("a key's secret is in the log:\n%s", logs)
		}
	}
}
