package grpcx_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// start serves fn as kit.test.Probe/Call and returns a client, the
// server's log, and a stop that shuts the server down gracefully (it is
// also stopped when the test ends).
func start(t *testing.T, fn func(ctx context.Context) error) (*grpc.ClientConn, *testkit.LogBuffer, func()) {
	t.Helper()
	logs := &testkit.LogBuffer{}
	srv := grpcx.NewServer(grpcx.ServerOptions{Name: "kit.test.Probe", Logger: slog.New(slog.NewJSONHandler(logs, nil)), ShutdownTimeout: 5 * time.Second})
	testkit.RegisterProbe(srv.GRPC, "kit.test.Probe", fn)
	addr, stop := testkit.ServeOn(t, srv, "127.0.0.1:0")
	return testkit.Dial(t, addr), logs, stop
}

func invoke(ctx context.Context, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
	return cc.Invoke(ctx, "/kit.test.Probe/Call", &emptypb.Empty{}, &emptypb.Empty{}, opts...)
}

func TestPanicBecomesInternalWithoutStack(t *testing.T) {
	cc, logs, _ := start(t, func(context.Context) error { panic("boom at /secret/path.go") })
	err := invoke(context.Background(), cc)
	if status.Code(err) != codes.Internal {
		t.Fatalf("code = %v, want INTERNAL", status.Code(err))
	}
	msg := status.Convert(err).Message()
	if strings.Contains(msg, "boom") || strings.Contains(msg, ".go") || strings.Contains(msg, "goroutine") {
		t.Fatalf("the caller saw internals: %q", msg)
	}
	if !strings.Contains(logs.String(), "goroutine") || !strings.Contains(logs.String(), "boom") {
		t.Fatalf("the log lacks the panic and its stack:\n%s", logs.String())
	}
}

func TestFaultBecomesStatusWithDetails(t *testing.T) {
	cc, _, _ := start(t, func(context.Context) error {
		var v fault.Invalid
		v.Add("member.display_name", "too long")
		return grpcx.Status(context.Background(), "test.alliance", v.Err())
	})
	err := invoke(context.Background(), cc)
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("code = %v", status.Code(err))
	}
	ei := grpcx.ErrorInfo(err)
	if ei.GetDomain() != "test.alliance" || ei.GetReason() != "INVALID_ARGUMENT" {
		t.Fatalf("ErrorInfo = %v", ei)
	}
	if f := grpcx.FieldViolations(err); len(f) != 1 || f[0] != "member.display_name" {
		t.Fatalf("field violations = %v", f)
	}
}

func TestUnknownErrorIsMaskedAsInternal(t *testing.T) {
	cc, logs, _ := start(t, func(ctx context.Context) error {
		return grpcx.Status(ctx, "test.alliance", &net.OpError{Op: "read", Err: &net.AddrError{Err: "disk path /var/lib/x"}})
	})
	err := invoke(context.Background(), cc)
	if status.Code(err) != codes.Internal || strings.Contains(status.Convert(err).Message(), "/var/lib") {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(logs.String(), "/var/lib/x") {
		t.Fatal("the internal error was not logged")
	}
}

func TestRequestIDIsKeptAndReturned(t *testing.T) {
	var seen string
	cc, logs, _ := start(t, func(ctx context.Context) error { seen = grpcx.RequestID(ctx); return nil })
	var header metadata.MD
	ctx := metadata.AppendToOutgoingContext(context.Background(), grpcx.RequestIDHeader, "req-123")
	if err := invoke(ctx, cc, grpc.Header(&header)); err != nil {
		t.Fatal(err)
	}
	if seen != "req-123" || header.Get(grpcx.RequestIDHeader)[0] != "req-123" {
		t.Fatalf("handler saw %q, header %v", seen, header)
	}
	if !strings.Contains(logs.String(), `"request_id":"req-123"`) || !strings.Contains(logs.String(), `"code":"OK"`) {
		t.Fatalf("log line lacks request id or code:\n%s", logs.String())
	}
	if err := invoke(context.Background(), cc, grpc.Header(&header)); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 16 || seen == "req-123" {
		t.Fatalf("a call without an id got %q, want a generated one", seen)
	}
}

func TestGracefulShutdownFinishesInFlightCalls(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	cc, _, stop := start(t, func(ctx context.Context) error {
		close(entered)
		<-release
		return nil
	})
	result := make(chan error, 1)
	go func() { result <- invoke(context.Background(), cc) }()
	<-entered
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }() // as SIGTERM would; stop fails the test if Serve returns an error
	time.Sleep(100 * time.Millisecond)
	close(release)
	if err := <-result; err != nil {
		t.Fatalf("in-flight call failed during shutdown: %v", err)
	}
	<-stopped
}

