package grpcx_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// transportWords is what a dependency's failure says of the network: a
// caller must never read it.
const transportWords = "dial tcp 10.1.2.3:50051: connect: connection refused"

// dependency serves kit.test.Dependency/Call on loopback, answering what
// answer returns (set before each call), and returns a client of it.
func dependency(t *testing.T, answer *atomic.Value) *grpc.ClientConn {
	t.Helper()
	addr, _ := testkit.StandIn(t, "kit.test.Dependency", func(s *grpc.Server) {
		testkit.RegisterProbe(s, "kit.test.Dependency", func(ctx context.Context) error {
			return answer.Load().(func(context.Context) error)(ctx)
		})
	})
	return testkit.Dial(t, addr)
}

// TestADependencyThatDoesNotAnswerIsUnavailableNamingIt: the one rule of
// every call to another service of the suite, through a real server that
// calls a real dependency with UpstreamContext and Upstream.
func TestADependencyThatDoesNotAnswerIsUnavailableNamingIt(t *testing.T) {
	var answer atomic.Value
	dep := dependency(t, &answer)
	var timeout atomic.Int64
	cc, logs, _ := start(t, func(ctx context.Context) error {
		cctx, cancel := grpcx.UpstreamContext(ctx, time.Duration(timeout.Load()))
		defer cancel()
		err := dep.Invoke(cctx, "/kit.test.Dependency/Call", &emptypb.Empty{}, &emptypb.Empty{})
		return grpcx.Status(ctx, "test.alliance", grpcx.Upstream(ctx, "session-scheduling", err))
	})
	hang := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }

	for _, tc := range []struct {
		name     string
		answer   func(context.Context) error
		timeout  time.Duration
		deadline time.Duration // the caller's
		code     codes.Code
		reason   string
		msg      string
	}{
		{"down", func(context.Context) error { return status.Error(codes.Unavailable, transportWords) }, 0, 0,
			codes.Unavailable, "DEPENDENCY_UNAVAILABLE", "session-scheduling is unavailable (it cannot be reached); nothing was changed, try again later"},
		{"too slow for its timeout", hang, 200 * time.Millisecond, 0,
			codes.Unavailable, "DEPENDENCY_UNAVAILABLE", "session-scheduling is unavailable (it did not answer in time); nothing was changed, try again later"},
		{"too slow for the caller, no timeout", hang, 0, time.Second,
			codes.Unavailable, "DEPENDENCY_UNAVAILABLE", "session-scheduling is unavailable (it did not answer in time); nothing was changed, try again later"},
		{"too slow for the caller, a longer timeout", hang, 10 * time.Second, time.Second,
			codes.Unavailable, "DEPENDENCY_UNAVAILABLE", "session-scheduling is unavailable (it did not answer in time); nothing was changed, try again later"},
		{"another answer", func(context.Context) error { return status.Error(codes.PermissionDenied, transportWords) }, 0, 0,
			codes.Internal, "DEPENDENCY_FAILED", "session-scheduling answered PERMISSION_DENIED"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer.Store(tc.answer)
			timeout.Store(int64(tc.timeout))
			ctx := context.Background()
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.deadline)
				defer cancel()
			}
			before := len(logs.String())
			began := time.Now()
			err := invoke(ctx, cc)
			took := time.Since(began)
			st := status.Convert(err)
			if st.Code() != tc.code || grpcx.Reason(err) != tc.reason || st.Message() != tc.msg {
				t.Fatalf("got %v %s %q, want %v %s %q", st.Code(), grpcx.Reason(err), st.Message(), tc.code, tc.reason, tc.msg)
			}
			if ei := grpcx.ErrorInfo(err); ei.GetMetadata()["service"] != "session-scheduling" {
				t.Errorf("ErrorInfo %v does not name the service", ei)
			}
			if tc.deadline > 0 && took >= tc.deadline {
				t.Errorf("the answer came after %v, past the caller's deadline of %v", took, tc.deadline)
			}
			if tc.timeout > 0 && tc.deadline == 0 && took > tc.timeout+time.Second {
				t.Errorf("a dependency that hangs took %v against a timeout of %v", took, tc.timeout)
			}
			line := logs.String()[before:]
			if !strings.Contains(line, `"cause"`) {
				t.Errorf("the call's log line has no cause:\n%s", line)
			}
			if strings.Contains(tc.msg, "reached") || tc.code == codes.Internal {
				if !strings.Contains(line, "10.1.2.3:50051") {
					t.Errorf("the call's log line lacks the transport's words:\n%s", line)
				}
			}
		})
	}
}

