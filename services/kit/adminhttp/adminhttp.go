// Package adminhttp is a process's admin port: plain HTTP, apart from the
// port that serves callers, with the Prometheus metrics at /metrics and,
// when turned on, Go's profiler at /debug/pprof/. It carries no API and no
// key: keep it off the public network (the deployments let only the
// metrics scrape in).
package adminhttp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// Handler serves metrics at /metrics and, with withPprof, the profiler.
func Handler(metrics http.Handler, withPprof bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	if withPprof {
		// Registered here, not on http.DefaultServeMux (importing
		// net/http/pprof does that too): only this port serves them.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "/metrics")
		if withPprof {
			fmt.Fprintln(w, "/debug/pprof/")
		}
	})
	return mux
}

// Server is a running admin port.
type Server struct {
	srv    *http.Server
	lis    net.Listener
	served chan error
	log    *slog.Logger
}

// Start listens on addr and serves h there until Close.
func Start(addr string, h http.Handler, log *slog.Logger) (*Server, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("admin port: listen on %s: %w (is the port in use? change it with -admin-addr, or turn it off with -admin-addr=)", addr, err)
	}
	s := &Server{lis: lis, served: make(chan error, 1), log: log, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		// A CPU profile or an execution trace takes ?seconds=N (30 by default).
		WriteTimeout: 2 * time.Minute,
		IdleTimeout:  time.Minute,
		ErrorLog:     slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}}
	go func() { s.served <- s.srv.Serve(lis) }()
	log.Info("admin port serving", "addr", lis.Addr().String())
	return s, nil
}

// Addr is where the server listens.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// Close stops the server: a scrape in progress gets a second to finish.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = s.srv.Close()
	}
	if serr := <-s.served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
