package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cqlive/alliance/gen"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// Domain of the errors the gateway makes itself (ErrorInfo.domain).
const Domain = "gateway.alliance"

// marshaler is protojson with its own conventions: lowerCamelCase names,
// enums as names, int64 as strings, and zero values left out (as grpcurl
// prints them, so both doors show the same JSON). Unknown fields are an
// error, so a typo in a field name is a 400, not a silently ignored field.
var marshaler = &runtime.JSONPb{
	MarshalOptions:   protojson.MarshalOptions{EmitUnpopulated: false, UseProtoNames: false, UseEnumNumbers: false},
	UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
}

func newServeMux(log *slog.Logger, names map[string]string, readTimeout time.Duration) *runtime.ServeMux {
	return runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, marshaler),
		runtime.WithIncomingHeaderMatcher(incomingHeader),
		runtime.WithOutgoingHeaderMatcher(outgoingHeader),
		runtime.WithErrorHandler(errorHandler(log, names, readTimeout)),
		// POST with X-HTTP-Method-Override would let a form post become a PATCH.
		runtime.WithDisableHTTPMethodOverride(),
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

// errorHandler writes every error as google.rpc.Status JSON. The codes map
// to HTTP as ARCHITECTURE.md says, which is grpc-gateway's mapping
// (FAILED_PRECONDITION 400, ABORTED 409, ALREADY_EXISTS 409, UNAVAILABLE
// 503). A body cut off by the size cap is 413, and one that did not arrive
// within the read timeout 408, whatever the decoder said.
// The services' errors always carry an ErrorInfo; the gateway's own (a
// body that is not JSON, an unknown route, a service it cannot reach) get
// one here, so every error has a reason to switch on.
func errorHandler(log *slog.Logger, names map[string]string, readTimeout time.Duration) runtime.ErrorHandlerFunc {
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
		return errorStatus(codes.InvalidArgument, "MALFORMED_REQUEST", st.Message(), nil)
	case c == codes.NotFound && !routed:
		return errorStatus(codes.NotFound, "ROUTE_NOT_FOUND", "no route for "+r.Method+" "+r.URL.Path+"; see /openapi/", nil)
	case c == codes.Unimplemented && !routed:
		return errorStatus(codes.Unimplemented, "METHOD_NOT_ALLOWED", "no route for "+r.Method+" "+r.URL.Path+"; see /openapi/", nil)
	case c == codes.Unavailable || c == codes.DeadlineExceeded:
		svc, _, _ := strings.Cut(strings.TrimPrefix(method, "/"), "/")
		name := names[svc]
		if name == "" {
			name = "a service"
		}
		log.WarnContext(ctx, "service unavailable", "service", name, "method", method, "err", st.Message(),
			"request_id", r.Header.Get(grpcx.RequestIDHeader))
		return errorStatus(st.Code(), "SERVICE_UNAVAILABLE", name+" is unavailable; nothing was changed, try again later",
			map[string]string{"service": name})
	}
	return errorStatus(st.Code(), grpcx.CodeName(st.Code()), st.Message(), nil)
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

func errorStatus(code codes.Code, reason, msg string, md map[string]string) *status.Status {
	st, err := status.New(code, msg).WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: Domain, Metadata: md})
	if err != nil {
		return status.New(code, msg)
	}
	return st
}

func writeTooLarge(w http.ResponseWriter, r *http.Request, max int64) {
	// Tell the client and net/http to close: the rest of the body is not read.
	w.Header().Set("Connection", "close")
	writeStatus(w, http.StatusRequestEntityTooLarge, errorStatus(codes.InvalidArgument, "REQUEST_BODY_TOO_LARGE",
		"the request body is larger than "+strconv.FormatInt(max, 10)+" bytes",
		map[string]string{"max_body_bytes": strconv.FormatInt(max, 10)}))
	stopReading(w, r)
}

// stopReading ends the reading of a request the gateway has answered
// without its body: net/http would otherwise drain up to 256 KiB of it
// after the handler, to reuse the connection, for as long as the client
// takes. A read deadline that has passed makes it give up at once. Only
// for a request with a body whose connection closes after the answer: on
// a kept-alive HTTP/1 connection without a body the deadline would cut
// the connection's next request instead. HTTP/2 needs none of it: it
// resets the stream of an unread body, and a deadline there could reset
// the stream before the answer is out.
func stopReading(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 1 {
		_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	}
}

type bodyLimitKey struct{}

func writeReadTimeout(w http.ResponseWriter, r *http.Request, d time.Duration) {
	closeAfter(w, r)
	writeStatus(w, http.StatusRequestTimeout, errorStatus(codes.DeadlineExceeded, "REQUEST_READ_TIMEOUT",
		"the request did not arrive within "+d.String()+"; send it faster or in smaller parts",
		map[string]string{"read_timeout": d.String()}))
}

// bodyLimit remembers that a request's body ran past the cap, or past the
// read deadline, so the error handler can answer 413 or 408 even though
// the decoder only saw a read error.
type bodyLimit struct {
	max      int64
	hit      atomic.Bool
	timedOut atomic.Bool
}

type limitedBody struct {
	io.ReadCloser
	lim *bodyLimit
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		b.lim.hit.Store(true)
	case errors.Is(err, os.ErrDeadlineExceeded):
		b.lim.timedOut.Store(true)
	}
	return n, err
}

