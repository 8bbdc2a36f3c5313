package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/testkit/memberfake"
	"github.com/cqlive/alliance/services/session-scheduling/app"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// slowRegistry sits in front of a registry's handlers and delays its
// member and product lookups: the next `slow` of them, or every one when
// slow is negative, waits `delay` or until the caller gives up.
type slowRegistry struct {
	mu      sync.Mutex
	slow    int
	delay   time.Duration
	lookups int // lookups that reached the registry
}

func (r *slowRegistry) set(slow int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.slow, r.lookups = slow, 0
}

func (r *slowRegistry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lookups
}

func (r *slowRegistry) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if info.FullMethod == memberv1.MemberRegistry_BatchGetMembers_FullMethodName || info.FullMethod == memberv1.MemberRegistry_GetProduct_FullMethodName {
		r.mu.Lock()
		r.lookups++
		wait := r.slow != 0
		if r.slow > 0 {
			r.slow--
		}
		r.mu.Unlock()
		if wait {
			select {
			case <-time.After(r.delay):
			case <-ctx.Done():
				return nil, status.FromContextError(ctx.Err()).Err()
			}
		}
	}
	return handler(ctx, req)
}

// slowWorld is a world whose registry can be made slow, and whose
// scheduler gives each registry call 200ms.
func slowWorld(t *testing.T) (*world, *slowRegistry) {
	t.Helper()
	slow := &slowRegistry{delay: 2 * time.Second}
	w := newWorldWith(t, slow.intercept)
	w.stop()
	w.startScheduler(app.Config{RegistryTimeout: 200 * time.Millisecond})
	return w, slow
}

func history() []*sessionv1.ImportSessionsRequest {
	return []*sessionv1.ImportSessionsRequest{
		ended("h1", "host-a", x1, -3*day, -3*day+60),
		ended("h2", "host-b", x2, -3*day, -3*day+60),
		ended("h3", "host-a", y1, -2*day, -2*day+60),
	}
}

// wantOutage checks that an error names member-registry as unavailable
// and carries no internal address.
func wantOutage(t *testing.T, code, reason, msg, addr string) {
	t.Helper()
	if code != "UNAVAILABLE" || reason != "DEPENDENCY_UNAVAILABLE" || !contains(msg, "member-registry is unavailable") {
		t.Fatalf("got %s %s %q; want UNAVAILABLE DEPENDENCY_UNAVAILABLE naming member-registry", code, reason, msg)
	}
	for _, leak := range []string{addr, "127.0.0.1", "dial tcp", "connection refused"} {
		if contains(msg, leak) {
			t.Fatalf("message %q carries %q", msg, leak)
		}
	}
}

// TestImportRetriesASlowRegistry: lookups that miss their deadline are
// asked again within the stream's deadline, and the import passes.
func TestImportRetriesASlowRegistry(t *testing.T) {
	t.Parallel() // mostly waiting on the registry
	w, slow := slowWorld(t)
	slow.set(2) // the first two lookups miss the scheduler's 200ms
	resp, err := importStream(context.Background(), w.api, history()...)
	if err != nil {
		t.Fatalf("the stream failed: %v", err)
	}
	if resp.GetAccepted() != 3 || resp.GetRejected() != 0 {
		t.Fatalf("accepted %d, rejected %d (%v); want 3, 0", resp.GetAccepted(), resp.GetRejected(), resp.GetErrors())
	}
	if n := slow.count(); n < 3 {
		t.Fatalf("%d lookups reached the registry; want the two slow ones and one more", n)
	}
}

// TestImportWithARegistryThatNeverAnswers: the lines that need the
// registry are rejected with UNAVAILABLE; the stream itself answers, with
// exact counts, and the other lines are judged as usual.
func TestImportWithARegistryThatNeverAnswers(t *testing.T) {
	t.Parallel() // mostly waiting on the registry
	w, slow := slowWorld(t)
	slow.set(-1)
	lines := append(history(), ended("", "host-a", x1, -day, -day+60)) // no session_id: refused before any lookup
	resp, err := importStream(context.Background(), w.api, lines...)
	if err != nil {
		t.Fatalf("the stream failed: %v", err)
	}
	if resp.GetAccepted() != 0 || resp.GetRejected() != 4 || len(resp.GetErrors()) != 4 {
		t.Fatalf("accepted %d, rejected %d, %d errors; want 0, 4, 4", resp.GetAccepted(), resp.GetRejected(), len(resp.GetErrors()))
	}
	for _, e := range resp.GetErrors() {
		if e.GetIndex() == 3 {
			if e.GetCode() != "INVALID_ARGUMENT" {
				t.Fatalf("line 3: %v, want INVALID_ARGUMENT", e)
			}
			continue
		}
		wantOutage(t, e.GetCode(), e.GetReason(), e.GetMessage(), w.regAddr)
	}
	if n := slow.count(); n < 2 {
		t.Fatalf("%d lookups reached the registry; want the lookup asked again", n)
	}
	slow.set(0)
	if again := w.mustImport(history()...); again.GetAccepted() != 3 {
		t.Fatalf("with the registry answering again: %v", again)
	}
}

