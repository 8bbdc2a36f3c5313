package scheduling_test

import (
	"context"
	"github.com/cqlive/alliance/services/kit/members"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/etag"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"github.com/cqlive/alliance/services/session-scheduling/internal/store"
)

// The lifecycle and booking rules, checked on the domain with a real store
// and a registry that answers from memory; the gRPC harness in app checks
// their wiring with a real registry.

// registry is member-registry as the scheduler sees it, in memory.
type registry struct {
	mu      sync.Mutex
	members map[string]scheduling.Member
}

func newRegistry() *registry {
	r := &registry{members: map[string]scheduling.Member{}}
	for _, m := range []scheduling.Member{
		{Name: "members/host", Kind: members.Host, Agency: "members/agency"},
		{Name: "members/other-host", Kind: members.Host},
		{Name: "members/third-host", Kind: members.Host, Agency: "members/agency"},
		{Name: "members/agency", Kind: members.Agency},
		{Name: "members/base", Kind: members.Base, Studios: []string{"s1", "s2", "s3"}},
		{Name: "members/other-base", Kind: members.Base, Studios: []string{"s1"}},
		{Name: "members/farm", Kind: members.Merchant},
	} {
		m.State = members.Active
		r.members[m.Name] = m
	}
	return r
}

func (r *registry) set(name string, state members.State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.members[name]
	m.State = state
	r.members[name] = m
}

func (r *registry) BatchGet(_ context.Context, names []string) ([]scheduling.Member, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]scheduling.Member, 0, len(names))
	for _, n := range names {
		m, ok := r.members[n]
		if !ok {
			return nil, &scheduling.MissingMember{Name: n}
		}
		out = append(out, m)
	}
	return out, nil
}

func (r *registry) Product(_ context.Context, name string) (*scheduling.Product, error) {
	merchant, _, _ := strings.Cut(strings.TrimPrefix(name, "members/"), "/")
	return &scheduling.Product{Name: name, Merchant: "members/" + merchant, Active: true}, nil
}

// day is the day of the sessions, a Tuesday (18:00 in Shanghai); the
// clock starts the day before.
var day = time.Date(2031, 5, 6, 10, 0, 0, 0, time.UTC)

// shanghai is the alliance's zone in these tests, as in production.
var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

// rules are the default rules in the alliance's zone.
var rules = func() scheduling.Rules {
	r := scheduling.DefaultRules
	r.Zone = shanghai
	return r
}()

type fixture struct {
	svc   *scheduling.Service
	reg   *registry
	st    *store.Store
	clock *testkit.Clock
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, rules)
}

// newFixtureWith is newFixture with other rules (another zone).
func newFixtureWith(t *testing.T, rules scheduling.Rules) *fixture {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "session.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{reg: newRegistry(), st: st, clock: testkit.NewClock(day.Add(-24 * time.Hour))}
	f.svc = scheduling.NewService(st, f.reg, rules, f.clock.Now)
	return f
}

var staff = scheduling.WithCaller(context.Background(), scheduling.Caller{Trusted: true})

func as(member string, kind members.Kind) context.Context {
	return scheduling.WithCaller(context.Background(), scheduling.Caller{Member: member, Kind: kind})
}

func booking(host, studio string, start time.Time) scheduling.Session {
	return scheduling.Session{Title: "直播", Host: host, Studio: studio, Platform: 2, Start: start, End: start.Add(time.Hour)}
}

