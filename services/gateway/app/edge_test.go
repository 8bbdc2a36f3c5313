package app_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/gateway/app"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// rawConn is a client connection to addr for a test that writes HTTP by
// hand, with a reader of the answers; it is closed when the test ends.
func rawConn(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn := testkit.Conn(t, addr, 10*time.Second)
	return conn, bufio.NewReader(conn)
}

// wantClosed fails the test unless the gateway has closed the connection
// that br reads: the next read is EOF.
func wantClosed(t *testing.T, br *bufio.Reader, when string) {
	t.Helper()
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("%s: %v, want EOF (the connection closed)", when, err)
	}
}

// trickled is what a slow client saw.
type trickled struct {
	sent   int    // bytes of the trickled part it could send
	closed bool   // the gateway closed the connection before it had sent all
	answer string // what the gateway wrote back
}

// trickle is a real slow client: it sends head at once, then slow one
// byte at a time, every `every`, and stops when the gateway closes the
// connection.
func trickle(t *testing.T, addr, head, slow string, every time.Duration) trickled {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Error(err)
		return trickled{}
	}
	defer conn.Close()
	read := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(conn) // until the gateway closes
		read <- string(b)
	}()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Error(err)
		return trickled{}
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for i := range len(slow) {
		select {
		case answer := <-read:
			return trickled{sent: i, closed: true, answer: answer}
		case <-tick.C:
		}
		if _, err := conn.Write([]byte{slow[i]}); err != nil {
			return trickled{sent: i, closed: true, answer: <-read}
		}
	}
	// Everything went out: the gateway waited for all of it.
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	return trickled{sent: len(slow), answer: <-read}
}

// slowClients runs n trickles at once and returns how many were cut off.
func slowClients(t *testing.T, n int, addr, head, slow string, check func(trickled)) int {
	var mu sync.Mutex
	cut := 0
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			r := trickle(t, addr, head, slow, 50*time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			if r.closed && r.sent < len(slow) {
				cut++
				if check != nil {
					check(r)
				}
			}
		})
	}
	wg.Wait()
	return cut
}

