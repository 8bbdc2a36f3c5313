package grpcx_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// serveLimited runs a bare server with the given limits and returns its address.
func serveLimited(t *testing.T, l grpcx.Limits) string {
	t.Helper()
	return testkit.Serve(t, grpcx.NewServer(grpcx.ServerOptions{Name: "kit.test.Probe", Logger: testkit.Quiet, Limits: l}))
}

// watch opens one Watch stream and reads its first answer: nil when the
// server serves it (the stream stays open until ctx ends).
func watch(ctx context.Context, cc *grpc.ClientConn) error {
	st, err := healthpb.NewHealthClient(cc).Watch(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return err
	}
	_, err = st.Recv()
	return err
}

func TestHealthWatchersAreCappedPerServer(t *testing.T) {
	const watchers, attempts = 10, 2000
	addr := serveLimited(t, grpcx.Limits{MaxHealthWatchers: watchers})
	cc := testkit.Dial(t, addr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Let the first connection settle before counting goroutines.
	if _, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()

	served, refused := 0, 0
	var held []context.CancelFunc
	for range attempts {
		wctx, wcancel := context.WithCancel(ctx)
		err := watch(wctx, cc)
		switch {
		case err == nil:
			served++
			held = append(held, wcancel)
			continue
		case status.Code(err) == codes.ResourceExhausted && grpcx.Reason(err) == "TOO_MANY_HEALTH_WATCHERS":
			refused++
		default:
			t.Fatalf("watch: %v", err)
		}
		wcancel()
	}
	if served != watchers || refused != attempts-watchers {
		t.Fatalf("of %d watches on one connection %d were served and %d refused; want %d and %d",
			attempts, served, refused, watchers, attempts-watchers)
	}

	t.Run("the cap holds for the server, not per connection", func(t *testing.T) {
		if err := watch(ctx, testkit.Dial(t, addr)); status.Code(err) != codes.ResourceExhausted {
			t.Fatalf("a watch on a second connection: %v, want RESOURCE_EXHAUSTED", err)
		}
	})
	t.Run("memory stays bounded: refused watches leave nothing behind", func(t *testing.T) {
		// Uncapped, every watch kept a server goroutine (and its client's):
		// thousands. The bound is loose on purpose; it counts, it does not time.
		grown := 0
		for range 100 {
			if grown = runtime.NumGoroutine() - before; grown < 200 {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("%d more goroutines after %d watches with a cap of %d", grown, attempts, watchers)
	})
	t.Run("a watcher that leaves frees its slot", func(t *testing.T) {
		held[0]()
		var err error
		for range 100 {
			if err = watch(ctx, cc); err == nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("no slot came free: %v", err)
	})
	t.Run("a service name longer than any service's is refused", func(t *testing.T) {
		st, err := healthpb.NewHealthClient(cc).Watch(ctx, &healthpb.HealthCheckRequest{Service: strings.Repeat("x", 300)})
		if err == nil {
			_, err = st.Recv()
		}
		if status.Code(err) != codes.InvalidArgument || len(grpcx.FieldViolations(err)) != 1 {
			t.Fatalf("watch of a 300-byte name: %v", err)
		}
	})
}

func TestMessagesLargerThanTheLimitAreRefused(t *testing.T) {
	cc := testkit.Dial(t, serveLimited(t, grpcx.Limits{MaxRecvMsgSize: 1024}))
	_, err := healthpb.NewHealthClient(cc).Check(context.Background(), &healthpb.HealthCheckRequest{Service: strings.Repeat("x", 2048)})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a 2 KiB request to a 1 KiB limit: %v, want RESOURCE_EXHAUSTED", err)
	}
}

// h2 is a raw HTTP/2 client that obeys none of the server's settings: what
// an attacker writes, not what grpc-go does.
type h2 struct {
	t    *testing.T
	conn net.Conn
	fr   *http2.Framer
	enc  *hpack.Encoder
	hbuf bytes.Buffer
}

func dialH2(t *testing.T, addr string) *h2 {
	t.Helper()
	conn := testkit.Conn(t, addr, 30*time.Second)
	c := &h2{t: t, conn: conn, fr: http2.NewFramer(conn, conn)}
	c.enc = hpack.NewEncoder(&c.hbuf)
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := c.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	return c
}

// watch starts a Watch of the overall health on stream id.
func (c *h2) watch(id uint32) {
	c.hbuf.Reset()
	for _, f := range [][2]string{{":method", "POST"}, {":scheme", "http"}, {":path", "/grpc.health.v1.Health/Watch"},
		{":authority", "probe"}, {"content-type", "application/grpc"}, {"te", "trailers"}} {
		_ = c.enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: c.hbuf.Bytes(), EndHeaders: true}); err != nil {
		c.t.Fatal(err)
	}
	// One empty HealthCheckRequest: no compression, length 0.
	if err := c.fr.WriteData(id, true, []byte{0, 0, 0, 0, 0}); err != nil {
		c.t.Fatal(err)
	}
}

// serverSettings reads frames up to the server's SETTINGS and returns them.
func (c *h2) serverSettings() map[http2.SettingID]uint32 {
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.t.Fatal(err)
		}
		if sf, ok := f.(*http2.SettingsFrame); ok && !sf.IsAck() {
			got := map[http2.SettingID]uint32{}
			_ = sf.ForeachSetting(func(s http2.Setting) error { got[s.ID] = s.Val; return nil })
			_ = c.fr.WriteSettingsAck()
			return got
		}
	}
}

