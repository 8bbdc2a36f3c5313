// Package layout describes the four processes of the suite — their names,
// health checks and command-line flags — in one place, so the launcher and
// the end-to-end tests start them the same way.
package layout

import (
	"path/filepath"

	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/tlsx"
)

// Addrs are the listen addresses of the suite.
type Addrs struct {
	MemberRegistry    string // gRPC
	SessionScheduling string // gRPC
	SalesReporting    string // gRPC
	Gateway           string // HTTP
	// Admin are the admin ports (metrics), by process name; a process
	// without one has its admin port off, so that suites started side by
	// side never meet on the default ports.
	Admin map[string]string
}

// Defaults are the ports of docs/API.md.
var Defaults = Addrs{
	MemberRegistry:    "localhost:50051",
	SessionScheduling: "localhost:50052",
	SalesReporting:    "localhost:50053",
	Gateway:           "localhost:8080",
	Admin: map[string]string{
		"member-registry":    "localhost:9101",
		"session-scheduling": "localhost:9102",
		"sales-reporting":    "localhost:9103",
		"gateway":            "localhost:9104",
	},
}

// Names are the four processes, in start order.
var Names = []string{"member-registry", "session-scheduling", "sales-reporting", "gateway"}

// FreeAdmin gives every process an admin port that was free a moment ago.
func FreeAdmin() map[string]string {
	m := map[string]string{}
	for _, n := range Names {
		m[n] = FreeAddr()
	}
	return m
}

// Health-check names of the gRPC services.
const (
	MemberService  = "alliance.member.v1.MemberRegistry"
	SessionService = "alliance.session.v1.SessionScheduler"
	SalesService   = "alliance.sales.v1.SalesReporting"
)

// Proc is how to start one process.
type Proc struct {
	Name string // also the binary's name
	Args []string
	// Env is added to the process's environment (KEY=value).
	Env []string
	// Addr it listens on; GRPCService is set for gRPC servers, empty for the gateway.
	Addr        string
	GRPCService string
	// AdminAddr is its admin port (metrics), or "" when off.
	AdminAddr string
}

// Auth names the files the three services share: the admin keys and the
// suite's internal secret. Every service authenticates every call, and a
// service left to itself makes its own pair of files in its own data
// folder, so the suite must hand all three the same two.
type Auth struct {
	AdminKeyFile      string
	ServiceSecretFile string
}

// EnsureAuth makes dir/admin.key and dir/service.secret (mode 0600) unless
// they exist, and returns their paths, the admin key itself, and whether
// this call made the admin key (a first start).
func EnsureAuth(dir string) (a Auth, adminKey string, made bool, err error) {
	a = Auth{
		AdminKeyFile:      filepath.Join(dir, auth.AdminKeyFileName),
		ServiceSecretFile: filepath.Join(dir, auth.ServiceSecretFileName),
	}
	if made, err = auth.EnsureFile(a.AdminKeyFile, auth.NewAdminKey()+"\n"); err != nil {
		return Auth{}, "", false, err
	}
	if _, err = auth.EnsureFile(a.ServiceSecretFile, auth.RandomSecret(32)+"\n"); err != nil {
		return Auth{}, "", false, err
	}
	adminKey, err = FirstLine(a.AdminKeyFile)
	return a, adminKey, made, err
}

// Procs returns the four processes in start order: each one's dependencies
// come before it. Each service keeps its data in its own folder under dataDir.
func Procs(a Addrs, dataDir, logLevel string) []Proc {
	dir := func(name string) string { return filepath.Join(dataDir, name) }
	procs := []Proc{
		// The registry asks session-scheduling before a studio is removed; it
		// starts first all the same, as it dials lazily.
		{Name: "member-registry", Addr: a.MemberRegistry, GRPCService: MemberService, Args: []string{
			"-grpc-addr", a.MemberRegistry, "-data-dir", dir("member-registry"), "-log-level", logLevel,
			"-session-scheduling-addr", a.SessionScheduling}},
		{Name: "session-scheduling", Addr: a.SessionScheduling, GRPCService: SessionService, Args: []string{
			"-grpc-addr", a.SessionScheduling, "-data-dir", dir("session-scheduling"), "-log-level", logLevel,
			"-member-registry-addr", a.MemberRegistry}},
		{Name: "sales-reporting", Addr: a.SalesReporting, GRPCService: SalesService, Args: []string{
			"-grpc-addr", a.SalesReporting, "-data-dir", dir("sales-reporting"), "-log-level", logLevel,
			"-member-registry-addr", a.MemberRegistry, "-session-scheduling-addr", a.SessionScheduling}},
		{Name: "gateway", Addr: a.Gateway, Args: []string{
			"-http-addr", a.Gateway, "-log-level", logLevel,
			"-member-registry-addr", a.MemberRegistry,
			"-session-scheduling-addr", a.SessionScheduling,
			"-sales-reporting-addr", a.SalesReporting}},
	}
	for i := range procs {
		p := &procs[i]
		p.AdminAddr = a.Admin[p.Name]
		p.Args = append(p.Args, "-admin-addr="+p.AdminAddr)
	}
	return procs
}

// WithTracing has every process export its spans to the OTLP gRPC
// endpoint (-otlp-endpoint).
func WithTracing(procs []Proc, endpoint string) []Proc {
	for i := range procs {
		procs[i].Args = append(procs[i].Args, "-otlp-endpoint", endpoint)
	}
	return procs
}

// WithAuth turns API keys on for the gRPC services of procs: they share one
// admin key file and one internal secret. The gateway needs neither; it
// passes each caller's key on.
func WithAuth(procs []Proc, keys Auth) []Proc {
	for i := range procs {
		if procs[i].GRPCService != "" {
			procs[i].Args = append(procs[i].Args,
				"-admin-key-file", keys.AdminKeyFile, "-service-secret-file", keys.ServiceSecretFile)
		}
	}
	return procs
}

// TLS names the PEM files of a suite with TLS and mutual TLS on. Each gRPC
// service serves with Cert/Key and requires a client certificate signed by
// CA; as a client of the others it trusts CA and presents ClientCert. The
// gateway serves HTTPS with Cert/Key and calls the services like they call
// each other.
type TLS struct {
	CA, Cert, Key         string
	ClientCert, ClientKey string
}

// Client is the client side of t: how the launcher, tests and tools dial
// the services.
func (t TLS) Client() tlsx.Config {
	return tlsx.Config{CAFile: t.CA, ClientCertFile: t.ClientCert, ClientKeyFile: t.ClientKey}
}

// WithTLS adds the TLS flags of t to every process.
func WithTLS(procs []Proc, t TLS) []Proc {
	for i := range procs {
		args := []string{"-tls-cert", t.Cert, "-tls-key", t.Key,
			"-tls-ca", t.CA, "-tls-client-cert", t.ClientCert, "-tls-client-key", t.ClientKey}
		if procs[i].GRPCService != "" {
			args = append(args, "-tls-client-ca", t.CA)
		}
		procs[i].Args = append(procs[i].Args, args...)
	}
	return procs
}
