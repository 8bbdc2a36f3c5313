package scheduling_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/etag"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/members"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
)

var hostKey = as("members/host", members.Host)

// request books host's session into s1 as the host itself, in a studio
// that requires approval: it waits.
func (f *fixture) request(t *testing.T, host string, start time.Time) *scheduling.Session {
	t.Helper()
	s, err := f.svc.CreateSession(as(host, members.Host), lasting(host, s1, start, time.Hour), "", "")
	if err != nil || s.State != scheduling.StatePendingApproval {
		t.Fatalf("request: %+v, %v; want PENDING_APPROVAL", s, err)
	}
	return s
}

func TestApprovals(t *testing.T) {
	approve := func(ctx context.Context) func(f *fixture, s *scheduling.Session) error {
		return func(f *fixture, s *scheduling.Session) error {
			_, err := f.svc.ApproveSession(ctx, s.ID, "")
			return err
		}
	}
	decline := func(ctx context.Context) func(f *fixture, s *scheduling.Session) error {
		return func(f *fixture, s *scheduling.Session) error {
			_, err := f.svc.DeclineSession(ctx, s.ID, "档期已满", "")
			return err
		}
	}
	base := as("members/base", members.Base)
	// approved is a setup: the base has approved the request already.
	approved := func(t *testing.T, f *fixture, s *scheduling.Session) {
		if _, err := f.svc.ApproveSession(base, s.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	// move asks, as ctx, to move the session to 20:00-21:00 of day 0.
	move := func(ctx context.Context) func(f *fixture, s *scheduling.Session) error {
		return func(f *fixture, s *scheduling.Session) error {
			_, err := f.svc.UpdateSession(ctx, scheduling.Session{ID: s.ID, Start: local(0, "20:00"), End: local(0, "21:00")}, []string{"start_time", "end_time"}, "")
			return err
		}
	}
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, f *fixture, s *scheduling.Session)
		do    func(f *fixture, s *scheduling.Session) error
		want  fault.Reason
		state scheduling.State
	}{
		{name: "approve: the studio's base approves a request: SCHEDULED", do: approve(base), state: scheduling.StateScheduled},
		{name: "approve: so may the alliance's staff", do: approve(staff), state: scheduling.StateScheduled},
		{name: "approve: not the host who asked", do: approve(hostKey), want: fault.ReasonPermissionDenied, state: scheduling.StatePendingApproval},
		{name: "approve: not another base", do: approve(as("members/other-base", members.Base)), want: fault.ReasonPermissionDenied, state: scheduling.StatePendingApproval},
		{name: "approve: a SCHEDULED session is not a request", setup: approved, do: approve(base), want: scheduling.ReasonInvalidStateTransition, state: scheduling.StateScheduled},
		{name: "approve: with a stale etag it is refused", do: func(f *fixture, s *scheduling.Session) error {
			_, err := f.svc.ApproveSession(base, s.ID, etag.Of(s.Revision+1))
			return err
		}, want: fault.ReasonETagMismatch, state: scheduling.StatePendingApproval},
		{name: "approve: re-checks opening hours changed since the request", setup: func(t *testing.T, f *fixture, s *scheduling.Session) {
			f.setPolicy(t, s1, scheduling.Policy{RequiresApproval: true, OpeningHours: []scheduling.OpeningHours{{Day: time.Tuesday, Open: 8 * 60, Close: 12 * 60}}})
		}, do: approve(base), want: scheduling.ReasonOutsideOpeningHours, state: scheduling.StatePendingApproval},
		{name: "approve: re-checks the notice of a policy changed since, from when the request was made", setup: func(t *testing.T, f *fixture, s *scheduling.Session) {
			if _, err := f.svc.UpdateSession(hostKey, scheduling.Session{ID: s.ID, Start: local(1, "18:00"), End: local(1, "19:00")}, []string{"start_time", "end_time"}, ""); err != nil {
				t.Fatal(err)
			}
			f.setPolicy(t, s1, scheduling.Policy{RequiresApproval: true, MinNotice: 3 * 24 * time.Hour})
		}, do: approve(base), want: scheduling.ReasonTooShortNotice, state: scheduling.StatePendingApproval},
		{name: "approve: re-checks the studio against confirmed sessions, with today's buffer", setup: func(t *testing.T, f *fixture, s *scheduling.Session) {
			f.setPolicy(t, s1, scheduling.Policy{RequiresApproval: true, Buffer: minutes(0)})
			f.book(t, lasting("members/other-host", s1, local(0, "19:05"), time.Hour)) // 5 minutes after the request
			f.setPolicy(t, s1, scheduling.Policy{RequiresApproval: true, Buffer: minutes(30)})
		}, do: approve(base), want: scheduling.ReasonStudioDoubleBooked, state: scheduling.StatePendingApproval},
		{name: "approve: re-checks the quota", setup: func(t *testing.T, f *fixture, s *scheduling.Session) {
			f.book(t, lasting("members/host", s2, local(1, "10:00"), 2*time.Hour))
			f.setPolicy(t, s1, scheduling.Policy{RequiresApproval: true, HostWeeklyHours: 2})
		}, do: approve(base), want: scheduling.ReasonQuotaExceeded, state: scheduling.StatePendingApproval},
		{name: "decline: the base declines with a reason: DECLINED", do: decline(base), state: scheduling.StateDeclined},
		{name: "decline: not the host", do: decline(hostKey), want: fault.ReasonPermissionDenied, state: scheduling.StatePendingApproval},
		{name: "decline: a SCHEDULED session is not declined", setup: approved, do: decline(base), want: scheduling.ReasonInvalidStateTransition, state: scheduling.StateScheduled},
		{name: "start: a request cannot go LIVE: APPROVAL_REQUIRED", setup: func(t *testing.T, f *fixture, s *scheduling.Session) { f.clock.Set(local(0, "17:50")) },
			do: func(f *fixture, s *scheduling.Session) error {
				_, err := f.svc.StartSession(hostKey, s.ID, "")
				return err
			},
			want: scheduling.ReasonApprovalRequired, state: scheduling.StatePendingApproval},
		{name: "update: a host moves its request, which still waits", do: move(hostKey), state: scheduling.StatePendingApproval},
		{name: "update: a host cannot move an approved session of the studio: APPROVAL_REQUIRED", setup: approved, do: move(hostKey), want: scheduling.ReasonApprovalRequired, state: scheduling.StateScheduled},
		{name: "update: but may change its title", setup: approved, do: func(f *fixture, s *scheduling.Session) error {
			_, err := f.svc.UpdateSession(hostKey, scheduling.Session{ID: s.ID, Title: "新标题"}, []string{"title"}, "")
			return err
		}, state: scheduling.StateScheduled},
		{name: "update: the base moves an approved session", setup: approved, do: move(base), state: scheduling.StateScheduled},
		{name: "cancel: the host withdraws its request", do: func(f *fixture, s *scheduling.Session) error {
			_, err := f.svc.CancelSession(hostKey, s.ID, "改期", "")
			return err
		}, state: scheduling.StateCancelled},
		{name: "auto-decline: a request still pending at its start is DECLINED", setup: func(t *testing.T, f *fixture, s *scheduling.Session) { f.clock.Set(local(0, "18:00")) },
			do: approve(base), want: scheduling.ReasonInvalidStateTransition, state: scheduling.StateDeclined},
		{name: "auto-decline: a minute before its start it can still be approved", setup: func(t *testing.T, f *fixture, s *scheduling.Session) { f.clock.Set(local(0, "17:59")) },
			do: approve(base), state: scheduling.StateScheduled},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.setPolicy(t, s1, scheduling.Policy{RequiresApproval: true})
			s := f.request(t, "members/host", local(0, "18:00"))
			if c.setup != nil {
				c.setup(t, f, s)
			}
			err := c.do(f, s)
			wantReason(t, err, c.want, nil)
			if got, _ := f.svc.GetSession(s.ID); got.State != c.state {
				t.Fatalf("state %s, want %s", got.State, c.state)
			}
		})
	}
	t.Run("a declined request frees its slot", func(t *testing.T) {
		f := newFixture(t)
		f.setPolicy(t, s1, scheduling.Policy{RequiresApproval: true})
		s := f.request(t, "members/host", local(0, "18:00"))
		again := lasting("members/other-host", s1, local(0, "18:00"), time.Hour)
		if _, err := f.svc.CreateSession(staff, again, "", ""); fault.ReasonOf(err) != scheduling.ReasonStudioDoubleBooked {
			t.Fatalf("the requested slot: %v, want STUDIO_DOUBLE_BOOKED", err)
		}
		got, err := f.svc.DeclineSession(staff, s.ID, "档期已满", "")
		if err != nil || got.DeclineReason != "档期已满" {
			t.Fatalf("%+v, %v", got, err)
		}
		if _, err := f.svc.CreateSession(staff, again, "", ""); err != nil {
			t.Fatalf("the freed slot: %v", err)
		}
	})
}

