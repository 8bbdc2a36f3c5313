package grpcx_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/grpcx"
	"golang.org/x/net/http2"
	"google.golang.org/protobuf/types/known/emptypb"
)

// offeredWindow accepts the one connection of a Dial client on lis, plays
// the server's part up to the client's first request, and returns how
// many bytes of its answer the server may send before the client must
// acknowledge some: the smaller of the stream's and the connection's
// windows, as the client set them.
func offeredWindow(t *testing.T, lis net.Listener) int64 {
	t.Helper()
	conn, err := lis.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(conn, preface); err != nil || string(preface) != http2.ClientPreface {
		t.Fatalf("preface %q: %v", preface, err)
	}
	fr := http2.NewFramer(conn, conn)
	if err := fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	stream, connWin := int64(65535), int64(65535) // HTTP/2's initial windows
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				if v, ok := f.Value(http2.SettingInitialWindowSize); ok {
					stream = int64(v)
				}
				_ = fr.WriteSettingsAck()
			}
		case *http2.WindowUpdateFrame:
			if f.StreamID == 0 {
				connWin += int64(f.Increment)
			}
		case *http2.HeadersFrame:
			return min(stream, connWin)
		}
	}
}

// A Dial client offers a window of the largest answer a server of the
// suite sends, so that no answer waits on WINDOW_UPDATE round trips
// (with gRPC's 64 KiB a 1 MB report page crossed several).
func TestADialClientTakesAWholeAnswerWithoutAcknowledging(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	cc, err := grpcx.Dial(lis.Addr().String(), grpcx.DialOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = cc.Invoke(ctx, "/kit.test.Probe/Call", &emptypb.Empty{}, &emptypb.Empty{}) }()
	const largest = grpcx.DefaultMaxMsgSize + 5 // the message and gRPC's length prefix
	if got := offeredWindow(t, lis); got < largest {
		t.Fatalf("the client lets a server send %d bytes before it acknowledges; the largest answer is %d", got, largest)
	}
}
