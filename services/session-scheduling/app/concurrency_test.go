package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/kit/testkit/memberfake"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const racers = 50

// race runs the creates at once through the real gRPC server and returns
// how many succeeded and the reasons of the others.
func race(t *testing.T, w *world, sessions []*sessionv1.Session) (int, map[string]int) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, reasons := 0, map[string]int{}
	ready := make(chan struct{})
	for _, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-ready
			_, err := w.create(s)
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
				return
			}
			reasons[fmt.Sprintf("%s %s", status.Code(err), grpcx.Reason(err))]++
		}()
	}
	close(ready)
	wg.Wait()
	return wins, reasons
}

// booksOnce races the creates and checks that exactly one was booked and
// stored, and that every other was refused FAILED_PRECONDITION with reason.
func booksOnce(t *testing.T, w *world, sessions []*sessionv1.Session, reason string) {
	t.Helper()
	wins, reasons := race(t, w, sessions)
	if wins != 1 || reasons["FailedPrecondition "+reason] != len(sessions)-1 {
		t.Fatalf("%d succeeded, refusals %v; want exactly 1 and %d %s", wins, reasons, len(sessions)-1, reason)
	}
	resp, err := w.api.CountSessions(context.Background(), &sessionv1.CountSessionsRequest{})
	if err != nil || resp.GetCount() != 1 {
		t.Fatalf("stored %d sessions (%v), want 1", resp.GetCount(), err)
	}
}

func TestConcurrentBookingsOfOneStudioSlot(t *testing.T) {
	w := newWorld(t)
	var sessions []*sessionv1.Session
	for i := range racers {
		host := fmt.Sprintf("racer-%d", i)
		w.member(host, memberv1.MemberKind_MEMBER_KIND_HOST)
		// Every attempt wants studio x1 at 10:00-11:00, give or take a few
		// minutes, each with its own host: only the studio can say no.
		sessions = append(sessions, draft(host, x1, 120+i%5, 180+i%5))
	}
	booksOnce(t, w, sessions, "STUDIO_DOUBLE_BOOKED")
}

func TestConcurrentBookingsOfOneHostInManyStudios(t *testing.T) {
	w := newWorld(t)
	studios := make([]*memberv1.Studio, racers)
	for i := range studios {
		studios[i] = &memberv1.Studio{StudioId: fmt.Sprintf("r%d", i), DisplayName: "racing studio"}
	}
	if _, err := w.reg.CreateMember(context.Background(), &memberv1.CreateMemberRequest{MemberId: "big-base",
		Member: &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_BASE, DisplayName: "九龙坡基地", District: "jiulongpo", Studios: studios}}); err != nil {
		t.Fatal(err)
	}
	var sessions []*sessionv1.Session
	for i := range racers {
		sessions = append(sessions, draft("host-a", fmt.Sprintf("members/big-base/studios/r%d", i), 120, 180+i))
	}
	booksOnce(t, w, sessions, "HOST_DOUBLE_BOOKED")
}

func TestRegistryDown(t *testing.T) {
	w := newWorld(t)
	// A second registry with its own data, which the scheduler will use.
	other := memberfake.New()
	addr, stop := startRegistry(t, other, "127.0.0.1:0")
	seed := &world{t: t, reg: memberv1.NewMemberRegistryClient(testkit.Dial(t, addr))}
	seed.member("host-a", memberv1.MemberKind_MEMBER_KIND_HOST)
	seed.member("base-x", memberv1.MemberKind_MEMBER_KIND_BASE, "s1")
	stop()

	w.stop()
	w.startScheduler(appConfig(addr))
	req := &sessionv1.CreateSessionRequest{Session: draft("host-a", x1, 60, 120), RequestId: "after-outage"}

	const deadline = 3 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	began := time.Now()
	_, err := w.api.CreateSession(ctx, req)
	took := time.Since(began)
	cancel()
	wantErr(t, err, codes.Unavailable, "DEPENDENCY_UNAVAILABLE")
	t.Logf("UNAVAILABLE after %s", took)
	if msg := status.Convert(err).Message(); !contains(msg, "member-registry is unavailable") {
		t.Fatalf("message %q does not say the registry is down", msg)
	}
	if took >= deadline {
		t.Fatalf("took %s, not within the %s deadline", took, deadline)
	}
	n, err := w.api.CountSessions(context.Background(), &sessionv1.CountSessionsRequest{})
	if err != nil || n.GetCount() != 0 {
		t.Fatalf("stored %d sessions (%v) while the registry was down, want 0", n.GetCount(), err)
	}

	// The registry comes back on the same address: the same call succeeds.
	startRegistry(t, other, addr)
	var got *sessionv1.Session
	for try := 0; ; try++ {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		got, err = w.api.CreateSession(ctx, req)
		cancel()
		if err == nil || status.Code(err) != codes.Unavailable || try == 20 {
			break
		}
		time.Sleep(250 * time.Millisecond) // the client reconnects with backoff
	}
	if err != nil || got.GetState() != sessionv1.SessionState_SESSION_STATE_SCHEDULED {
		t.Fatalf("with the registry back: %v, %v", got, err)
	}
}