func (f *fixture) book(t *testing.T, s scheduling.Session) *scheduling.Session {
	t.Helper()
	got, err := f.svc.CreateSession(staff, s, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestSessionLifecycle(t *testing.T) {
	const studio = "members/base/studios/s1"
	start := func(f *fixture, s *scheduling.Session) error {
		_, err := f.svc.StartSession(staff, s.ID, "")
		return err
	}
	end := func(f *fixture, s *scheduling.Session) error { _, err := f.svc.EndSession(staff, s.ID, ""); return err }
	cancel := func(f *fixture, s *scheduling.Session) error {
		_, err := f.svc.CancelSession(staff, s.ID, "主播行程调整", "")
		return err
	}
	atStart := func(f *fixture) { f.clock.Set(day) }
	for _, c := range []struct {
		name  string
		setup []func(*fixture, *scheduling.Session) error
		clock func(*fixture) // before the action; default: at the start time
		do    func(*fixture, *scheduling.Session) error
		want  fault.Reason
		state scheduling.State
	}{
		{name: "start: a SCHEDULED session goes LIVE at its start time", do: start, state: scheduling.StateLive},
		{name: "start: and from EarlyStart before it", clock: func(f *fixture) { f.clock.Set(day.Add(-scheduling.EarlyStart)) }, do: start, state: scheduling.StateLive},
		{name: "start: not a microsecond (the clock's resolution) earlier", clock: func(f *fixture) { f.clock.Set(day.Add(-scheduling.EarlyStart - time.Microsecond)) },
			do: start, want: scheduling.ReasonTooEarlyToStart, state: scheduling.StateScheduled},
		{name: "start: not while its host is SUSPENDED", clock: func(f *fixture) { atStart(f); f.reg.set("members/host", members.Suspended) },
			do: start, want: scheduling.ReasonHostNotActive, state: scheduling.StateScheduled},
		{name: "start: not while its base is SUSPENDED", clock: func(f *fixture) { atStart(f); f.reg.set("members/base", members.Suspended) },
			do: start, want: scheduling.ReasonBaseNotActive, state: scheduling.StateScheduled},
		{name: "start: a LIVE session does not start again", setup: []func(*fixture, *scheduling.Session) error{start},
			do: start, want: scheduling.ReasonInvalidStateTransition, state: scheduling.StateLive},
		{name: "end: a LIVE session ends", setup: []func(*fixture, *scheduling.Session) error{start}, do: end, state: scheduling.StateEnded},
		{name: "end: a SCHEDULED session does not", do: end, want: scheduling.ReasonInvalidStateTransition, state: scheduling.StateScheduled},
		{name: "end: ENDED is terminal", setup: []func(*fixture, *scheduling.Session) error{start, end},
			do: end, want: scheduling.ReasonInvalidStateTransition, state: scheduling.StateEnded},
		{name: "cancel: a SCHEDULED session is cancelled", do: cancel, state: scheduling.StateCancelled},
		{name: "cancel: a LIVE session is not", setup: []func(*fixture, *scheduling.Session) error{start},
			do: cancel, want: scheduling.ReasonInvalidStateTransition, state: scheduling.StateLive},
		{name: "cancel: CANCELLED is terminal: it does not start", setup: []func(*fixture, *scheduling.Session) error{cancel},
			do: start, want: scheduling.ReasonInvalidStateTransition, state: scheduling.StateCancelled},
		{name: "cancel: a reason of at most 1000 characters", do: func(f *fixture, s *scheduling.Session) error {
			_, err := f.svc.CancelSession(staff, s.ID, strings.Repeat("因", 1001), "")
			return err
		}, want: fault.ReasonInvalidArgument, state: scheduling.StateScheduled},
		{name: "update: only a SCHEDULED session changes", setup: []func(*fixture, *scheduling.Session) error{start},
			do: func(f *fixture, s *scheduling.Session) error {
				_, err := f.svc.UpdateSession(staff, scheduling.Session{ID: s.ID, Title: "新"}, []string{"title"}, "")
				return err
			}, want: scheduling.ReasonSessionNotScheduled, state: scheduling.StateLive},
		{name: "update: with a stale etag it is refused", do: func(f *fixture, s *scheduling.Session) error {
			_, err := f.svc.UpdateSession(staff, scheduling.Session{ID: s.ID, Title: "新"}, []string{"title"}, etag.Of(s.Revision+1))
			return err
		}, want: fault.ReasonETagMismatch, state: scheduling.StateScheduled},
		{name: "update: moving onto another session of the studio is a double booking", do: func(f *fixture, s *scheduling.Session) error {
			f.book(t, booking("members/other-host", studio, day.Add(3*time.Hour)))
			_, err := f.svc.UpdateSession(staff, scheduling.Session{ID: s.ID, Start: day.Add(3 * time.Hour), End: day.Add(4 * time.Hour)},
				[]string{"start_time", "end_time"}, "")
			return err
		}, want: scheduling.ReasonStudioDoubleBooked, state: scheduling.StateScheduled},
		{name: "update: a stale etag for a state move too", do: func(f *fixture, s *scheduling.Session) error {
			_, err := f.svc.CancelSession(staff, s.ID, "", etag.Of(s.Revision+1))
			return err
		}, want: fault.ReasonETagMismatch, state: scheduling.StateScheduled},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			s := f.book(t, booking("members/host", studio, day))
			f.clock.Set(day)
			for _, step := range c.setup {
				if err := step(f, s); err != nil {
					t.Fatal(err)
				}
			}
			if c.clock != nil {
				c.clock(f)
			}
			err := c.do(f, s)
			if got := fault.ReasonOf(err); got != c.want || err != nil && c.want == (fault.Reason{}) {
				t.Fatalf("%v, want reason %q", err, c.want)
			}
			if got, _ := f.svc.GetSession(s.ID); got.State != c.state {
				t.Fatalf("state %s, want %s", got.State, c.state)
			}
		})
	}
}

