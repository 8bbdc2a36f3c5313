package testkit

import (
	"testing"

	"github.com/cqlive/alliance/services/kit/grpcx"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// WantError fails the test unless err is a gRPC status with code, an
// ErrorInfo of reason and, when domain is set, of that domain (such as
// "member.alliance").
func WantError(t testing.TB, err error, code codes.Code, reason, domain string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s %s, got success", code, reason)
	}
	if got := status.Code(err); got != code {
		t.Fatalf("code = %s, want %s (%v)", got, code, err)
	}
	if got := grpcx.Reason(err); got != reason {
		t.Fatalf("reason = %q, want %q (%v)", got, reason, err)
	}
	if got := grpcx.ErrorInfo(err).GetDomain(); domain != "" && got != domain {
		t.Fatalf("ErrorInfo domain = %q, want %s (%v)", got, domain, err)
	}
}
