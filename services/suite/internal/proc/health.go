package proc

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// WaitGRPC polls grpc.health.v1 at addr for service until it is SERVING,
// the process dies, or ctx ends. It dials in plaintext unless opts carry
// transport credentials.
func WaitGRPC(ctx context.Context, p *Proc, addr, service string, opts ...grpc.DialOption) error {
	// Wait for the port first: a gRPC client that finds nothing there backs
	// off for a second before it tries again.
	if err := poll(ctx, p, func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
		}
		return err
	}); err != nil {
		return err
	}
	cc, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		return err
	}
	defer cc.Close()
	hc := healthpb.NewHealthClient(cc)
	return poll(ctx, p, func(ctx context.Context) error {
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: service})
		if err != nil {
			return err
		}
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("%s is %s", service, resp.GetStatus())
		}
		return nil
	})
}

// WaitHTTP polls url until it answers 200, the process dies, or ctx ends.
func WaitHTTP(ctx context.Context, p *Proc, url string) error {
	return WaitHTTPWith(ctx, p, http.DefaultClient, url)
}

// WaitHTTPWith is WaitHTTP with the given client (one that trusts the
// gateway's certificate, for HTTPS).
func WaitHTTPWith(ctx context.Context, p *Proc, client *http.Client, url string) error {
	return poll(ctx, p, func(ctx context.Context) error {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", url, resp.Status)
		}
		return nil
	})
}

func poll(ctx context.Context, p *Proc, check func(context.Context) error) error {
	var last error
	for {
		cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		last = check(cctx)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-p.Done():
			return fmt.Errorf("%s %s before it was healthy", p.Name, p.Describe())
		case <-ctx.Done():
			return fmt.Errorf("%s not healthy in time: %v", p.Name, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
