package app

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The gateway's own reasons spell codes as google.rpc.Code does, with the
// one spelling the services use (grpcx.CodeName): CANCELLED, not CANCELED.
func TestOwnErrorsNameCodesLikeGoogleRPC(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := httptest.NewRequest("GET", "/v1/members/x", nil)
	for c, want := range map[codes.Code]string{
		codes.Canceled: "CANCELLED", codes.OutOfRange: "OUT_OF_RANGE", codes.DataLoss: "DATA_LOSS",
		codes.FailedPrecondition: "FAILED_PRECONDITION", codes.PermissionDenied: "PERMISSION_DENIED",
	} {
		st := ownError(context.Background(), log, r, status.New(c, "x"), nil)
		var reason string
		for _, d := range st.Details() {
			if ei, ok := d.(*errdetails.ErrorInfo); ok {
				reason = ei.GetReason()
			}
		}
		if reason != want {
			t.Errorf("reason for %v = %q, want %q", c, reason, want)
		}
	}
}
