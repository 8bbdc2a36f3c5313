package scheduling_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/members"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
)

// stored reads a session straight from the store, past the service (which
// presents a due session as it stands): what a lapse wrote.
func (f *fixture) stored(t *testing.T, id string) *scheduling.Session {
	t.Helper()
	var out *scheduling.Session
	if err := f.st.View(func(tx scheduling.Tx) error {
		var err error
		out, err = tx.Session(id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNoShows(t *testing.T) {
	start := local(0, "18:00")
	for _, c := range []struct {
		name   string
		grace  time.Duration // of the studio's policy; 0: the default
		at     time.Time     // the clock when the session is read
		before *scheduling.State
		want   scheduling.State
	}{
		{name: "no-show: a SCHEDULED session not started 15 minutes after its start is NO_SHOW", at: start.Add(15 * time.Minute), want: scheduling.StateNoShow},
		{name: "no-show: a moment before, it is still SCHEDULED", at: start.Add(15*time.Minute - time.Microsecond), want: scheduling.StateScheduled},
		{name: "no-show: the studio's grace replaces the default", grace: 5 * time.Minute, at: start.Add(5 * time.Minute), want: scheduling.StateNoShow},
		{name: "no-show: a longer grace waits longer", grace: time.Hour, at: start.Add(59 * time.Minute), want: scheduling.StateScheduled},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			if c.grace != 0 {
				f.setPolicy(t, s1, scheduling.Policy{NoShowGrace: c.grace})
			}
			s := f.book(t, lasting("members/host", s1, start, time.Hour))
			f.clock.Set(c.at)
			got, err := f.svc.GetSession(s.ID)
			if err != nil || got.State != c.want {
				t.Fatalf("%+v, %v; want %s", got, err, c.want)
			}
			if stored := f.stored(t, s.ID); stored.State != c.want {
				t.Fatalf("the read left %s stored, want %s", stored.State, c.want)
			}
			grace := c.grace
			if grace == 0 {
				grace = scheduling.DefaultNoShowGrace
			}
			if c.want == scheduling.StateNoShow && (got.Revision != s.Revision+1 || !got.UpdateTime.Equal(start.Add(grace))) {
				t.Fatalf("lapsed as revision %d at %s, want revision %d at %s, the end of the grace", got.Revision, got.UpdateTime, s.Revision+1, start.Add(grace))
			}
		})
	}
	t.Run("no-show: within the grace the host still starts", func(t *testing.T) {
		f := newFixture(t)
		s := f.book(t, lasting("members/host", s1, start, time.Hour))
		f.clock.Set(start.Add(14 * time.Minute))
		if got, err := f.svc.StartSession(staff, s.ID, ""); err != nil || got.State != scheduling.StateLive {
			t.Fatalf("%+v, %v", got, err)
		}
		f.clock.Set(start.Add(3 * time.Hour))
		if got, _ := f.svc.GetSession(s.ID); got.State != scheduling.StateLive {
			t.Fatalf("a LIVE session became %s", got.State)
		}
	})
	t.Run("no-show: after it, starting is INVALID_STATE_TRANSITION", func(t *testing.T) {
		f := newFixture(t)
		s := f.book(t, lasting("members/host", s1, start, time.Hour))
		f.clock.Set(start.Add(20 * time.Minute))
		_, err := f.svc.StartSession(staff, s.ID, "")
		wantReason(t, err, scheduling.ReasonInvalidStateTransition, map[string]string{"state": "NO_SHOW"})
	})
	t.Run("no-show: frees its studio for the rest of its interval, settled by the booking that meets it", func(t *testing.T) {
		f := newFixture(t)
		s := f.book(t, lasting("members/host", s1, local(0, "18:00"), 2*time.Hour))
		f.clock.Set(local(0, "18:20"))
		if stored := f.stored(t, s.ID); stored.State != scheduling.StateScheduled {
			t.Fatalf("before any read the store says %s", stored.State)
		}
		if _, err := f.svc.CreateSession(staff, lasting("members/other-host", s1, local(0, "18:30"), time.Hour), "", ""); err != nil {
			t.Fatalf("the rest of a no-show's interval: %v", err)
		}
		if stored := f.stored(t, s.ID); stored.State != scheduling.StateNoShow || stored.Revision != 2 {
			t.Fatalf("the booking left %+v stored; want NO_SHOW at revision 2", stored)
		}
	})
	t.Run("no-show: never counts as held", func(t *testing.T) {
		f := newFixture(t)
		f.book(t, lasting("members/host", s1, start, time.Hour))
		f.clock.Set(start.Add(time.Hour))
		for state, want := range map[scheduling.State]int64{scheduling.StateEnded: 0, scheduling.StateNoShow: 1, scheduling.StateScheduled: 0} {
			if n, err := f.svc.CountSessions(scheduling.CountFilter{State: state}); err != nil || n != want {
				t.Fatalf("%s: %d, %v; want %d", state, n, err, want)
			}
		}
	})
	t.Run("decline: a request pending at its start is DECLINED, saying why", func(t *testing.T) {
		f := newFixture(t)
		f.setPolicy(t, s1, scheduling.Policy{RequiresApproval: true})
		s := f.request(t, "members/host", start)
		f.clock.Set(start)
		got, _ := f.svc.GetSession(s.ID)
		if got.State != scheduling.StateDeclined || got.DeclineReason == "" || !got.UpdateTime.Equal(start.UTC()) {
			t.Fatalf("%+v; want DECLINED at its start, with a reason", got)
		}
	})
}

// TestSweepLapsesEachMissedSessionOnce books more sessions than one sweep
// transaction holds, moves the clock past all of them, and sweeps from
// several goroutines at once while readers read: every session is NO_SHOW
// exactly once (one more revision, at the end of its grace), the sweeps
// together report each once, a sweep after that finds nothing, and every
// slot is bookable again.
func TestSweepLapsesEachMissedSessionOnce(t *testing.T) {
	f := newFixture(t)
	studios := []string{s1, s2, s3}
	hosts := []string{"members/host", "members/other-host", "members/third-host"}
	var ids []string
	first := local(0, "00:00").Add(24 * time.Hour)
	const perStudio = 100 // 300 > one sweep transaction
	for k := range perStudio {
		for i, studio := range studios {
			s := f.book(t, lasting(hosts[i], studio, first.Add(time.Duration(k)*45*time.Minute), 30*time.Minute))
			ids = append(ids, s.ID)
		}
	}
	f.clock.Set(first.Add(perStudio*45*time.Minute + time.Hour))
	var wg sync.WaitGroup
	var mu sync.Mutex
	lapsed := 0
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if g%2 == 1 { // a reader
				if _, err := f.svc.BatchGetSessions(ids[:50]); err != nil {
					t.Error(err)
				}
			}
			n, err := f.svc.Sweep()
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			lapsed += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	if n, err := f.svc.Sweep(); err != nil || n != 0 {
		t.Fatalf("a sweep after the sweeps lapsed %d, %v; want 0", n, err)
	}
	if lapsed > len(ids) || lapsed < len(ids)-50 { // the reader settled up to 50 itself
		t.Fatalf("the sweeps lapsed %d sessions, want %d (less what the reader settled)", lapsed, len(ids))
	}
	for _, id := range ids {
		s := f.stored(t, id)
		if s.State != scheduling.StateNoShow || s.Revision != 2 || !s.UpdateTime.Equal(s.Start.Add(scheduling.DefaultNoShowGrace)) {
			t.Fatalf("%s: %s at revision %d, %s; want NO_SHOW at revision 2, at the end of its grace", id, s.State, s.Revision, s.UpdateTime)
		}
	}
	if n, _ := f.svc.CountSessions(scheduling.CountFilter{State: scheduling.StateNoShow}); n != int64(len(ids)) {
		t.Fatalf("%d no-shows counted, want %d", n, len(ids))
	}
	// Their slots are free: the clock goes back to before the first, and
	// each slot is booked by another host.
	f.clock.Set(first.Add(-time.Hour))
	for k := range 5 {
		s := lasting(hosts[(k+1)%3], studios[k%3], first.Add(time.Duration(k)*45*time.Minute), 30*time.Minute)
		if _, err := f.svc.CreateSession(staff, s, fmt.Sprintf("again-%d", k), ""); err != nil {
			t.Fatalf("the slot of a no-show: %v", err)
		}
	}
}

// TestALapseFoundByARefusedBookingIsStoredLater: a refused booking keeps
// nothing of its transaction, the lapses it met included; the next sweep
// (or read, or write) stores them.
func TestALapseFoundByARefusedBookingIsStoredLater(t *testing.T) {
	f := newFixture(t)
	s := f.book(t, lasting("members/host", s1, local(0, "18:00"), time.Hour))
	f.book(t, lasting("members/other-host", s2, local(0, "18:30"), time.Hour))
	f.clock.Set(local(0, "18:20"))
	// Meets the no-show in s1, then the other host's session: refused.
	_, err := f.svc.CreateSession(staff, lasting("members/other-host", s1, local(0, "18:30"), time.Hour), "", "")
	wantReason(t, err, scheduling.ReasonHostDoubleBooked, nil)
	if stored := f.stored(t, s.ID); stored.State != scheduling.StateScheduled {
		t.Fatalf("a refused booking stored %s", stored.State)
	}
	if n, err := f.svc.Sweep(); err != nil || n != 1 {
		t.Fatalf("sweep: %d, %v; want 1", n, err)
	}
}

// The quotas count from the host's and agency's index entries; an entry
// of a session that has started but was never marked is judged in full,
// so a missed session stops counting from its lapse on, and that lapse is
// stored with the booking that found it.
func TestAMissedSessionNoLongerCountsAgainstTheQuotas(t *testing.T) {
	for _, c := range []struct {
		name   string
		policy scheduling.Policy
	}{
		{name: "host weekly hours: a NO_SHOW's hours are free again", policy: scheduling.Policy{HostWeeklyHours: 3}},
		{name: "agency daily sessions: a NO_SHOW no longer takes one of the day's", policy: scheduling.Policy{AgencyDailySessions: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.setPolicy(t, s1, c.policy)
			missed := f.book(t, lasting("members/host", s2, local(0, "10:00"), 2*time.Hour))
			f.clock.Set(local(0, "10:20")) // past s2's default grace of 15 minutes
			if got := f.stored(t, missed.ID); got.State != scheduling.StateScheduled {
				t.Fatalf("before the booking the store has %s", got.State)
			}
			if _, err := f.svc.CreateSession(staff, lasting("members/host", s1, local(0, "18:00"), 2*time.Hour), "", ""); err != nil {
				t.Fatalf("a booking that only the missed session would push over the quota: %v", err)
			}
			if got := f.stored(t, missed.ID); got.State != scheduling.StateNoShow {
				t.Errorf("the booking left the missed session %s in the store, want NO_SHOW", got.State)
			}
		})
	}
}

// TestTheSweepDeclinesARequestStillPendingAtItsStart: nobody reads it, and
// the sweep declines it at its start, once, and frees its slot.
func TestTheSweepDeclinesARequestStillPendingAtItsStart(t *testing.T) {
	f := newFixture(t)
	f.setPolicy(t, s1, scheduling.Policy{RequiresApproval: true})
	start := local(0, "18:00")
	req := f.bookAs(t, as("members/host", members.Host), lasting("members/host", s1, start, time.Hour))
	if req.State != scheduling.StatePendingApproval {
		t.Fatalf("booked %s, want PENDING_APPROVAL", req.State)
	}
	f.clock.Set(start.Add(-time.Microsecond))
	if n, err := f.svc.Sweep(); err != nil || n != 0 {
		t.Fatalf("a sweep before its start lapsed %d, %v", n, err)
	}
	f.clock.Set(start.Add(time.Minute))
	for i, want := range []int{1, 0} { // once, then never again
		if n, err := f.svc.Sweep(); err != nil || n != want {
			t.Fatalf("sweep %d lapsed %d, %v; want %d", i+1, n, err, want)
		}
	}
	got := f.stored(t, req.ID)
	if got.State != scheduling.StateDeclined || got.DeclineReason == "" || got.Revision != req.Revision+1 || !got.UpdateTime.Equal(start.UTC()) {
		t.Fatalf("%+v; want DECLINED once, at its start, saying why", got)
	}
	if _, err := f.svc.CreateSession(staff, lasting("members/other-host", s1, start.Add(10*time.Minute), 30*time.Minute), "", ""); err != nil {
		t.Fatalf("the declined request's slot: %v", err)
	}
}
