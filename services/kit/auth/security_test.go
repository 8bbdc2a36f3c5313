package auth

import (
	"context"
	"testing"

	"google.golang.org/grpc"
)

// TestAServerWithoutAuthenticationSaysSo: with no admin keys (in-process
// tests) every call carries the Unchecked principal, set in one place, so
// that the rules can refuse a call that carries none.
func TestAServerWithoutAuthenticationSaysSo(t *testing.T) {
	unary, stream, _, err := Security{}.Server(nil, Policy{}, nil, nil)
	if err != nil || len(unary) != 1 || len(stream) != 1 {
		t.Fatalf("%d unary, %d stream interceptors, %v", len(unary), len(stream), err)
	}
	var seen Principal
	_, _ = unary[0](context.Background(), nil, &grpc.UnaryServerInfo{FullMethod: "/s.S/M"}, func(ctx context.Context, _ any) (any, error) {
		seen = From(ctx)
		return nil, nil
	})
	if seen.Kind != Unchecked || !seen.Trusted() || seen.IsAdmin() {
		t.Fatalf("principal %+v, want Unchecked: trusted, not an admin key", seen)
	}
	if From(context.Background()).Kind != Anonymous || From(context.Background()).Trusted() {
		t.Fatal("a context without a principal must be Anonymous and trusted by nothing")
	}
}
