package app

import (
	"log/slog"
	"strings"
	"time"

	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/encoding/protojson"
)

// marshaler is protojson with its own conventions: lowerCamelCase names,
// enums as names, int64 as strings, and zero values left out (as grpcurl
// prints them, so both doors show the same JSON). Unknown fields are an
// error, so a typo in a field name is a 400, not a silently ignored field.
var marshaler = &runtime.JSONPb{
	MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: false, UseProtoNames: false, UseEnumNumbers: false},
	UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
}

func newServeMux(log *slog.Logger, names map[string]string, readTimeout time.Duration, methods *routeMethods) *runtime.ServeMux {
	return runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, marshaler),
		runtime.WithIncomingHeaderMatcher(incomingHeader),
		runtime.WithOutgoingHeaderMatcher(outgoingHeader),
		runtime.WithErrorHandler(errorHandler(log, names, readTimeout, methods)),
		// POST with X-HTTP-Method-Override would let a form post become a PATCH.
		runtime.WithDisableHTTPMethodOverride(),
		// A form-encoded POST would otherwise be served by the path's GET
		// route (grpc-gateway's path-length fallback): a write method that
		// reads is a surprise, and a POST without a route is 405.
		runtime.WithDisablePathLengthFallback(),
		runtime.WithMiddlewares(nameSpan),
	)
}

// incomingHeader passes the request id on as metadata. Authorization is
// passed on by grpc-gateway itself, unprefixed.
func incomingHeader(key string) (string, bool) {
	if strings.EqualFold(key, grpcx.RequestIDHeader) {
		return grpcx.RequestIDHeader, true
	}
	return runtime.DefaultHeaderMatcher(key)
}

// outgoingHeader keeps the services' x-request-id header out of the
// response (the gateway already sets X-Request-Id itself), and the gRPC
// content type, which says nothing to an HTTP client.
func outgoingHeader(key string) (string, bool) {
	if strings.EqualFold(key, grpcx.RequestIDHeader) || strings.EqualFold(key, "content-type") {
		return "", false
	}
	return runtime.MetadataHeaderPrefix + key, true
}