// TestACancelledSessionFreesItsSlot: cancelling is what lets another
// booking into the slot.
func TestACancelledSessionFreesItsSlot(t *testing.T) {
	f := newFixture(t)
	s := f.book(t, booking("members/host", "members/base/studios/s1", day))
	again := booking("members/other-host", "members/base/studios/s1", day)
	if _, err := f.svc.CreateSession(staff, again, "", ""); fault.ReasonOf(err) != scheduling.ReasonStudioDoubleBooked {
		t.Fatalf("the booked slot: %v, want STUDIO_DOUBLE_BOOKED", err)
	}
	if _, err := f.svc.CancelSession(staff, s.ID, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateSession(staff, again, "", ""); err != nil {
		t.Fatalf("the freed slot: %v", err)
	}
}

func TestWhoMayBookAndChangeASession(t *testing.T) {
	const studio, elsewhere = "members/base/studios/s1", "members/other-base/studios/s1"
	for _, c := range []struct {
		name string
		ctx  context.Context
		s    scheduling.Session
		want fault.Reason
	}{
		{"book: the alliance's staff book anything", staff, booking("members/host", studio, day), fault.Reason{}},
		{"book: a base into its own studios", as("members/base", members.Base), booking("members/host", studio, day), fault.Reason{}},
		{"book: not into another base's", as("members/base", members.Base), booking("members/host", elsewhere, day), fault.ReasonPermissionDenied},
		{"book: a host itself, into any ACTIVE base's studio", as("members/host", members.Host), booking("members/host", elsewhere, day), fault.Reason{}},
		{"book: not another host", as("members/host", members.Host), booking("members/other-host", studio, day), fault.ReasonPermissionDenied},
		{"book: an agency its own hosts", as("members/agency", members.Agency), booking("members/host", studio, day), fault.Reason{}},
		{"book: not a host of no agency of its", as("members/agency", members.Agency), booking("members/other-host", studio, day), fault.ReasonPermissionDenied},
		{"book: a merchant books nothing", as("members/farm", members.Merchant), booking("members/host", studio, day), fault.ReasonPermissionDenied},
		{"book: no caller at all books nothing", context.Background(), booking("members/host", studio, day), fault.ReasonUnauthenticated},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.CreateSession(c.ctx, c.s, "", "")
			if got := fault.ReasonOf(err); got != c.want || err != nil && c.want == (fault.Reason{}) {
				t.Fatalf("%v, want reason %q", err, c.want)
			}
		})
	}
	for _, c := range []struct {
		name string
		ctx  context.Context
		want fault.Reason
	}{
		{"change: its host", as("members/host", members.Host), fault.Reason{}},
		{"change: the base of its studio", as("members/base", members.Base), fault.Reason{}},
		{"change: the host's agency, as the registry knows it now", as("members/agency", members.Agency), fault.Reason{}},
		{"change: not another base", as("members/other-base", members.Base), fault.ReasonPermissionDenied},
		{"change: not another host", as("members/other-host", members.Host), fault.ReasonPermissionDenied},
		{"change: no caller at all changes nothing", context.Background(), fault.ReasonUnauthenticated},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			s := f.book(t, booking("members/host", studio, day))
			_, err := f.svc.CancelSession(c.ctx, s.ID, "", "")
			if got := fault.ReasonOf(err); got != c.want || err != nil && c.want == (fault.Reason{}) {
				t.Fatalf("%v, want reason %q", err, c.want)
			}
		})
	}
}

func TestOnlyTheAlliancesStaffImportHistory(t *testing.T) {
	f := newFixture(t)
	for ctx, want := range map[context.Context]fault.Reason{
		as("members/base", members.Base): fault.ReasonPermissionDenied,
		context.Background():             fault.ReasonUnauthenticated,
		staff:                            {},
	} {
		_, err := f.svc.NewImport().Batch(ctx, nil)
		if got := fault.ReasonOf(err); got != want {
			t.Errorf("%v, want reason %q", err, want)
		}
	}
}

// TestATitleAndARoomIDShowAsThemselves: a session's title and room id are
// held to kit/text's rule, as display names are in the registry: a
// bidirectional override (which shows the title reversed in every list),
// a line break or a NUL is refused on its field, at booking and on update.
func TestATitleAndARoomIDShowAsThemselves(t *testing.T) {
	f := newFixture(t)
	start := day.Add(2 * time.Hour)
	violation := func(err error) string {
		t.Helper()
		fe, ok := fault.As(err)
		if !ok || fe.Code != fault.InvalidArgument || len(fe.Violations) != 1 {
			t.Fatalf("got %v; want INVALID_ARGUMENT with one violation", err)
		}
		return fe.Violations[0].Field
	}
	reversed := booking("members/host", "members/base/studios/s1", start)
	reversed.Title = "\u202e播直"
	if _, err := f.svc.CreateSession(staff, reversed, "", ""); violation(err) != "session.title" {
		t.Errorf("a reversed title: %v; want session.title", err)
	}
	nul := booking("members/host", "members/base/studios/s1", start)
	nul.PlatformRoomID = "room\x00 1"
	if _, err := f.svc.CreateSession(staff, nul, "", ""); violation(err) != "session.platform_room_id" {
		t.Errorf("a room id with a NUL: %v; want session.platform_room_id", err)
	}
	s := f.book(t, booking("members/host", "members/base/studios/s1", start))
	if _, err := f.svc.UpdateSession(staff, scheduling.Session{ID: s.ID, Title: "直播\n第二行"}, []string{"title"}, ""); violation(err) != "session.title" {
		t.Errorf("an update to a two-line title: %v; want session.title", err)
	}
	if _, err := f.svc.UpdateSession(staff, scheduling.Session{ID: s.ID, Title: "茶山直播 🍵"}, []string{"title"}, ""); err != nil {
		t.Errorf("an update to a title that shows: %v", err)
	}
}
