package testkit_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/cqlive/alliance/services/kit/testkit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// keyed serves the health service (a unary and a server-streaming
// method) to the Bearer key "good"; any other caller is refused with
// message.
func keyed(t *testing.T, message string) *grpc.ClientConn {
	t.Helper()
	check := func(ctx context.Context) error {
		if md, _ := metadata.FromIncomingContext(ctx); strings.Join(md.Get("authorization"), ",") != "Bearer good" {
			return status.Error(codes.Unauthenticated, message)
		}
		return nil
	}
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := check(ctx); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := check(ss.Context()); err != nil {
				return err
			}
			return h(srv, ss)
		}))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return testkit.Dial(t, lis.Addr().String())
}

var healthSD = healthpb.File_grpc_health_v1_health_proto.Services().ByName("Health")

func TestInvokeCallsUnaryAndServerStreamingMethods(t *testing.T) {
	cc := keyed(t, "no")
	for _, name := range []string{"Check", "Watch", "List"} {
		md := healthSD.Methods().ByName(protoreflect.Name(name))
		if md == nil {
			t.Fatalf("health has no method %s", name)
		}
		out, err := testkit.Invoke(testkit.WithKey("good"), t, cc, md, testkit.NewMessage(t, md.Input().FullName()))
		if err != nil {
			t.Fatalf("%s with the good key: %v", name, err)
		}
		if out.ProtoReflect().Descriptor().FullName() != md.Output().FullName() {
			t.Fatalf("%s answered a %s", name, out.ProtoReflect().Descriptor().FullName())
		}
		if _, err := testkit.Invoke(testkit.WithKey(""), t, cc, md, testkit.NewMessage(t, md.Input().FullName())); status.Code(err) != codes.Unauthenticated {
			t.Fatalf("%s without a key: %v, want UNAUTHENTICATED", name, err)
		}
	}
}

// recorder is a testing.TB that keeps what RefusesBadKeys reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestRefusesBadKeysFailsOnALeakOrAnAcceptedKey(t *testing.T) {
	for _, c := range []struct {
		name    string
		message string
		bad     map[string]string
		want    int // errors reported: one per method and complaint
	}{
		{"every call refused, nothing named", "a key is required", map[string]string{"no key": "", "garbage": "x"}, 0},
		{"a refusal that names a resource", "members/a has no key like that", map[string]string{"no key": ""}, 3},
		{"a key that is let through", "a key is required", map[string]string{"the good key": "good"}, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &recorder{TB: t}
			testkit.RefusesBadKeys(r, keyed(t, c.message), healthSD, c.bad, nil, "members/")
			if len(r.errs) != c.want {
				t.Fatalf("reported %d errors, want %d: %q", len(r.errs), c.want, r.errs)
			}
		})
	}
}
