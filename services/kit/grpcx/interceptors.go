package grpcx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/cqlive/alliance/services/kit/tracing"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// RequestIDHeader carries a request id between callers and services. The
// gateway forwards it; when a call has none, the server makes one.
const RequestIDHeader = "x-request-id"

type requestIDKey struct{}

type callStateKey struct{}

// callState is what a handler leaves for the call's log line.
type callState struct {
	mu     sync.Mutex
	cause  error
	attrs  []slog.Attr // see Annotate
	logged bool        // the call's line is written: a later cause needs a line of its own
}

// setCause leaves err for the call's log line, unless that line is
// written already (work the call left running, under
// context.WithoutCancel): then it reports false.
func (c *callState) setCause(err error) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.logged {
		return false
	}
	c.cause = err
	return true
}

// takeCause is the cause for the call's log line, which is being written.
func (c *callState) takeCause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.logged = true
	return c.cause
}

// RequestID returns the request id of the call, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithRequestID returns ctx carrying id, and outgoing metadata that passes
// it on to the next service.
func WithRequestID(ctx context.Context, id string) context.Context {
	ctx = context.WithValue(ctx, requestIDKey{}, id)
	return metadata.AppendToOutgoingContext(ctx, RequestIDHeader, id)
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// requestIDFrom takes a sane id from the incoming metadata or makes one.
func requestIDFrom(ctx context.Context) string {
	// One key, not a copy of every header (FromIncomingContext copies the
	// whole map, on every call).
	if v := metadata.ValueFromIncomingContext(ctx, RequestIDHeader); len(v) > 0 && len(v[0]) > 0 && len(v[0]) <= 128 {
		return v[0]
	}
	return newRequestID()
}

func withCallContext(ctx context.Context) context.Context {
	id := requestIDFrom(ctx)
	_ = grpc.SetHeader(ctx, metadata.Pairs(RequestIDHeader, id))
	tracing.Annotate(ctx, id)
	return context.WithValue(WithRequestID(ctx, id), callStateKey{}, &callState{})
}

// logCall writes one line per call: method, code, duration and request id.
func logCall(ctx context.Context, log *slog.Logger, method string, start time.Time, err error) {
	code := status.Code(err)
	level := slog.LevelInfo
	switch code {
	case codes.Internal, codes.Unknown, codes.DataLoss:
		level = slog.LevelError
	case codes.Unavailable, codes.DeadlineExceeded:
		level = slog.LevelWarn
	}
	// A line the handler would drop (-log-level warn hides every call
	// that went well) is not built: its attributes cost allocations on
	// every call.
	if !log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("code", code.String()),
		slog.Duration("duration", time.Since(start)),
		slog.String("request_id", RequestID(ctx)),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", status.Convert(err).Message()))
	}
	if cs, ok := ctx.Value(callStateKey{}).(*callState); ok {
		if cause := cs.takeCause(); cause != nil {
			attrs = append(attrs, slog.String("cause", cause.Error()))
		}
		attrs = append(attrs, cs.annotations()...)
	}
	log.LogAttrs(ctx, level, "rpc", attrs...)
}

// recovered turns a panic into INTERNAL for the caller; the stack goes to the log only.
func recovered(ctx context.Context, log *slog.Logger, method string, p any) error {
	log.ErrorContext(ctx, "panic in handler", "method", method, "panic", fmt.Sprint(p),
		"request_id", RequestID(ctx), "stack", string(debug.Stack()))
	return status.Error(codes.Internal, "internal error; see the server log for request "+RequestID(ctx))
}

func unaryInterceptor(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		start := time.Now()
		ctx = withCallContext(ctx)
		defer func() {
			if p := recover(); p != nil {
				resp, err = nil, recovered(ctx, log, info.FullMethod, p)
			}
			logCall(ctx, log, info.FullMethod, start, err)
		}()
		return handler(ctx, req)
	}
}

type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }

func streamInterceptor(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		start := time.Now()
		ctx := withCallContext(ss.Context())
		defer func() {
			if p := recover(); p != nil {
				err = recovered(ctx, log, info.FullMethod, p)
			}
			logCall(ctx, log, info.FullMethod, start, err)
		}()
		return handler(srv, &ctxStream{ServerStream: ss, ctx: ctx})
	}
}

// WrapStream returns ss with its context replaced, for interceptors that add values.
func WrapStream(ss grpc.ServerStream, ctx context.Context) grpc.ServerStream {
	return &ctxStream{ServerStream: ss, ctx: ctx}
}