// TestUpstreamContextKeepsAReserve: under a caller's deadline a call gets
// nine tenths of the time left, at most UpstreamReserve less; timeout
// bounds it further, and with neither there is no deadline at all.
func TestUpstreamContextKeepsAReserve(t *testing.T) {
	within := func(t *testing.T, ctx context.Context, want time.Duration) {
		t.Helper()
		dl, ok := ctx.Deadline()
		if !ok {
			t.Fatalf("no deadline, want %v", want)
		}
		if got := time.Until(dl); got > want || got < want-100*time.Millisecond {
			t.Fatalf("%v left, want %v", got, want)
		}
	}
	caller := func(d time.Duration) context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		t.Cleanup(cancel)
		return ctx
	}
	for _, tc := range []struct {
		name            string
		caller, timeout time.Duration
		want            time.Duration
	}{
		{"a tenth of 1s", time.Second, 0, 900 * time.Millisecond},
		{"at most the reserve", 10 * time.Second, 0, 10*time.Second - grpcx.UpstreamReserve},
		{"the timeout when shorter", 10 * time.Second, time.Second, time.Second},
		{"the reserve when the timeout is longer", time.Second, 5 * time.Second, 900 * time.Millisecond},
		{"the timeout alone", 0, time.Second, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.caller > 0 {
				ctx = caller(tc.caller)
			}
			cctx, cancel := grpcx.UpstreamContext(ctx, tc.timeout)
			defer cancel()
			within(t, cctx, tc.want)
		})
	}
	cctx, cancel := grpcx.UpstreamContext(context.Background(), 0)
	defer cancel()
	if _, ok := cctx.Deadline(); ok {
		t.Fatal("no timeout and no caller's deadline: the call must get no deadline of its own")
	}
}

// TestACallerThatCancelledIsNoOutage: the caller's own cancel comes back
// as its context's error, not as the dependency's outage; a CANCELLED the
// dependency sends while the caller still waits is one.
func TestACallerThatCancelledIsNoOutage(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cancelled := status.Error(codes.Canceled, "context canceled")
	if err := grpcx.Upstream(ctx, "member-registry", cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled caller got %v, want context.Canceled", err)
	}
	err := grpcx.Upstream(context.Background(), "member-registry", cancelled)
	if status.Code(grpcx.Status(context.Background(), "x.alliance", err)) != codes.Unavailable || grpcx.ReasonOf(err) != "DEPENDENCY_UNAVAILABLE" {
		t.Fatalf("a CANCELLED from the dependency to a caller that waits is %v, want UNAVAILABLE", err)
	}
	if grpcx.Upstream(ctx, "member-registry", nil) != nil {
		t.Fatal("no error is no error")
	}
}

// A dependency's failure met by work that a call left running (under
// context.WithoutCancel, after the call's line is written) gets a log line
// of its own: left for the call's line, it was never written.
func TestACauseAfterTheCallsLineIsLoggedOnItsOwn(t *testing.T) {
	own := &testkit.LogBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(own, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	left := make(chan context.Context, 1)
	cc, logs, _ := start(t, func(ctx context.Context) error {
		left <- context.WithoutCancel(ctx)
		return nil
	})
	if err := invoke(context.Background(), cc); err != nil {
		t.Fatal(err)
	}
	ctx := <-left
	// The answer is sent after the interceptor writes the call's line.
	if !strings.Contains(logs.String(), `"msg":"rpc"`) {
		t.Fatalf("no line of the call yet:\n%s", logs.String())
	}
	grpcx.Upstream(ctx, "member-registry", status.Error(codes.Unavailable, transportWords))
	if !strings.Contains(own.String(), "dependency unavailable") || !strings.Contains(own.String(), transportWords) {
		t.Fatalf("the late failure was not logged; own lines:\n%s\ncall lines:\n%s", own.String(), logs.String())
	}
}