// TestTwoApprovalsOfRequestsThatMeetOneWins: two requests booked apart
// that today's buffer puts too close, approved by many callers at once:
// exactly one is approved, whichever, and the other is refused with
// STUDIO_DOUBLE_BOOKED, because each approval checks in the transaction
// that writes it.
func TestTwoApprovalsOfRequestsThatMeetOneWins(t *testing.T) {
	for round := range 5 {
		f := newFixture(t)
		f.setPolicy(t, s1, scheduling.Policy{RequiresApproval: true, Buffer: minutes(0)})
		a := f.request(t, "members/host", local(0, "18:00"))
		b := f.request(t, "members/other-host", local(0, "19:00"))
		f.setPolicy(t, s1, scheduling.Policy{RequiresApproval: true, Buffer: minutes(30)})
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := map[string]int{}
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := []string{a.ID, b.ID}[(i+round)%2]
				_, err := f.svc.ApproveSession(staff, id, "")
				mu.Lock()
				defer mu.Unlock()
				switch r := fault.ReasonOf(err); {
				case err == nil:
					won[id]++
				case r != scheduling.ReasonStudioDoubleBooked && r != scheduling.ReasonInvalidStateTransition:
					t.Errorf("approval: %v", err)
				}
			}()
		}
		wg.Wait()
		ga, _ := f.svc.GetSession(a.ID)
		gb, _ := f.svc.GetSession(b.ID)
		scheduled := 0
		for _, s := range []*scheduling.Session{ga, gb} {
			if s.State == scheduling.StateScheduled {
				scheduled++
			}
		}
		if scheduled != 1 || len(won) != 1 {
			t.Fatalf("round %d: %s and %s, approvals %v; want exactly one approved", round, ga.State, gb.State, won)
		}
		for _, n := range won {
			if n != 1 {
				t.Fatalf("round %d: one request approved %d times", round, n)
			}
		}
	}
}

