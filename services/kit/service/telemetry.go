package service

import (
	"context"
	"log/slog"

	"github.com/cqlive/alliance/services/kit/adminhttp"
	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/metrics"
	"github.com/cqlive/alliance/services/kit/tracing"
)

// Telemetry is how a process is watched: its admin port (Prometheus
// metrics, and the profiler when asked for) and where its spans go. The
// services embed it in their Config, and the gateway in its own.
type Telemetry struct {
	// AdminAddr is the admin port's listen address; empty turns it off.
	AdminAddr string
	// Pprof serves Go's profiler on the admin port (/debug/pprof/).
	Pprof bool
	// OTLPEndpoint is where spans are exported (OTLP over gRPC); empty
	// falls back to OTEL_EXPORTER_OTLP_ENDPOINT, and without either,
	// tracing is off.
	OTLPEndpoint string
}

// BindFlags defines -admin-addr, -pprof and -otlp-endpoint on set.
func (t *Telemetry) BindFlags(set *config.Set, defaultAdminAddr string) {
	set.String(&t.AdminAddr, "admin-addr", defaultAdminAddr, "admin HTTP listen address: Prometheus metrics at /metrics (and the profiler with -pprof); empty turns it off")
	set.Bool(&t.Pprof, "pprof", false, "serve Go's profiler at /debug/pprof/ on the admin port")
	set.String(&t.OTLPEndpoint, "otlp-endpoint", "", "OTLP gRPC endpoint for traces (http://collector:4317, or host:port); empty: OTEL_EXPORTER_OTLP_ENDPOINT, and without it tracing is off")
}

// StartTracing sets up tracing for the process called name.
func (t Telemetry) StartTracing(name string) (*tracing.Tracing, error) {
	return tracing.Start(context.Background(), tracing.Config{Service: name, Endpoint: t.OTLPEndpoint})
}

// ServeAdmin starts the admin port with m's metrics, unless it is off.
func (t Telemetry) ServeAdmin(m *metrics.Registry, log *slog.Logger) (*adminhttp.Server, error) {
	if t.AdminAddr == "" {
		return nil, nil
	}
	return adminhttp.Start(t.AdminAddr, adminhttp.Handler(m.Handler(), t.Pprof), log)
}
