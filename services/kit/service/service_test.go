package service_test

import (
	"errors"
	"flag"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/kit/tlsx"
	"google.golang.org/grpc"
)

var spec = service.Spec{Name: "demo-service", EnvPrefix: "DEMO_SERVICE", GRPCService: "alliance.demo.v1.Demo", DefaultAddr: ":50099",
	DefaultAdminAddr: ":9199", DBFile: "demo.db"}

// The deployment manifests and the README name these flags and variables:
// every service keeps them, with its own prefix.
func TestBindFlagsDefinesTheCommonFlagsWithTheServicesPrefix(t *testing.T) {
	t.Setenv("DEMO_SERVICE_LOCK_TIMEOUT", "7s")
	var c service.Config
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	if err := c.BindFlags(fs, spec).Parse([]string{"-data-dir", "/var/lib/demo"}); err != nil {
		t.Fatal(err)
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	for _, want := range []string{"grpc-addr", "data-dir", "log-level", "shutdown-timeout", "lock-timeout",
		"admin-key-file", "service-secret-file", "tls-cert", "tls-key", "tls-client-ca", "tls-ca", "tls-client-cert", "tls-client-key",
		"admin-addr", "pprof", "otlp-endpoint"} {
		if !slices.Contains(names, want) {
			t.Errorf("no -%s among %v", want, names)
		}
		if u := fs.Lookup(want); u != nil && !strings.Contains(u.Usage, "(env DEMO_SERVICE_") {
			t.Errorf("-%s does not name its variable: %q", want, u.Usage)
		}
	}
	if c.AdminAddr != ":9199" || c.Pprof || c.OTLPEndpoint != "" {
		t.Errorf("telemetry defaults %+v", c.Telemetry)
	}
	if c.GRPCAddr != ":50099" || c.DataDir != "/var/lib/demo" || c.LockTimeout != 7*time.Second || c.ShutdownTimeout != 10*time.Second || c.LogLevel != "info" {
		t.Fatalf("config %+v", c)
	}
	if got := c.DBPath(spec); got != "/var/lib/demo/demo.db" {
		t.Fatalf("DBPath = %s", got)
	}
}

// closers records the order in which what a start-up opened is closed.
type closers struct{ closed []string }

func (c *closers) closer(name string) func() error {
	return func() error { c.closed = append(c.closed, name); return nil }
}

func TestAFailedStartClosesWhatItOpenedInReverse(t *testing.T) {
	var c closers
	b := service.Start(service.Config{}, spec, testkit.Quiet)
	b.OnClose(c.closer("store"))
	b.OnClose(c.closer("indexer"))
	if _, err := b.Dial("dependency", "127.0.0.1:1", time.Second); err != nil {
		t.Fatal(err)
	}
	b.OnClose(c.closer("commit loop"))
	b.Abort()
	if want := []string{"commit loop", "indexer", "store"}; !slices.Equal(c.closed, want) {
		t.Fatalf("closed %v, want %v (the connection between indexer and commit loop)", c.closed, want)
	}
	b.Abort()
	if len(c.closed) != 3 {
		t.Fatalf("a second Abort closed again: %v", c.closed)
	}
}

func TestAServerThatCannotBeBuiltLeavesNothingOpen(t *testing.T) {
	var c closers
	b := service.Start(service.Config{Security: auth.Security{TLS: tlsx.Config{CertFile: "/nonexistent.pem", KeyFile: "/nonexistent-key.pem"}}}, spec, testkit.Quiet)
	b.OnClose(c.closer("store"))
	if _, err := b.Serve(nil, auth.Policy{}, func(*grpc.Server) { t.Error("registered on a server that failed") }); err == nil {
		t.Fatal("Serve accepted certificate files that do not exist")
	}
	b.Abort()
	if !slices.Equal(c.closed, []string{"store"}) {
		t.Fatalf("closed %v, want the store", c.closed)
	}
}

func TestTheServerClosesWhatTheStartOpenedWhenItStops(t *testing.T) {
	var c closers
	b := service.Start(service.Config{ShutdownTimeout: time.Second}, spec, testkit.Quiet)
	b.OnClose(c.closer("store"))
	b.OnClose(c.closer("commit loop"))
	registered := false
	srv, err := b.Serve(nil, auth.Policy{}, func(*grpc.Server) { registered = true })
	if err != nil || !registered {
		t.Fatalf("Serve: %v, registered %v", err, registered)
	}
	b.Abort() // deferred in New: after Serve it must leave everything open
	if len(c.closed) != 0 {
		t.Fatalf("Abort after Serve closed %v", c.closed)
	}
	_, stop := testkit.ServeOn(t, srv, "127.0.0.1:0")
	stop()
	if want := []string{"commit loop", "store"}; !slices.Equal(c.closed, want) {
		t.Fatalf("closed %v, want %v", c.closed, want)
	}
}

func TestMainStopsAtABadFlagBeforeOpeningAnything(t *testing.T) {
	var c service.Config
	built := false
	err := service.Main([]string{"-no-such-flag"}, spec, &c, func(fs *flag.FlagSet) *config.Set { return c.BindFlags(fs, spec) },
		func(*slog.Logger) (*grpcx.Server, error) { built = true; return nil, errors.New("unreachable") })
	if err == nil || built {
		t.Fatalf("Main: %v, built %v", err, built)
	}
}
