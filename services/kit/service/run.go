package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/tracing"
)

// Main is a service's whole run: it parses args into the Config that bind
// fills (the service's own, whose common part is c), makes the logger,
// loads the keys (on first start without key files it makes them in the
// data folder, see auth.Flags.Load), builds the server with build and
// serves it on -grpc-addr until SIGINT or SIGTERM.
func Main(args []string, s Spec, c *Config, bind func(*flag.FlagSet) *config.Set, build func(*slog.Logger) (*grpcx.Server, error)) error {
	fs := flag.NewFlagSet(s.Name, flag.ContinueOnError)
	if err := bind(fs).Parse(args); err != nil {
		return err
	}
	log := Logger(s.Name, c.LogLevel)
	// Every call is authenticated.
	if err := c.Security.Load(c.DataDir, log); err != nil {
		return err
	}
	srv, err := build(log)
	if err != nil {
		return err
	}
	return Serve(srv, c.GRPCAddr)
}

// Exit ends a command: silently for -h, with status 1 and the error
// (prefixed with the command's name) for any other error.
func Exit(name string, err error) {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return
	}
	fmt.Fprintln(os.Stderr, name+":", err)
	os.Exit(1)
}

// Logger returns a JSON slog logger on stderr tagged with the service
// name. A record logged with the context of a traced call carries its
// trace_id and span_id.
func Logger(service, level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	return slog.New(tracing.LogHandler(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))).With("service", service)
}

// SignalContext is cancelled on SIGINT or SIGTERM: the cue for graceful shutdown.
func SignalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Listen opens a TCP listener with a message that names the address on failure.
func Listen(addr string) (net.Listener, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (is the port in use? change it with the flag or its environment variable)", addr, err)
	}
	return lis, nil
}

// Server is what Serve runs: a grpcx.Server, or the gateway.
type Server interface {
	Serve(ctx context.Context, lis net.Listener) error
}

// Serve listens on addr and serves srv until SIGINT or SIGTERM, then
// stops it gracefully.
func Serve(srv Server, addr string) error {
	lis, err := Listen(addr)
	if err != nil {
		return err
	}
	ctx, stop := SignalContext()
	defer stop()
	return srv.Serve(ctx, lis)
}
