package auth

import (
	"context"
	"log/slog"
	"time"

	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/tlsx"
	"google.golang.org/grpc"
)

// Security is the authentication and transport part of every service's
// Config, embedded there so that its fields read as the service's own.
type Security struct {
	// Admin keys and the suite's internal secret. With Admin nil no call is
	// authenticated, and every call is Unchecked (trusted): only in-process
	// tests do that; a service's Main always loads or makes them (Load).
	Admin         *AdminKeys
	ServiceSecret ServiceSecret
	AuthFlags     Flags
	// KeyCacheTTL bounds how long a member key revoked in the registry keeps
	// working in the other services; 0 is DefaultKeyCacheTTL.
	KeyCacheTTL time.Duration
	TLS         tlsx.Config
}

// BindFlags defines the key-file and TLS flags on set.
func (s *Security) BindFlags(set *config.Set) {
	s.AuthFlags.BindFlags(set)
	s.TLS.BindFlags(set)
}

// Load reads the admin keys and the service secret, making them in
// dataDir on first start when no files are configured.
func (s *Security) Load(dataDir string, log *slog.Logger) error {
	var err error
	s.Admin, s.ServiceSecret, err = s.AuthFlags.Load(dataDir, log)
	return err
}

// Server returns what a gRPC server needs: interceptors that authenticate
// every call and check it against p, in front of the given ones, and the
// TLS server options. With Admin nil they mark every call Unchecked
// instead: the one place where "no authentication" is decided, so that no
// handler has to take a missing principal for a trusted one.
func (s Security) Server(members MemberKeys, p Policy, unary []grpc.UnaryServerInterceptor, stream []grpc.StreamServerInterceptor) (
	[]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor, []grpc.ServerOption, error) {
	opts, err := s.TLS.ServerOptions()
	if err != nil {
		return nil, nil, nil, err
	}
	if s.Admin == nil {
		unary = append([]grpc.UnaryServerInterceptor{uncheckedUnary}, unary...)
		stream = append([]grpc.StreamServerInterceptor{uncheckedStream}, stream...)
		return unary, stream, opts, nil
	}
	a := &Authenticator{Admin: s.Admin, Services: s.ServiceSecret, Members: members}
	unary = append([]grpc.UnaryServerInterceptor{a.UnaryInterceptor(p)}, unary...)
	stream = append([]grpc.StreamServerInterceptor{a.StreamInterceptor(p)}, stream...)
	return unary, stream, opts, nil
}

var unchecked = Principal{Kind: Unchecked}

func uncheckedUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	return handler(WithPrincipal(ctx, unchecked), req)
}

func uncheckedStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, &principalStream{ServerStream: ss, ctx: WithPrincipal(ss.Context(), unchecked)})
}