func TestSlowClientsAreCutOff(t *testing.T) {
	e := start(t, func(c *app.Config) {
		c.ReadHeaderTimeout = 300 * time.Millisecond
		c.ReadTimeout = 600 * time.Millisecond
		c.IdleTimeout = 300 * time.Millisecond
	})
	addr := strings.TrimPrefix(e.url, "http://")
	// 200 bytes at one every 50 ms would take 10 s; each timeout is far shorter.
	slow := strings.Repeat("x", 200)
	const n = 50

	t.Run("headers sent one byte at a time", func(t *testing.T) {
		head := "GET /v1/districts HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer k\r\nX-Slow: "
		if cut := slowClients(t, n, addr, head, slow, nil); cut != n {
			t.Fatalf("%d of %d slow-header clients were cut off", cut, n)
		}
	})
	t.Run("a body sent one byte at a time gets 408", func(t *testing.T) {
		// JSON that is well formed as far as it goes, so the decoder waits for more.
		body := `{"displayName":"` + slow
		head := fmt.Sprintf("POST /v1/members HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer k\r\n"+
			"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
		cut := slowClients(t, n, addr, head, body, func(r trickled) {
			if !strings.HasPrefix(r.answer, "HTTP/1.1 408") || !strings.Contains(r.answer, "REQUEST_READ_TIMEOUT") {
				t.Errorf("a cut-off body got %.300q", r.answer)
			}
		})
		if cut != n {
			t.Fatalf("%d of %d slow-body clients were cut off", cut, n)
		}
	})
	t.Run("an idle keep-alive connection is closed", func(t *testing.T) {
		conn, br := rawConn(t, addr)
		io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode != 200 || resp.Close {
			t.Fatalf("keep-alive request: %v %v", resp, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		// Send nothing more: the gateway closes the connection.
		wantClosed(t, br, "an idle connection")
	})
}

func TestARequestWithoutAKeyIsRefusedBeforeItsBody(t *testing.T) {
	// A long read timeout: a 401 here cannot come from a timeout.
	e := start(t, func(c *app.Config) { c.ReadTimeout = time.Minute })
	addr := strings.TrimPrefix(e.url, "http://")

	t.Run("a declared body that never comes", func(t *testing.T) {
		before := len(e.seen.all())
		conn, br := rawConn(t, addr) // the gateway answers at once
		fmt.Fprintf(conn, "POST /v1/members HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("no answer without the body: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 401 || !resp.Close || !strings.Contains(string(body), `"reason":"UNAUTHENTICATED"`) {
			t.Fatalf("got %d close=%v %s", resp.StatusCode, resp.Close, body)
		}
		// The gateway closes the connection at once, without waiting for
		// (or draining) the body.
		wantClosed(t, br, "after the 401")
		if len(e.seen.all()) != before {
			t.Errorf("a request without a key reached the registry")
		}
	})
	t.Run("a kept-alive connection serves the next request after a 401", func(t *testing.T) {
		conn, br := rawConn(t, addr)
		// Alternate: a bad deadline would cut the next request only now and then.
		for i := range 40 {
			want := []int{401, 200}[i%2]
			auth := ""
			if want == 200 {
				auth = "Authorization: Bearer k\r\n"
			}
			fmt.Fprintf(conn, "GET /v1/districts HTTP/1.1\r\nHost: gw\r\n%s\r\n", auth)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != want || resp.Close {
				t.Fatalf("request %d: %d close=%v %.200s, want %d on a kept-alive connection", i, resp.StatusCode, resp.Close, body, want)
			}
		}
	})
	for _, c := range []struct {
		name, path string
		hdr        map[string]string
		want       int
	}{
		{"no Authorization header", "/v1/districts", map[string]string{"Authorization": ""}, 401},
		{"a blank bearer token", "/v1/districts", map[string]string{"Authorization": "Bearer   "}, 401},
		{"not a bearer token", "/v1/districts", map[string]string{"Authorization": "Basic YTpi"}, 401},
		{"any bearer token passes to the service", "/v1/districts", nil, 200},
		{"health needs no key", "/healthz", map[string]string{"Authorization": ""}, 200},
		{"readiness needs no key", "/readyz", map[string]string{"Authorization": ""}, 200},
		{"the OpenAPI documents need no key", "/openapi/", map[string]string{"Authorization": ""}, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			if r := do(t, "GET", e.url+c.path, "", c.hdr); r.Code != c.want {
				t.Fatalf("got %d %s", r.Code, r.Raw)
			}
		})
	}
}

func TestABodyDeclaredTooLargeIsNotRead(t *testing.T) {
	// Under net/http's 256 KiB drain, over the gateway's cap.
	e := start(t, func(c *app.Config) { c.MaxBodyBytes = 4096; c.ReadTimeout = time.Minute })
	conn, br := rawConn(t, strings.TrimPrefix(e.url, "http://"))
	fmt.Fprintf(conn, "POST /v1/members HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer k\r\nContent-Length: 100000\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 413 {
		t.Fatalf("got %v %v", resp, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	wantClosed(t, br, "after the 413")
}

// outageSales stands in for sales-reporting with its own dependency down:
// ListTopPerformers fails as the real one does when session-scheduling
// does not answer.
type outageSales struct {
	salesv1.UnimplementedSalesReportingServer
	dead *grpc.ClientConn
}

func (o *outageSales) ListTopPerformers(ctx context.Context, _ *salesv1.ListTopPerformersRequest) (*salesv1.ListTopPerformersResponse, error) {
	_, err := healthpb.NewHealthClient(o.dead).Check(ctx, &healthpb.HealthCheckRequest{})
	return nil, grpcx.Status(ctx, "sales.alliance", grpcx.Upstream(ctx, "session-scheduling", err))
}

func TestAnOutageNamesTheServiceNotItsAddress(t *testing.T) {
	dead, _ := testkit.Unreachable(t)
	e := startWith(t, setup{sales: func(s *grpc.Server) {
		salesv1.RegisterSalesReportingServer(s, &outageSales{dead: dead})
	}})
	noAddress := func(t *testing.T, raw string) {
		t.Helper()
		for _, internal := range []string{"127.0.0.1", "dial tcp", "connection refused"} {
			if strings.Contains(raw, internal) {
				t.Errorf("the answer shows %q: %s", internal, raw)
			}
		}
	}

	t.Run("a service whose dependency is down says which, and is 503", func(t *testing.T) {
		r := do(t, "GET", e.url+"/v1/reports:top?dimension=DIMENSION_HOST&metric=METRIC_NET&startDate=2026-01-01&endDate=2026-02-01", "", nil)
		if r.Code != 503 || r.Reason() != "DEPENDENCY_UNAVAILABLE" || !strings.Contains(r.Raw, "session-scheduling is unavailable") {
			t.Fatalf("got %d %s", r.Code, r.Raw)
		}
		noAddress(t, r.Raw)
	})
	t.Run("a service that is down itself is named, and is 503", func(t *testing.T) {
		e.stopSales()
		r := do(t, "GET", e.url+"/v1/reports:top?dimension=DIMENSION_HOST&metric=METRIC_NET&startDate=2026-01-01&endDate=2026-02-01", "", nil)
		if r.Code != 503 || r.Reason() != "SERVICE_UNAVAILABLE" || !strings.Contains(r.Raw, "sales-reporting is unavailable") {
			t.Fatalf("got %d %s", r.Code, r.Raw)
		}
		noAddress(t, r.Raw)
	})
	t.Run("readiness names the service that is down, not its address", func(t *testing.T) {
		r := do(t, "GET", e.url+"/readyz", "", nil)
		if r.Code != 503 || fmt.Sprint(r.Body["down"]) != "[sales-reporting]" {
			t.Fatalf("got %d %s", r.Code, r.Raw)
		}
		noAddress(t, r.Raw)
	})
}
