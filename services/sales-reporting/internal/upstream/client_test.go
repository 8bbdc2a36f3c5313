package upstream

import (
	"context"
	"strings"
	"testing"
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/testkit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// refusingScheduler answers every count with PERMISSION_DENIED and hangs
// on every batch get, until the caller gives up.
type refusingScheduler struct {
	sessionv1.UnimplementedSessionSchedulerServer
}

func (refusingScheduler) CountSessions(context.Context, *sessionv1.CountSessionsRequest) (*sessionv1.CountSessionsResponse, error) {
	return nil, status.Error(codes.PermissionDenied, "key svc-1 from 10.9.8.7:40000 may not count")
}

func (refusingScheduler) BatchGetSessions(ctx context.Context, _ *sessionv1.BatchGetSessionsRequest) (*sessionv1.BatchGetSessionsResponse, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func refusingClient(t *testing.T) *Client {
	addr, _ := testkit.StandIn(t, "alliance.session.v1.SessionScheduler", func(s *grpc.Server) {
		sessionv1.RegisterSessionSchedulerServer(s, refusingScheduler{})
	})
	cc := testkit.Dial(t, addr)
	return New(cc, cc, 0)
}

// TestAnotherAnswerOfADependencyIsNotPassedOn: a code session-scheduling
// should not have answered is this service's INTERNAL DEPENDENCY_FAILED
// naming it, not the dependency's PERMISSION_DENIED and its words, which
// a caller would take for its own refusal.
func TestAnotherAnswerOfADependencyIsNotPassedOn(t *testing.T) {
	_, err := refusingClient(t).SessionsEnded(context.Background(), time.Unix(0, 0), time.Unix(3600, 0))
	fe, ok := fault.As(err)
	if !ok || fe.Code != fault.Internal || fe.Reason != fault.ReasonDependencyFailed || fe.Metadata["service"] != SessionScheduling ||
		fe.Message != "session-scheduling answered PERMISSION_DENIED" {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "10.9.8.7") {
		t.Fatalf("the dependency's words reached the caller: %v", err)
	}
}

// TestAHangingDependencyIsUnavailableWithinTheCallersDeadline: with no
// timeout of its own the client still answers UNAVAILABLE naming the
// dependency before the caller's deadline.
func TestAHangingDependencyIsUnavailableWithinTheCallersDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	began := time.Now()
	_, err := refusingClient(t).Sessions(ctx, []string{"sessions/a"})
	took := time.Since(began)
	if fe, ok := fault.As(err); !ok || fe.Code != fault.Unavailable || fe.Reason != fault.ReasonDependencyUnavailable ||
		fe.Message != "session-scheduling is unavailable (it did not answer in time); nothing was changed, try again later" {
		t.Fatalf("got %v", err)
	}
	if took >= time.Second || ctx.Err() != nil {
		t.Fatalf("the answer took %v, not within the caller's deadline", took)
	}
}
