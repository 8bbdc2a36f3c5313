package grpcx_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestReasonOfIsTheReasonTheCallerReads: what a metric counts a refusal
// by is the reason the answer carries, for every kind of error.
func TestReasonOfIsTheReasonTheCallerReads(t *testing.T) {
	for _, err := range []error{
		fault.New(fault.FailedPrecondition, fault.ReasonMemberSuspended, "suspended"),
		fault.InvalidField("sale.amount", "must be positive"),
		fault.New(fault.NotFound, fault.Reason{}, "a fault without a reason"),
		fmt.Errorf("wrapped: %w", fault.New(fault.AlreadyExists, fault.ReasonAPIKeyNotFound, "x")),
		grpcx.Upstream(context.Background(), "member-registry", status.Error(codes.Unavailable, "dial tcp 10.0.0.1: refused")),
		grpcx.Upstream(context.Background(), "member-registry", status.Error(codes.PermissionDenied, "no")),
		grpcx.FaultStatus("x.alliance", fault.New(fault.PermissionDenied, fault.ReasonReadOnlyKey, "ro")).Err(),
		status.Error(codes.ResourceExhausted, "a status without details"),
		context.DeadlineExceeded,
		context.Canceled,
		errors.New("a bug"),
	} {
		want := grpcx.Reason(grpcx.Status(context.Background(), "x.alliance", err))
		if want == "" {
			want = grpcx.CodeName(status.Code(grpcx.Status(context.Background(), "x.alliance", err)))
		}
		if got := grpcx.ReasonOf(err); got != want {
			t.Errorf("%v: ReasonOf %q, the answer's reason %q", err, got, want)
		}
	}
}
