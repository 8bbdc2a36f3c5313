package grpcx

import (
	"context"
	"fmt"
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

// Upstream turns the failure of a call to another service into a domain
// fault: a service that is down or too slow becomes UNAVAILABLE with a
// message that names it, so the caller never mistakes an outage for a "no".
// The transport's own words ("dial tcp 10.0.0.7:50051: connection refused")
// name internal addresses, so they stay out of the message: Status puts
// them on the call's log line. Other codes pass through unchanged as
// status errors.
func Upstream(service string, err error) error {
	if err == nil {
		return nil
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return &upstreamError{
			fault: &fault.Error{
				Code:     fault.Unavailable,
				Reason:   fault.ReasonDependencyUnavailable,
				Message:  service + " is unavailable; nothing was changed, try again later",
				Metadata: map[string]string{"service": service},
			},
			cause: fmt.Errorf("%s: %s", service, status.Convert(err).Message()),
		}
	}
	return err
}

// upstreamError is the fault of an outage, with what the transport said.
// It unwraps to the fault, so fault.As and grpcx.Status see only that.
type upstreamError struct {
	fault *fault.Error
	cause error
}

func (e *upstreamError) Error() string { return e.fault.Error() }
func (e *upstreamError) Unwrap() error { return e.fault }