// TestApprovalMeasuresTheNoticeFromTheRequest: the notice and advance an
// approval checks are those of the slot as it was asked for; a later
// change that keeps the slot (a new title) does not make the request
// later, nor does waiting for the base.
func TestApprovalMeasuresTheNoticeFromTheRequest(t *testing.T) {
	start := local(0, "18:00")
	for _, c := range []struct {
		name    string
		retitle bool
	}{
		{name: "notice: an approval long after the request keeps the request's notice"},
		{name: "notice: and so does one after the host retitled its request", retitle: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.setPolicy(t, s1, scheduling.Policy{RequiresApproval: true, MinNotice: 12 * time.Hour})
			f.clock.Set(start.Add(-20 * time.Hour))
			s := f.request(t, "members/host", start)
			if c.retitle {
				f.clock.Set(start.Add(-10 * time.Hour))
				if _, err := f.svc.UpdateSession(hostKey, scheduling.Session{ID: s.ID, Title: "新标题"}, []string{"title"}, ""); err != nil {
					t.Fatal(err)
				}
			}
			f.clock.Set(start.Add(-9 * time.Hour))
			got, err := f.svc.ApproveSession(as("members/base", members.Base), s.ID, "")
			if err != nil || got.State != scheduling.StateScheduled {
				t.Fatalf("%+v, %v; want SCHEDULED", got, err)
			}
		})
	}
}
