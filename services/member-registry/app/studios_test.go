package app_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/member-registry/app"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) string { return testkit.FreeAddr(t) }

// silentAddr accepts connections and never answers: a session-scheduling
// that hangs.
func silentAddr(t *testing.T) string {
	addr, _ := silentServer(t)
	return addr
}

// silentServer is silentAddr, and a channel that is closed at the first
// connection.
func silentServer(t *testing.T) (string, <-chan struct{}) {
	l := testkit.Listen(t)
	accepted := make(chan struct{})
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if held = append(held, c); len(held) == 1 {
				close(accepted)
			}
		}
	}()
	return l.Addr().String(), accepted
}

func studios(ids ...string) []*memberv1.Studio {
	var out []*memberv1.Studio
	for _, id := range ids {
		out = append(out, &memberv1.Studio{StudioId: id, DisplayName: "直播间 " + id})
	}
	return out
}

// TestRemovingAStudioNeedsSessionScheduling: with session-scheduling down,
// slow or not configured, an update that removes a studio is UNAVAILABLE
// naming session-scheduling and changes nothing, while every other update
// goes through (it never asks). The registry itself starts and serves.
func TestRemovingAStudioNeedsSessionScheduling(t *testing.T) {
	for name, addr := range map[string]string{
		"down":           deadAddr(t),
		"hanging":        silentAddr(t),
		"not configured": "",
	} {
		t.Run(name, func(t *testing.T) {
			srv, err := app.New(app.Config{Config: service.Config{DataDir: t.TempDir()}, SessionSchedulingAddr: addr, SessionSchedulingTimeout: 500 * time.Millisecond}, testkit.Quiet)
			if err != nil {
				t.Fatal(err)
			}
			c := memberv1.NewMemberRegistryClient(testkit.Dial(t, testkit.Serve(t, srv)))
			b := create(t, c, "base", base("基地", "s1", "s2"))

			_, err = c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{
				Member: &memberv1.Member{Name: b.Name, Studios: studios("s2")}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"studios"}}})
			wantErr(t, err, codes.Unavailable, "DEPENDENCY_UNAVAILABLE")
			if msg := err.Error(); !strings.Contains(msg, "session-scheduling") || strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "dial") {
				t.Fatalf("the error must name session-scheduling and no address: %v", err)
			}
			if got := grpcx.ErrorInfo(err).GetMetadata()["service"]; got != "session-scheduling" {
				t.Fatalf("ErrorInfo service = %q", got)
			}
			if now := must[*memberv1.Member](t)(c.GetMember(ctx, &memberv1.GetMemberRequest{Name: b.Name})); now.Etag != b.Etag || len(now.Studios) != 2 {
				t.Fatalf("the refused removal changed the base: %v", now)
			}
			_, err = c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{Member: &memberv1.Member{Name: b.Name, DisplayName: "基地", District: "jiulongpo"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}})
			wantErr(t, err, codes.Unavailable, "DEPENDENCY_UNAVAILABLE") // "*" with no studios removes both

			for what, update := range map[string]*memberv1.UpdateMemberRequest{
				"a rename": {Member: &memberv1.Member{Name: b.Name, DisplayName: "新基地"}},
				"a new studio": {Member: &memberv1.Member{Name: b.Name, Studios: studios("s1", "s2", "s3")},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"studios"}}},
				"a studio renamed and the list reordered": {Member: &memberv1.Member{Name: b.Name,
					Studios: []*memberv1.Studio{{StudioId: "s3", DisplayName: "三号厅"}, {StudioId: "s2", DisplayName: "二号厅"}, {StudioId: "s1", DisplayName: "一号厅"}}},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"studios"}}},
			} {
				if _, err := c.UpdateMember(ctx, update); err != nil {
					t.Errorf("%s with session-scheduling %s: %v", what, name, err)
				}
			}
		})
	}
}

// TestAHangingSessionSchedulingHoldsNoWrites: the question about a
// studio's sessions is asked outside the registry's write transaction, so
// other writes go on while it waits.
func TestAHangingSessionSchedulingHoldsNoWrites(t *testing.T) {
	addr, asked := silentServer(t)
	srv, err := app.New(app.Config{Config: service.Config{DataDir: t.TempDir()}, SessionSchedulingAddr: addr, SessionSchedulingTimeout: 2 * time.Second}, testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	c := memberv1.NewMemberRegistryClient(testkit.Dial(t, testkit.Serve(t, srv)))
	b := create(t, c, "base", base("基地", "s1", "s2"))
	removal := make(chan error, 1)
	go func() {
		_, err := c.UpdateMember(ctx, &memberv1.UpdateMemberRequest{
			Member: &memberv1.Member{Name: b.Name, Studios: studios("s2")}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"studios"}}})
		removal <- err
	}()
	select {
	case <-asked: // the removal waits for session-scheduling now
	case err := <-removal:
		t.Fatalf("the removal answered without asking: %v", err)
	}
	for range 5 {
		create(t, c, "", host("主播"))
	}
	select {
	case err := <-removal:
		t.Fatalf("the removal answered before the writes were done (%v): the test proves nothing", err)
	default:
	}
	wantErr(t, <-removal, codes.Unavailable, "DEPENDENCY_UNAVAILABLE")
}

// TestAHangingSessionSchedulingIsNamedWithinTheCallersDeadline: a caller
// with a deadline shorter than -session-scheduling-timeout still gets the
// registry's UNAVAILABLE naming session-scheduling, before its own
// deadline, not a bare DEADLINE_EXCEEDED (grpcx.UpstreamContext keeps a
// reserve of the caller's time).
func TestAHangingSessionSchedulingIsNamedWithinTheCallersDeadline(t *testing.T) {
	srv, err := app.New(app.Config{Config: service.Config{DataDir: t.TempDir()}, SessionSchedulingAddr: silentAddr(t), SessionSchedulingTimeout: 10 * time.Second}, testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	c := memberv1.NewMemberRegistryClient(testkit.Dial(t, testkit.Serve(t, srv)))
	b := create(t, c, "base", base("基地", "s1", "s2"))
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	began := time.Now()
	_, err = c.UpdateMember(cctx, &memberv1.UpdateMemberRequest{
		Member: &memberv1.Member{Name: b.Name, Studios: studios("s2")}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"studios"}}})
	wantErr(t, err, codes.Unavailable, "DEPENDENCY_UNAVAILABLE")
	if took := time.Since(began); took >= time.Second {
		t.Fatalf("the answer took %v, past the caller's deadline", took)
	}
	if msg := status.Convert(err).Message(); msg != "session-scheduling is unavailable (it did not answer in time); nothing was changed, try again later" {
		t.Fatalf("message %q", msg)
	}
}
