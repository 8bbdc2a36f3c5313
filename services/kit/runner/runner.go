// Package runner holds the start-up steps every service binary shares:
// its logger, its signal handling and its listener.
package runner

import (
	"context"
	"fmt"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
)

// Logger returns a JSON slog logger on stderr tagged with the service name.
func Logger(service, level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: lv})).With("service", service)
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

// Exit logs err and exits 1, or returns when err is nil.
func Exit(log *slog.Logger, err error) {
	if err != nil {
		log.Error("exit", "err", err.Error())
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// Serve listens on addr and serves srv until SIGINT or SIGTERM, then stops
// it gracefully: the last step of every service's Main.
func Serve(srv *grpcx.Server, addr string) error {
	lis, err := Listen(addr)
	if err != nil {
		return err
	}
	ctx, stop := SignalContext()
	defer stop()
	return srv.Serve(ctx, lis)
}
