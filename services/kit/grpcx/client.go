package grpcx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/metrics"
	"github.com/cqlive/alliance/services/kit/tracing"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// retryConfig retries UNAVAILABLE with exponential backoff. gRPC never
// retries past the caller's deadline, so a call still fails in time.
const retryConfig = `{"methodConfig":[{"name":[{}],"retryPolicy":{
  "maxAttempts":5,"initialBackoff":"0.05s","maxBackoff":"0.5s","backoffMultiplier":2,
  "retryableStatusCodes":["UNAVAILABLE"]}}]}`

// ClientStreamWindow and ClientConnWindow are the HTTP/2 receive windows
// a client of Dial offers the servers it calls: how much of an answer a
// server may send before the client acknowledges it. gRPC's default
// starts at 64 KiB and grows by estimate, so a report page of 0.5–1 MB
// crossed several WINDOW_UPDATE round trips, each a wake-up of both
// processes that, on a busy machine, may wait for a core (the tail of
// the year's reports; BENCHMARKS.md, "Report tails, session 7"). A stream
// window past the largest message a server sends (DefaultMaxMsgSize and
// its 5-byte prefix) lets any answer go out at once. What the windows may
// hold is what the caller has not read yet: a unary answer is read as it
// arrives; a stream the caller reads slowly holds up to ClientStreamWindow,
// and a connection up to ClientConnWindow, as much as gRPC's own estimate
// may grow to (16 MiB).
const (
	ClientStreamWindow = 2 * DefaultMaxMsgSize
	ClientConnWindow   = 4 * DefaultMaxMsgSize
)

// DialOptions configure Dial.
type DialOptions struct {
	// Per-call deadline used when the caller's context has none.
	Timeout time.Duration
	// More options: transport credentials (plaintext unless one is given
	// here, since a later option wins), per-call credentials, and so on.
	GRPC []grpc.DialOption
	// Metrics counts the calls (grpc_client_*); nil counts nothing.
	Metrics *metrics.Registry
	// Tracing makes a span of every call and sends its trace context on
	// (nil: the caller's trace context is still sent on).
	Tracing *tracing.Tracing
}

// Dial connects to another service of the suite. Calls carry the request
// id on, get a deadline when they have none, and retry UNAVAILABLE with
// backoff inside that deadline.
func Dial(target string, o DialOptions) (*grpc.ClientConn, error) {
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Second
	}
	opts := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(retryConfig),
		grpc.WithChainUnaryInterceptor(deadlineUnary(o.Timeout)),
		// Flow control: see ClientStreamWindow.
		grpc.WithInitialWindowSize(ClientStreamWindow),
		grpc.WithInitialConnWindowSize(ClientConnWindow),
		// gRPC's default reconnect backoff grows to two minutes; a service
		// of the suite that comes back should be used again within seconds.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
			MinConnectTimeout: 2 * time.Second,
		}),
	}
	opts = append(opts, o.Tracing.DialOptions()...)
	opts = append(opts, o.Metrics.DialOptions()...)
	return grpc.NewClient(target, append(opts, o.GRPC...)...)
}

func deadlineUnary(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// UpstreamReserve is the most of a caller's remaining time that
// UpstreamContext keeps back from a call to a dependency: a tenth of it,
// at most this.
const UpstreamReserve = 200 * time.Millisecond

// UpstreamContext bounds one call to a dependency: by timeout (<= 0: no
// bound of its own) and, under a caller's deadline, a tenth of the time
// left (at most UpstreamReserve) is kept in reserve, so that when the
// dependency does not answer the caller still gets the UNAVAILABLE of
// Upstream, naming it, inside its own deadline, not a bare
// DEADLINE_EXCEEDED.
func UpstreamContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	d, bounded := timeout, timeout > 0
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		left -= min(left/10, UpstreamReserve)
		if !bounded || left < d {
			d, bounded = left, true
		}
	}
	if !bounded {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// Upstream turns the failure of a call to another service into a domain
// fault, the one rule for every dependency of the suite:
//
//   - a service that is down or does not answer (UNAVAILABLE,
//     DEADLINE_EXCEEDED, CANCELLED while the caller still waits) is
//     UNAVAILABLE, reason DEPENDENCY_UNAVAILABLE, with metadata service
//     naming it: an outage is never taken for a "no";
//   - a caller that cancelled gets ctx's error (CANCELLED): that is not
//     an outage, and nothing is logged;
//   - any other answer is INTERNAL, reason DEPENDENCY_FAILED, naming the
//     service and the code: the dependency refused what this service
//     asked, which is not the caller's doing. A call site that gives a
//     code a meaning of its own (NOT_FOUND: no such thing) looks at it
//     before calling Upstream.
//
// The transport's own words ("dial tcp 10.0.0.7:50051: connection
// refused") name internal addresses, so they never reach the message:
// they go on the call's log line as its cause (see logCall), or on a line
// of their own outside a call. ctx is the caller's context.
func Upstream(ctx context.Context, service string, err error) error {
	if err == nil {
		return nil
	}
	st := status.Convert(err)
	code := st.Code()
	if code == codes.Canceled && errors.Is(ctx.Err(), context.Canceled) {
		return ctx.Err()
	}
	cause := fmt.Errorf("%s answered %s: %s", service, CodeName(code), st.Message())
	switch code {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		logCause(ctx, slog.LevelWarn, "dependency unavailable", cause)
		how := "it cannot be reached"
		if code != codes.Unavailable {
			how = "it did not answer in time"
		}
		return fault.New(fault.Unavailable, fault.ReasonDependencyUnavailable,
			"%s is unavailable (%s); nothing was changed, try again later", service, how).With("service", service)
	}
	logCause(ctx, slog.LevelError, "dependency failed", cause)
	return fault.New(fault.Internal, fault.ReasonDependencyFailed, "%s answered %s", service, CodeName(code)).With("service", service)
}
