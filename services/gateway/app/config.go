package app

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/tlsx"
)

// Config of the gateway.
type Config struct {
	HTTPAddr              string
	MemberRegistryAddr    string
	SessionSchedulingAddr string
	SalesReportingAddr    string
	// Comma-separated origins allowed by CORS, e.g.
	// "http://localhost:3000,https://admin.example". Empty means no CORS headers at all.
	CORSOrigins  string
	MaxBodyBytes int
	// How long the gateway waits for a client: for the request's headers,
	// for the whole request (headers and body), and for the next request
	// on an idle keep-alive connection. A client slower than that is cut off.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	IdleTimeout       time.Duration
	CallTimeout       time.Duration
	ReadyTimeout      time.Duration
	ShutdownTimeout   time.Duration
	LogLevel          string
	// TLS: -tls-cert/-tls-key make the gateway serve HTTPS, -tls-client-ca
	// asks HTTP clients for a certificate (mutual TLS); -tls-ca turns on
	// TLS to the services, -tls-client-cert/-tls-client-key present the
	// gateway's own certificate to them. Plaintext is the local default.
	TLS tlsx.Config
	// The admin port (metrics at /metrics, the profiler with -pprof) and
	// tracing (-otlp-endpoint).
	service.Telemetry
}

// BindFlags defines the gateway's flags (and their GATEWAY_* variables) on fs.
func (c *Config) BindFlags(fs *flag.FlagSet) *config.Set {
	s := config.New(fs, "GATEWAY")
	s.String(&c.HTTPAddr, "http-addr", ":8080", "HTTP listen address")
	s.String(&c.MemberRegistryAddr, "member-registry-addr", "localhost:50051", "gRPC address of member-registry")
	s.String(&c.SessionSchedulingAddr, "session-scheduling-addr", "localhost:50052", "gRPC address of session-scheduling")
	s.String(&c.SalesReportingAddr, "sales-reporting-addr", "localhost:50053", "gRPC address of sales-reporting")
	s.String(&c.CORSOrigins, "cors-origins", "", "comma-separated origins allowed by CORS (exact scheme://host[:port]; no wildcard); empty disables CORS")
	s.Int(&c.MaxBodyBytes, "max-body-bytes", 1<<20, "largest request body accepted; a larger one gets 413")
	s.Duration(&c.ReadHeaderTimeout, "read-header-timeout", DefaultReadHeaderTimeout, "how long a client may take to send a request's headers")
	s.Duration(&c.ReadTimeout, "read-timeout", DefaultReadTimeout, "how long a client may take to send a whole request, body included; a slower one gets 408 and is disconnected")
	s.Duration(&c.IdleTimeout, "idle-timeout", DefaultIdleTimeout, "how long an idle keep-alive connection stays open")
	s.Duration(&c.CallTimeout, "call-timeout", 10*time.Second, "deadline of a call to a service when the client sets none")
	s.Duration(&c.ReadyTimeout, "ready-timeout", time.Second, "how long /readyz waits for each service's health check")
	s.Duration(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long shutdown waits for in-flight requests")
	s.String(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	c.TLS.BindFlags(s)
	c.Telemetry.BindFlags(s, ":9104")
	return s
}

// Defaults of the read timeouts.
const (
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultIdleTimeout       = time.Minute
)

// origins parses CORSOrigins. A wildcard is refused: the gateway forwards
// Authorization, so letting any site call it with a user's token is never
// what an operator means.
func (c *Config) origins() (map[string]bool, error) {
	set := map[string]bool{}
	for _, o := range strings.Split(c.CORSOrigins, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if strings.Contains(o, "*") {
			return nil, fmt.Errorf("cors-origins: %q: wildcards are not accepted; list each origin", o)
		}
		if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
			return nil, fmt.Errorf("cors-origins: %q: an origin is scheme://host[:port]", o)
		}
		set[strings.TrimRight(o, "/")] = true
	}
	return set, nil
}

func (c *Config) check() error {
	if c.MaxBodyBytes <= 0 {
		return fmt.Errorf("max-body-bytes must be positive, got %d", c.MaxBodyBytes)
	}
	config.PositiveOr(&c.ReadyTimeout, time.Second)
	config.PositiveOr(&c.CallTimeout, 10*time.Second)
	config.PositiveOr(&c.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	config.PositiveOr(&c.ReadTimeout, DefaultReadTimeout)
	config.PositiveOr(&c.IdleTimeout, DefaultIdleTimeout)
	config.PositiveOr(&c.ShutdownTimeout, 10*time.Second)
	_, err := c.origins()
	return err
}
