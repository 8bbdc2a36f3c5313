// Package layout describes the four processes of the suite — their names,
// health checks and command-line flags — in one place, so the launcher and
// the end-to-end tests start them the same way.
package layout

import (
	"path/filepath"

	"github.com/cqlive/alliance/services/kit/auth"
)

// Addrs are the listen addresses of the suite.
type Addrs struct {
	MemberRegistry    string // gRPC
	SessionScheduling string // gRPC
	SalesReporting    string // gRPC
	Gateway           string // HTTP
}

// Defaults are the ports of API.md.
var Defaults = Addrs{
	MemberRegistry:    "localhost:50051",
	SessionScheduling: "localhost:50052",
	SalesReporting:    "localhost:50053",
	Gateway:           "localhost:8080",
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
	// Addr it listens on; GRPCService is set for gRPC servers, empty for the gateway.
	Addr        string
	GRPCService string
}

// Auth names the files the three services share when API keys are on: the
// admin keys and the suite's internal secret. Zero means keys are off.
type Auth struct {
	AdminKeyFile      string
	ServiceSecretFile string
}

// EnsureAuth makes dir/admin.key and dir/service.secret (mode 0600) unless
// they exist, and returns their paths with the admin key itself.
func EnsureAuth(dir string) (Auth, string, error) {
	a := Auth{
		AdminKeyFile:      filepath.Join(dir, auth.AdminKeyFileName),
		ServiceSecretFile: filepath.Join(dir, auth.ServiceSecretFileName),
	}
	if _, err := auth.EnsureFile(a.AdminKeyFile, auth.NewAdminKey()+"\n"); err != nil {
		return Auth{}, "", err
	}
	if _, err := auth.EnsureFile(a.ServiceSecretFile, auth.RandomSecret(32)+"\n"); err != nil {
		return Auth{}, "", err
	}
	key, err := FirstLine(a.AdminKeyFile)
	return a, key, err
}

// Procs returns the four processes in start order: each one's dependencies
// come before it. Each service keeps its data in its own folder under dataDir.
func Procs(a Addrs, dataDir, logLevel string) []Proc {
	dir := func(name string) string { return filepath.Join(dataDir, name) }
	procs := []Proc{
		{Name: "member-registry", Addr: a.MemberRegistry, GRPCService: MemberService, Args: []string{
			"-grpc-addr", a.MemberRegistry, "-data-dir", dir("member-registry"), "-log-level", logLevel}},
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
