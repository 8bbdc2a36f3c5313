package app

import (
	"net/http"
	"strings"

	"github.com/cqlive/alliance/services/kit/metrics"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// area names the part of the gateway a request is for: the label of the
// HTTP metrics and the first name of its span (a /v1/ route's span is
// renamed after its route by nameSpan).
func area(path string) string {
	switch {
	case strings.HasPrefix(path, "/v1/"):
		return "api"
	case strings.HasPrefix(path, "/openapi/"):
		return "openapi"
	case path == "/healthz" || path == "/readyz":
		return strings.TrimPrefix(path, "/")
	}
	return "console"
}

var areas = []string{"api", "openapi", "healthz", "readyz", "console"}

// instrument counts every request by area, code and method, with its
// latency, and the requests in flight (promhttp's instrumentation).
func instrument(m *metrics.Registry, next http.Handler) http.Handler {
	reg := m.Registerer()
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "alliance_gateway_http_requests_total",
		Help: "HTTP requests answered, by area (api, console, openapi, healthz, readyz), status code and method.",
	}, []string{"handler", "code", "method"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "alliance_gateway_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by area and method.",
		Buckets: metrics.LatencyBuckets,
	}, []string{"handler", "method"})
	inFlight := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "alliance_gateway_http_requests_in_flight",
		Help: "HTTP requests being served.",
	})
	reg.MustRegister(requests, duration, inFlight)
	by := map[string]http.Handler{}
	for _, a := range areas {
		l := prometheus.Labels{"handler": a}
		by[a] = promhttp.InstrumentHandlerDuration(duration.MustCurryWith(l),
			promhttp.InstrumentHandlerCounter(requests.MustCurryWith(l), next))
	}
	return promhttp.InstrumentHandlerInFlight(inFlight, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		by[area(r.URL.Path)].ServeHTTP(w, r)
	}))
}

// spanName is the name of a request's span until its route is known.
func spanName(_ string, r *http.Request) string { return r.Method + " " + area(r.URL.Path) }

// nameSpan names the span of a /v1/ request after its route (the HTTP
// rule's pattern, never the path with its ids), as OpenTelemetry's HTTP
// conventions ask.
func nameSpan(next runtime.HandlerFunc) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		if p, ok := runtime.HTTPPattern(r.Context()); ok {
			span := trace.SpanFromContext(r.Context())
			span.SetName(r.Method + " " + p.String())
			span.SetAttributes(attribute.String("http.route", p.String()))
		}
		next(w, r, params)
	}
}
