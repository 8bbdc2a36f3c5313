package app

import (
	"context"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
)

// routeMethods says which HTTP methods have a route for a path, for the
// Allow header of a 405 (RFC 9110 requires one). grpc-gateway's mux finds
// that a path has routes for other methods but does not say which, so a
// second mux holds the same routes (register), with handlers that only
// answer that they matched: each method is tried on it in turn. Nothing
// is called upstream.
type routeMethods struct{ mux *runtime.ServeMux }

// matched is the status a probe's handler answers with.
const matched = http.StatusNoContent

func newRouteMethods(register func(*runtime.ServeMux) error) (*routeMethods, error) {
	mux := runtime.NewServeMux(
		runtime.WithDisableHTTPMethodOverride(),
		runtime.WithMiddlewares(func(runtime.HandlerFunc) runtime.HandlerFunc {
			return func(w http.ResponseWriter, _ *http.Request, _ map[string]string) { w.WriteHeader(matched) }
		}),
		runtime.WithRoutingErrorHandler(func(_ context.Context, _ *runtime.ServeMux, _ runtime.Marshaler, w http.ResponseWriter, _ *http.Request, code int) {
			w.WriteHeader(code)
		}),
	)
	if err := register(mux); err != nil {
		return nil, err
	}
	return &routeMethods{mux: mux}, nil
}

// probeWriter keeps the status a probe was answered with.
type probeWriter struct {
	h    http.Header
	code int
}

func (p *probeWriter) Header() http.Header {
	if p.h == nil {
		p.h = http.Header{}
	}
	return p.h
}
func (p *probeWriter) Write(b []byte) (int, error) { return len(b), nil }
func (p *probeWriter) WriteHeader(code int)        { p.code = code }

// allow lists the methods with a route for r's path, as an Allow header
// spells them.
func (m *routeMethods) allow(r *http.Request) string {
	var out []string
	for _, meth := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		probe := (&http.Request{Method: meth, URL: r.URL, Header: http.Header{}, Host: r.Host}).WithContext(r.Context())
		w := &probeWriter{}
		m.mux.ServeHTTP(w, probe)
		if w.code == matched {
			out = append(out, meth)
		}
	}
	return strings.Join(out, ", ")
}
