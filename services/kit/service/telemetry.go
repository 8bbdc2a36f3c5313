package service

import (
	"context"
	"errors"
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

// Watch is what a process's Telemetry started: its metrics, its tracing
// and its admin port.
type Watch struct {
	Metrics *metrics.Registry
	Tracing *tracing.Tracing
	admin   *adminhttp.Server
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

// Start starts the process's tracing and admin port.
func (t Telemetry) Start(name string, log *slog.Logger) (*Watch, error) {
	w := &Watch{Metrics: metrics.New()}
	var err error
	if w.Tracing, err = t.StartTracing(name); err != nil {
		return nil, err
	}
	if w.admin, err = t.ServeAdmin(w.Metrics, log); err != nil {
		_ = w.Tracing.Shutdown()
		return nil, err
	}
	log.Info("telemetry", "admin_addr", w.AdminAddr(), "pprof", t.Pprof && w.admin != nil, "tracing", w.Tracing.Enabled())
	return w, nil
}

// AdminAddr is where the admin port listens, or "" when it is off.
func (w *Watch) AdminAddr() string {
	if w == nil || w.admin == nil {
		return ""
	}
	return w.admin.Addr()
}

// Close stops the admin port and exports the spans still buffered.
func (w *Watch) Close() error {
	if w == nil {
		return nil
	}
	var err error
	if w.admin != nil {
		err = w.admin.Close()
	}
	return errors.Join(err, w.Tracing.Shutdown())
}