func TestUpstreamNamesTheServiceThatIsDownAndNotItsAddress(t *testing.T) {
	dead, deadAddr := testkit.Unreachable(t)
	cc, logs, _ := start(t, func(ctx context.Context) error {
		return grpcx.Status(ctx, "test.alliance", grpcx.Upstream(ctx, "member-registry", invoke(ctx, dead)))
	})
	err := invoke(context.Background(), cc)
	msg := status.Convert(err).Message()
	if status.Code(err) != codes.Unavailable || grpcx.Reason(err) != "DEPENDENCY_UNAVAILABLE" ||
		!strings.Contains(msg, "member-registry is unavailable") {
		t.Fatalf("err = %v", err)
	}
	if ei := grpcx.ErrorInfo(err); ei.GetMetadata()["service"] != "member-registry" {
		t.Errorf("ErrorInfo = %v, want the service named in metadata", ei)
	}
	host, port, _ := net.SplitHostPort(deadAddr)
	for _, internal := range []string{host, port, "dial tcp", "connection refused"} {
		if strings.Contains(msg, internal) {
			t.Errorf("the caller sees %q: %q", internal, msg)
		}
	}
	if !strings.Contains(logs.String(), deadAddr) {
		t.Errorf("the call's log line lacks what the transport said:\n%s", logs.String())
	}

	t.Run("a fault.Error all the same", func(t *testing.T) {
		fe, ok := fault.As(grpcx.Upstream(context.Background(), "member-registry", status.Error(codes.DeadlineExceeded, "slow")))
		if !ok || fe.Code != fault.Unavailable || strings.Contains(fe.Message, "slow") {
			t.Fatalf("Upstream = %v", fe)
		}
	})
}

func TestCodeName(t *testing.T) {
	for c, want := range map[codes.Code]string{
		codes.OK: "OK", codes.Canceled: "CANCELLED", codes.FailedPrecondition: "FAILED_PRECONDITION",
		codes.PermissionDenied: "PERMISSION_DENIED", codes.Code(99): "UNKNOWN",
	} {
		if got := grpcx.CodeName(c); got != want {
			t.Errorf("CodeName(%d) = %q, want %q", c, got, want)
		}
	}
}

// TestFaultCodesAreTheirGRPCCodes: the one mapping from domain codes to
// gRPC codes is google.rpc.Code's numbering.
func TestFaultCodesAreTheirGRPCCodes(t *testing.T) {
	for fc, want := range map[fault.Code]codes.Code{
		fault.Internal: codes.Internal, fault.InvalidArgument: codes.InvalidArgument, fault.NotFound: codes.NotFound,
		fault.AlreadyExists: codes.AlreadyExists, fault.FailedPrecondition: codes.FailedPrecondition,
		fault.Aborted: codes.Aborted, fault.Unavailable: codes.Unavailable, fault.Unauthenticated: codes.Unauthenticated,
		fault.PermissionDenied: codes.PermissionDenied, fault.DeadlineExceeded: codes.DeadlineExceeded,
		fault.ResourceExhausted: codes.ResourceExhausted, fault.Code(-1): codes.Internal,
	} {
		st := grpcx.FaultStatus("test.alliance", &fault.Error{Code: fc, Message: "m"})
		if st.Code() != want || grpcx.Reason(st.Err()) != grpcx.CodeName(want) {
			t.Errorf("%v: %v %q, want %v with its name as reason", fc, st.Code(), grpcx.Reason(st.Err()), want)
		}
	}
}

// The shutdown's log says its bound as a duration a reader reads ("5s"),
// not as the nanoseconds JSON would make of a time.Duration.
func TestTheShutdownLogSaysItsBoundAsADuration(t *testing.T) {
	_, logs, stop := start(t, func(context.Context) error { return nil })
	stop()
	if !strings.Contains(logs.String(), `"bound":"5s"`) {
		t.Fatalf("the shutdown's log:\n%s\nwant \"bound\":\"5s\"", logs.String())
	}
}
