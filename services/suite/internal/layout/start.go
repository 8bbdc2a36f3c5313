package layout

import (
	"context"
	"fmt"
	"github.com/cqlive/alliance/services/kit/testkit/freeport"
	"path/filepath"
	"time"

	"github.com/cqlive/alliance/services/suite/internal/proc"
)

// StartGRPC starts the gRPC services of procs (Start without the
// gateway): for the callers that speak gRPC only.
func StartGRPC(ctx context.Context, bin string, procs []Proc, grace time.Duration, sink func(proc.Line)) (func(), error) {
	var grpcOnly []Proc
	for _, p := range procs {
		if p.GRPCService != "" {
			grpcOnly = append(grpcOnly, p)
		}
	}
	return Start(ctx, bin, grpcOnly, grace, sink)
}

// Start starts procs from the binaries in bin, in order, each healthy (a
// gRPC service) or ready (the gateway's /readyz) before the next, and
// returns how to stop them (in reverse order, each given grace to finish).
func Start(ctx context.Context, bin string, procs []Proc, grace time.Duration, sink func(proc.Line)) (func(), error) {
	var started []*proc.Proc
	stop := func() {
		for i := len(started) - 1; i >= 0; i-- {
			started[i].Stop(grace)
		}
	}
	for _, s := range procs {
		p, err := proc.Start(s.Name, filepath.Join(bin, s.Name), s.Args, s.Env, sink)
		if err != nil {
			stop()
			return nil, err
		}
		started = append(started, p)
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if s.GRPCService != "" {
			err = proc.WaitGRPC(wctx, p, s.Addr, s.GRPCService)
		} else {
			err = proc.WaitHTTP(wctx, p, "http://"+s.Addr+"/readyz")
		}
		cancel()
		if err != nil {
			stop()
			return nil, fmt.Errorf("start %s: %w", s.Name, err)
		}
	}
	return stop, nil
}

// FreeAddr returns a loopback address with a port that was free a moment
// ago, for processes started on private ports. It panics when the machine
// cannot open a loopback socket at all: nothing could run then. The port
// comes from below the ephemeral range (see kit/testkit/freeport).
func FreeAddr() string {
	addr, err := freeport.Addr()
	if err != nil {
		panic(err)
	}
	return addr
}
