package app

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Domain of the errors the gateway makes itself (ErrorInfo.domain).
const Domain = "gateway.alliance"

// errorHandler writes every error as google.rpc.Status JSON. The codes map
// to HTTP as docs/API.md says, which is grpc-gateway's mapping
// (FAILED_PRECONDITION 400, ABORTED 409, ALREADY_EXISTS 409, UNAVAILABLE
// 503). A body cut off by the size cap is 413, and one that did not arrive
// within the read timeout 408, whatever the decoder said.
// The services' errors always carry an ErrorInfo; the gateway's own (a
// body that is not JSON, an unknown route, a service it cannot reach) get
// one here, so every error has a reason to switch on.
//
// A path whose routes are for other methods is 405 with an Allow header
// (grpc-gateway's mapping made it 501, the answer for a server that
// implements nothing of the kind), its status UNIMPLEMENTED with reason
// METHOD_NOT_ALLOWED as the console's 405 has it.
func errorHandler(log *slog.Logger, names map[string]string, readTimeout time.Duration, methods *routeMethods) runtime.ErrorHandlerFunc {
	return func(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
		if lim, ok := r.Context().Value(bodyLimitKey{}).(*bodyLimit); ok {
			switch {
			case lim.hit.Load():
				writeTooLarge(w, r, lim.max)
				return
			case lim.timedOut.Load():
				writeReadTimeout(w, r, readTimeout)
				return
			}
		}
		st := status.Convert(err)
		if !hasErrorInfo(st) {
			st = ownError(ctx, log, r, st, names)
		}
		if _, routed := runtime.RPCMethod(ctx); !routed && st.Code() == codes.Unimplemented && methods != nil {
			if allow := methods.allow(r); allow != "" {
				w.Header().Set("Allow", allow)
			}
			writeStatus(w, http.StatusMethodNotAllowed, st)
			return
		}
		if c := st.Code(); c == codes.Internal || c == codes.Unknown {
			log.ErrorContext(ctx, "internal error", "path", r.URL.Path, "err", st.Message(),
				"request_id", r.Header.Get(grpcx.RequestIDHeader))
		}
		runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, st.Err())
	}
}

func hasErrorInfo(st *status.Status) bool {
	for _, d := range st.Details() {
		if _, ok := d.(*errdetails.ErrorInfo); ok {
			return true
		}
	}
	return false
}

// ownError gives an error the gateway made (or grpc-go made for it) a
// reason. A service it cannot reach is named, and the transport's message,
// with its internal address, goes to the log only.
func ownError(ctx context.Context, log *slog.Logger, r *http.Request, st *status.Status, names map[string]string) *status.Status {
	// Routing errors come before a route is chosen, so they have no method.
	method, routed := runtime.RPCMethod(ctx)
	switch c := st.Code(); {
	case c == codes.InvalidArgument:
		return errorStatus(codes.InvalidArgument, fault.ReasonMalformedRequest, st.Message(), nil)
	case c == codes.NotFound && !routed:
		return errorStatus(codes.NotFound, fault.ReasonRouteNotFound, "no route for "+r.Method+" "+r.URL.Path+"; see /openapi/", nil)
	case c == codes.Unimplemented && !routed:
		return errorStatus(codes.Unimplemented, fault.ReasonMethodNotAllowed, "no route for "+r.Method+" "+r.URL.Path+"; see /openapi/", nil)
	case c == codes.Unavailable || c == codes.DeadlineExceeded:
		svc, _, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
		name := names[svc]
		if name == "" {
			name = "a service"
		}
		log.WarnContext(ctx, "service unavailable", "service", name, "method", method, "err", st.Message(),
			"request_id", r.Header.Get(grpcx.RequestIDHeader))
		return errorStatus(st.Code(), fault.ReasonServiceUnavailable, name+" is unavailable; nothing was changed, try again later",
			map[string]string{"service": name})
	}
	return errorStatus(st.Code(), fault.CodeReason(uint32(st.Code())), st.Message(), nil)
}

// writeStatus writes st as JSON with the given HTTP code.
func writeStatus(w http.ResponseWriter, httpCode int, st *status.Status) {
	b, err := marshaler.Marshal(st.Proto())
	if err != nil {
		b = []byte(`{"code":13,"message":"failed to marshal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpCode)
	_, _ = w.Write(b)
}

func errorStatus(code codes.Code, reason fault.Reason, msg string, md map[string]string) *status.Status {
	st, err := status.New(code, msg).WithDetails(&errdetails.ErrorInfo{Reason: reason.String(), Domain: Domain, Metadata: md})
	if err != nil {
		return status.New(code, msg)
	}
	return st
}