func TestDefaultLimitsAreAdvertised(t *testing.T) {
	c := dialH2(t, serveLimited(t, grpcx.Limits{}))
	got := c.serverSettings()
	if got[http2.SettingMaxConcurrentStreams] != grpcx.DefaultMaxConcurrentStreams {
		t.Fatalf("SETTINGS_MAX_CONCURRENT_STREAMS = %d (present: %v), want %d",
			got[http2.SettingMaxConcurrentStreams], len(got), grpcx.DefaultMaxConcurrentStreams)
	}
	if got[http2.SettingMaxHeaderListSize] != grpcx.DefaultMaxHeaderListSize {
		t.Fatalf("SETTINGS_MAX_HEADER_LIST_SIZE = %d, want %d", got[http2.SettingMaxHeaderListSize], grpcx.DefaultMaxHeaderListSize)
	}
}

func TestStreamsBeyondTheConnectionLimitAreRefused(t *testing.T) {
	const limit, opened = 8, 50
	c := dialH2(t, serveLimited(t, grpcx.Limits{MaxConcurrentStreams: limit}))
	c.serverSettings()
	for i := range opened {
		c.watch(uint32(2*i + 1))
	}
	served, refused := map[uint32]bool{}, map[uint32]bool{}
	for len(served)+len(refused) < opened {
		f, err := c.fr.ReadFrame()
		if err != nil {
			t.Fatalf("after %d served and %d refused: %v", len(served), len(refused), err)
		}
		switch f := f.(type) {
		case *http2.DataFrame: // a HealthCheckResponse: the watch is served
			served[f.StreamID] = true
		case *http2.RSTStreamFrame:
			if f.ErrCode != http2.ErrCodeRefusedStream {
				t.Fatalf("stream %d reset with %v", f.StreamID, f.ErrCode)
			}
			refused[f.StreamID] = true
		case *http2.HeadersFrame:
			if f.StreamEnded() {
				t.Fatalf("stream %d ended by the server; want it served or refused", f.StreamID)
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				_ = c.fr.WritePing(true, f.Data)
			}
		case *http2.GoAwayFrame:
			t.Fatalf("GOAWAY %v after %d served", f.ErrCode, len(served))
		}
	}
	if len(served) != limit || len(refused) != opened-limit {
		t.Fatalf("of %d streams on one connection %d were served and %d refused; want %d and %d",
			opened, len(served), len(refused), limit, opened-limit)
	}
}

func TestKeepalivePingFloodIsDisconnected(t *testing.T) {
	c := dialH2(t, serveLimited(t, grpcx.Limits{}))
	c.serverSettings()
	for i := range 5 {
		if err := c.fr.WritePing(false, [8]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			t.Fatalf("the connection ended without GOAWAY: %v", err)
		}
		if ga, ok := f.(*http2.GoAwayFrame); ok {
			if ga.ErrCode != http2.ErrCodeEnhanceYourCalm || !strings.Contains(string(ga.DebugData()), "too_many_pings") {
				t.Fatalf("GOAWAY %v %q, want ENHANCE_YOUR_CALM too_many_pings", ga.ErrCode, ga.DebugData())
			}
			return
		}
	}
}

func TestIdleConnectionIsClosed(t *testing.T) {
	c := dialH2(t, serveLimited(t, grpcx.Limits{MaxConnectionIdle: 100 * time.Millisecond}))
	c.serverSettings()
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			t.Fatalf("the connection ended without GOAWAY: %v", err)
		}
		if ga, ok := f.(*http2.GoAwayFrame); ok {
			if ga.ErrCode != http2.ErrCodeNo {
				t.Fatalf("GOAWAY %v, want NO_ERROR", ga.ErrCode)
			}
			return
		}
	}
}