// withBodyLimit caps request bodies at max bytes. A declared length over
// the cap is refused before anything is read; an undeclared (chunked) one
// is cut off by http.MaxBytesReader as it streams, so memory stays bounded
// either way: the JSON decoder never sees more than max bytes.
func withBodyLimit(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeTooLarge(w, r, max)
			return
		}
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		lim := &bodyLimit{max: max}
		r = r.WithContext(context.WithValue(r.Context(), bodyLimitKey{}, lim))
		r.Body = &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, max), lim: lim}
		next.ServeHTTP(w, r)
	})
}

// withKeyRequired refuses a /v1/ request that carries no bearer key with
// 401, before anything reads its body: the services would refuse it all
// the same, and a client without a key must not be able to hold the
// gateway by sending a body slowly. The gateway checks only that a key is
// there, never whether it is valid: that is the services' work. The answer
// is the services' own for a missing key (UNAUTHENTICATED, domain
// auth.alliance), written by the same error handler. Health, readiness
// and /openapi/ stay open.
func withKeyRequired(mux *runtime.ServeMux, next http.Handler) http.Handler {
	missing := grpcx.FaultStatus(auth.Domain, fault.New(fault.Unauthenticated, "UNAUTHENTICATED",
		"missing or invalid API key: send `authorization: Bearer <key>`")).Err()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") || hasBearer(r) {
			next.ServeHTTP(w, r)
			return
		}
		unread := r.ContentLength != 0
		if unread {
			closeAfter(w, r)
		}
		runtime.DefaultHTTPErrorHandler(r.Context(), mux, marshaler, w, r, missing)
		if unread {
			stopReading(w, r)
		}
	})
}

// closeAfter closes an HTTP/1 connection after this answer, so the rest of
// the request is never read. HTTP/2 resets just the stream on its own; a
// Connection header there would end the client's other streams too.
func closeAfter(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 1 {
		w.Header().Set("Connection", "close")
	}
}

// hasBearer applies the services' reading of the header: its first value
// is "Bearer " and a token that is not blank.
func hasBearer(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && strings.TrimSpace(tok) != ""
}

// withRequestID gives every request an id: the client's X-Request-Id when
// it is sane, else a new one. It goes to the services as x-request-id
// metadata (their logs carry it) and back to the client as X-Request-Id.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
			r.Header.Set("X-Request-Id", id)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r)
	})
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// withCORS answers for the configured origins only. A request from any
// other origin gets no Access-Control-Allow-Origin, so browsers refuse it;
// a refused preflight is a 403 with a Status body.
func withCORS(origins map[string]bool, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		allowed := origins[origin]
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if preflight {
			w.Header().Add("Vary", "Access-Control-Request-Method")
			w.Header().Add("Vary", "Access-Control-Request-Headers")
			if !allowed {
				writeStatus(w, http.StatusForbidden, errorStatus(codes.PermissionDenied, "CORS_ORIGIN_NOT_ALLOWED",
					"origin "+origin+" is not allowed; the gateway's -cors-origins lists the allowed ones", nil))
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Expose-Headers", "X-Request-Id")
		}
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// withAccessLog writes one line per request, at debug level for successes
// (the services already log each call) and warn for server errors.
func withAccessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		level := slog.LevelDebug
		switch {
		case rec.code >= 500:
			level = slog.LevelWarn
		case rec.code >= 400:
			level = slog.LevelInfo
		}
		log.LogAttrs(r.Context(), level, "http",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.code), slog.Duration("duration", time.Since(start)),
			slog.String("request_id", r.Header.Get("X-Request-Id")))
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// healthz is liveness: the process answers. It never looks at the services,
// so a restart of one of them does not make an orchestrator kill the gateway.
func healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz is 200 only while every service answers its health check SERVING;
// otherwise 503, naming each service that does not.
func readyz(log *slog.Logger, ups []upstream, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		states := make(map[string]string, len(ups))
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, u := range ups {
			wg.Go(func() {
				state := "SERVING"
				resp, err := u.health.Check(ctx, &healthpb.HealthCheckRequest{Service: u.service})
				switch {
				case err != nil:
					// /readyz needs no key: the transport's message, with
					// the service's address, goes to the log only.
					state = grpcx.CodeName(status.Code(err))
					log.WarnContext(ctx, "service not ready", "service", u.name, "err", status.Convert(err).Message())
				case resp.GetStatus() != healthpb.HealthCheckResponse_SERVING:
					state = resp.GetStatus().String()
				}
				mu.Lock()
				states[u.name] = state
				mu.Unlock()
			})
		}
		wg.Wait()
		var down []string
		for name, s := range states {
			if s != "SERVING" {
				down = append(down, name)
			}
		}
		sort.Strings(down)
		if len(down) > 0 {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unready", "down": down, "services": states})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "services": states})
	})
}

// openAPI serves the documents of gen/openapi and, at /openapi/, an index of them.
func openAPI() http.Handler {
	docs, err := fs.Sub(gen.OpenAPI, "openapi")
	if err != nil {
		panic(err) // the embed pattern guarantees the folder
	}
	files := http.StripPrefix("/openapi/", http.FileServerFS(docs))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/openapi/" {
			files.ServeHTTP(w, r)
			return
		}
		entries, _ := fs.ReadDir(docs, ".")
		var list []string
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".json") {
				list = append(list, "/openapi/"+e.Name())
			}
		}
		writeJSON(w, http.StatusOK, map[string]any{"documents": list})
	})
}
