// Package layout describes the four processes of the suite — their names,
// health checks and command-line flags — in one place, so the launcher and
// the end-to-end tests start them the same way.
package layout

import "path/filepath"

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

// Procs returns the four processes in start order: each one's dependencies
// come before it. Each service keeps its data in its own folder under dataDir.
func Procs(a Addrs, dataDir string, logLevel string) []Proc {
	dir := func(name string) string { return filepath.Join(dataDir, name) }
	return []Proc{
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
}