// TestCreateSessionFailsFastOnASlowRegistry: a booking asks once, and its
// caller learns at once that member-registry did not answer.
func TestCreateSessionFailsFastOnASlowRegistry(t *testing.T) {
	t.Parallel() // mostly waiting on the registry
	w, slow := slowWorld(t)
	slow.set(-1)
	_, err := w.create(draft("host-a", x1, 60, 120))
	wantErr(t, err, codes.Unavailable, "DEPENDENCY_UNAVAILABLE")
	wantOutage(t, "UNAVAILABLE", "DEPENDENCY_UNAVAILABLE", status.Convert(err).Message(), w.regAddr)
	if n := slow.count(); n != 1 {
		t.Fatalf("%d lookups; a booking asks once", n)
	}
}

// TestRegistryDownNamesTheServiceOnly: with the registry's port closed,
// neither a booking nor an import line tells the caller its address or
// the transport's words.
func TestRegistryDownNamesTheServiceOnly(t *testing.T) {
	t.Parallel() // mostly waiting on the registry
	w := newWorld(t)
	addr, stop := startRegistry(t, memberfake.New(), "127.0.0.1:0")
	stop()
	w.stop()
	// The harness's 2s per call: long enough for gRPC to exhaust its own
	// retries of the refused connection, whose error quotes the address.
	w.startScheduler(appConfig(addr))
	_, err := w.create(draft("host-a", x1, 60, 120))
	wantErr(t, err, codes.Unavailable, "DEPENDENCY_UNAVAILABLE")
	wantOutage(t, "UNAVAILABLE", "DEPENDENCY_UNAVAILABLE", status.Convert(err).Message(), addr)

	resp, err := importStream(context.Background(), w.api, history()...)
	if err != nil {
		t.Fatalf("the stream failed: %v", err)
	}
	if resp.GetRejected() != 3 || len(resp.GetErrors()) != 3 {
		t.Fatalf("rejected %d, %d errors; want 3, 3", resp.GetRejected(), len(resp.GetErrors()))
	}
	for _, e := range resp.GetErrors() {
		wantOutage(t, e.GetCode(), e.GetReason(), e.GetMessage(), addr)
	}
}

// TestImportOutageFailsOnlyTheLinesThatNeededIt: the registry misses every
// attempt (four) of the first batch's lookup, then answers: the first
// batch's 1,000 lines are rejected with UNAVAILABLE, the next batch asks
// again and its lines are stored, in the same stream.
func TestImportOutageFailsOnlyTheLinesThatNeededIt(t *testing.T) {
	t.Parallel()
	w, slow := slowWorld(t)
	var lines []*sessionv1.ImportSessionsRequest
	for i := range 1200 {
		host, studio := "host-a", x1
		if i%2 == 1 {
			host, studio = "host-b", x2
		}
		from := -60*day + (i/2)*120
		lines = append(lines, ended(fmt.Sprintf("h%04d", i), host, studio, from, from+100))
	}
	slow.set(4)
	resp, err := importStream(context.Background(), w.api, lines...)
	if err != nil {
		t.Fatalf("the stream failed: %v", err)
	}
	if resp.GetRejected() != 1000 || resp.GetAccepted() != 200 {
		t.Fatalf("rejected %d, accepted %d; want the first batch's 1000 rejected, 200 accepted", resp.GetRejected(), resp.GetAccepted())
	}
	for _, e := range resp.GetErrors() {
		if e.GetIndex() >= 1000 {
			t.Fatalf("line %d of the second batch rejected: %v", e.GetIndex(), e)
		}
		wantOutage(t, e.GetCode(), e.GetReason(), e.GetMessage(), w.regAddr)
	}
	if again := w.mustImport(lines...); again.GetAccepted() != 1000 || again.GetDuplicates() != 200 {
		t.Fatalf("sent again: accepted %d, duplicates %d; want 1000, 200", again.GetAccepted(), again.GetDuplicates())
	}
}
