package scheduling_test

import (
	"context"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/members"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
)

// The rules of a studio's policy, each checked where it lives, on a real
// store: times are local to Asia/Shanghai, where `day` is Tuesday
// 2031-05-06 18:00 and the clock stands at Monday 18:00.

const (
	s1 = "members/base/studios/s1"
	s2 = "members/base/studios/s2"
	s3 = "members/base/studios/s3"
	o1 = "members/other-base/studios/s1"
)

// local is hh:mm in Shanghai, days after Tuesday 2031-05-06.
func local(days int, hhmm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", "2031-05-06 "+hhmm, shanghai)
	if err != nil {
		panic(err)
	}
	return t.AddDate(0, 0, days)
}

// lasting is a session of host in studio from start for d.
func lasting(host, studio string, start time.Time, d time.Duration) scheduling.Session {
	s := booking(host, studio, start)
	s.End = start.Add(d)
	return s
}

func minutes(n int) *time.Duration { d := time.Duration(n) * time.Minute; return &d }

// setPolicy gives the studio p, as the alliance's staff.
func (f *fixture) setPolicy(t *testing.T, studio string, p scheduling.Policy) *scheduling.Policy {
	t.Helper()
	p.Studio = studio
	got, err := f.svc.UpdateStudioPolicy(staff, p, []string{"*"}, "", false)
	if err != nil {
		t.Fatalf("policy of %s: %v", studio, err)
	}
	return got
}

func (f *fixture) bookAs(t *testing.T, ctx context.Context, s scheduling.Session) *scheduling.Session {
	t.Helper()
	got, err := f.svc.CreateSession(ctx, s, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// wantReason fails unless err carries want (none: err is nil) and, when
// given, the metadata.
func wantReason(t *testing.T, err error, want fault.Reason, meta map[string]string) {
	t.Helper()
	if got := fault.ReasonOf(err); got != want || err != nil && want == (fault.Reason{}) {
		t.Fatalf("%v, want reason %q", err, want)
	}
	f, _ := fault.As(err)
	for k, v := range meta {
		if f == nil || f.Metadata[k] != v {
			t.Fatalf("%v: metadata %s = %q, want %q", err, k, f.Metadata[k], v)
		}
	}
}

func TestStudioPolicyRules(t *testing.T) {
	tuesday := []scheduling.OpeningHours{{Day: time.Tuesday, Open: 10 * 60, Close: 22 * 60}}
	blackout := []scheduling.Blackout{{Start: local(0, "18:00"), End: local(0, "20:00"), Reason: "设备检修"}}
	for _, c := range []struct {
		name   string
		policy scheduling.Policy
		setup  func(t *testing.T, f *fixture)
		ctx    context.Context // staff when nil
		s      scheduling.Session
		want   fault.Reason
		meta   map[string]string
		state  scheduling.State // of a booking
	}{
		{name: "opening hours: a session inside them is booked", policy: scheduling.Policy{OpeningHours: tuesday},
			s: lasting("members/host", s1, local(0, "18:00"), time.Hour), state: scheduling.StateScheduled},
		{name: "opening hours: one that starts before opening is OUTSIDE_OPENING_HOURS", policy: scheduling.Policy{OpeningHours: tuesday},
			s: lasting("members/host", s1, local(0, "09:30"), time.Hour), want: scheduling.ReasonOutsideOpeningHours, meta: map[string]string{"studio": s1}},
		{name: "opening hours: one that ends after closing is OUTSIDE_OPENING_HOURS", policy: scheduling.Policy{OpeningHours: tuesday},
			s: lasting("members/host", s1, local(0, "21:30"), time.Hour), want: scheduling.ReasonOutsideOpeningHours},
		{name: "opening hours: a day without hours is closed", policy: scheduling.Policy{OpeningHours: tuesday},
			s: lasting("members/host", s1, local(1, "18:00"), time.Hour), want: scheduling.ReasonOutsideOpeningHours},
		{name: "opening hours: a session may run past midnight into the next day's opening",
			policy: scheduling.Policy{OpeningHours: []scheduling.OpeningHours{{Day: time.Tuesday, Open: 20 * 60, Close: 24 * 60}, {Day: time.Wednesday, Open: 0, Close: 2 * 60}}},
			s:      lasting("members/host", s1, local(0, "23:00"), 2*time.Hour), state: scheduling.StateScheduled},
		{name: "opening hours: but not past the next day's closing",
			policy: scheduling.Policy{OpeningHours: []scheduling.OpeningHours{{Day: time.Tuesday, Open: 20 * 60, Close: 24 * 60}, {Day: time.Wednesday, Open: 0, Close: 60}}},
			s:      lasting("members/host", s1, local(0, "23:00"), 150*time.Minute), want: scheduling.ReasonOutsideOpeningHours},
		{name: "opening hours: are local to the alliance's zone, not UTC", policy: scheduling.Policy{OpeningHours: tuesday},
			s: lasting("members/host", s1, time.Date(2031, 5, 6, 2, 30, 0, 0, time.UTC), time.Hour), state: scheduling.StateScheduled},
		{name: "opening hours: none at all is always open",
			s: lasting("members/host", s1, local(0, "03:00"), time.Hour), state: scheduling.StateScheduled},
		{name: "blackout: a session that overlaps one is STUDIO_BLACKED_OUT", policy: scheduling.Policy{Blackouts: blackout},
			s: lasting("members/host", s1, local(0, "19:30"), time.Hour), want: scheduling.ReasonStudioBlackedOut,
			meta: map[string]string{"blackout_reason": "设备检修", "blackout_start_time": "2031-05-06T10:00:00Z"}},
		{name: "blackout: one that ends as the blackout begins is booked", policy: scheduling.Policy{Blackouts: blackout},
			s: lasting("members/host", s1, local(0, "17:00"), time.Hour), state: scheduling.StateScheduled},
		{name: "blackout: other studios of the base stay open", policy: scheduling.Policy{Blackouts: blackout},
			s: lasting("members/host", s2, local(0, "19:00"), time.Hour), state: scheduling.StateScheduled},
		{name: "min notice: a session that starts sooner is TOO_SHORT_NOTICE", policy: scheduling.Policy{MinNotice: 48 * time.Hour},
			s: lasting("members/host", s1, local(0, "18:00"), time.Hour), want: scheduling.ReasonTooShortNotice,
			meta: map[string]string{"earliest_start_time": "2031-05-07T10:00:00Z"}},
		{name: "min notice: one that starts exactly the notice ahead is booked", policy: scheduling.Policy{MinNotice: 48 * time.Hour},
			s: lasting("members/host", s1, local(1, "18:00"), time.Hour), state: scheduling.StateScheduled},
		{name: "max advance: a session that starts later is TOO_FAR_AHEAD", policy: scheduling.Policy{MaxAdvance: 7 * 24 * time.Hour},
			s: lasting("members/host", s1, local(7, "18:00"), time.Hour), want: scheduling.ReasonTooFarAhead,
			meta: map[string]string{"latest_start_time": "2031-05-12T10:00:00Z"}},
		{name: "max advance: one that starts exactly at it is booked", policy: scheduling.Policy{MaxAdvance: 7 * 24 * time.Hour},
			s: lasting("members/host", s1, local(6, "18:00"), time.Hour), state: scheduling.StateScheduled},
		{name: "max advance: the booking horizon stays the outer bound", policy: scheduling.Policy{MaxAdvance: rules.Horizon},
			s: lasting("members/host", s1, local(-1, "18:00").Add(rules.Horizon+time.Minute), time.Hour), want: fault.ReasonInvalidArgument},
		{name: "changeover buffer: the studio's own replaces the suite's (shorter)", policy: scheduling.Policy{Buffer: minutes(5)},
			setup: func(t *testing.T, f *fixture) {
				f.book(t, lasting("members/other-host", s1, local(0, "18:00"), time.Hour))
			},
			s: lasting("members/host", s1, local(0, "19:05"), time.Hour), state: scheduling.StateScheduled},
		{name: "changeover buffer: 0 lets sessions follow each other directly", policy: scheduling.Policy{Buffer: minutes(0)},
			setup: func(t *testing.T, f *fixture) {
				f.book(t, lasting("members/other-host", s1, local(0, "18:00"), time.Hour))
			},
			s: lasting("members/host", s1, local(0, "19:00"), time.Hour), state: scheduling.StateScheduled},
		{name: "changeover buffer: a longer one is STUDIO_DOUBLE_BOOKED within it", policy: scheduling.Policy{Buffer: minutes(60)},
			setup: func(t *testing.T, f *fixture) {
				f.book(t, lasting("members/other-host", s1, local(0, "18:00"), time.Hour))
			},
			s: lasting("members/host", s1, local(0, "19:30"), time.Hour), want: scheduling.ReasonStudioDoubleBooked},
		{name: "changeover buffer: without one of its own, the suite's 15 minutes",
			setup: func(t *testing.T, f *fixture) {
				f.book(t, lasting("members/other-host", s1, local(0, "18:00"), time.Hour))
			},
			s: lasting("members/host", s1, local(0, "19:10"), time.Hour), want: scheduling.ReasonStudioDoubleBooked},
		{name: "host weekly hours: the hours that fit are booked", policy: scheduling.Policy{HostWeeklyHours: 3},
			setup: func(t *testing.T, f *fixture) { f.book(t, lasting("members/host", s2, local(0, "10:00"), 2*time.Hour)) },
			s:     lasting("members/host", s1, local(0, "18:00"), time.Hour), state: scheduling.StateScheduled},
		{name: "host weekly hours: more is QUOTA_EXCEEDED, saying which quota and how much is left", policy: scheduling.Policy{HostWeeklyHours: 3},
			setup: func(t *testing.T, f *fixture) { f.book(t, lasting("members/host", s2, local(0, "10:00"), 2*time.Hour)) },
			s:     lasting("members/host", s1, local(1, "18:00"), 90*time.Minute), want: scheduling.ReasonQuotaExceeded,
			meta: map[string]string{"quota": "host_weekly_hours", "limit": "3", "used": "2", "left": "1", "period_start": "2031-05-05"}},
		{name: "host weekly hours: sessions in another base do not count", policy: scheduling.Policy{HostWeeklyHours: 3},
			setup: func(t *testing.T, f *fixture) { f.book(t, lasting("members/host", o1, local(0, "10:00"), 2*time.Hour)) },
			s:     lasting("members/host", s1, local(0, "18:00"), 2*time.Hour), state: scheduling.StateScheduled},
		{name: "host weekly hours: a week starts on Monday in the alliance's zone", policy: scheduling.Policy{HostWeeklyHours: 3},
			setup: func(t *testing.T, f *fixture) { f.book(t, lasting("members/host", s2, local(5, "20:00"), 2*time.Hour)) }, // Sunday evening
			s:     lasting("members/host", s1, local(6, "01:00"), 2*time.Hour), state: scheduling.StateScheduled},            // Monday 01:00, Sunday in UTC
		{name: "host weekly hours: a cancelled session does not count", policy: scheduling.Policy{HostWeeklyHours: 3},
			setup: func(t *testing.T, f *fixture) {
				s := f.book(t, lasting("members/host", s2, local(0, "10:00"), 2*time.Hour))
				if _, err := f.svc.CancelSession(staff, s.ID, "", ""); err != nil {
					t.Fatal(err)
				}
			},
			s: lasting("members/host", s1, local(0, "18:00"), 3*time.Hour), state: scheduling.StateScheduled},
		{name: "agency daily sessions: the hosts of one agency share the day's quota", policy: scheduling.Policy{AgencyDailySessions: 2},
			setup: func(t *testing.T, f *fixture) {
				f.book(t, lasting("members/host", s2, local(0, "10:00"), time.Hour))
				f.book(t, lasting("members/third-host", s3, local(0, "12:00"), time.Hour))
			},
			s: lasting("members/host", s1, local(0, "18:00"), time.Hour), want: scheduling.ReasonQuotaExceeded,
			meta: map[string]string{"quota": "agency_daily_sessions", "limit": "2", "used": "2", "left": "0", "period_start": "2031-05-06"}},
		{name: "agency daily sessions: a host of no agency is not counted", policy: scheduling.Policy{AgencyDailySessions: 2},
			setup: func(t *testing.T, f *fixture) {
				f.book(t, lasting("members/host", s2, local(0, "10:00"), time.Hour))
				f.book(t, lasting("members/third-host", s3, local(0, "12:00"), time.Hour))
			},
			s: lasting("members/other-host", s1, local(0, "18:00"), time.Hour), state: scheduling.StateScheduled},
		{name: "agency daily sessions: another day has its own quota", policy: scheduling.Policy{AgencyDailySessions: 2},
			setup: func(t *testing.T, f *fixture) {
				f.book(t, lasting("members/host", s2, local(0, "10:00"), time.Hour))
				f.book(t, lasting("members/third-host", s3, local(0, "12:00"), time.Hour))
			},
			s: lasting("members/host", s1, local(1, "18:00"), time.Hour), state: scheduling.StateScheduled},
		{name: "requires approval: a host's own booking waits as PENDING_APPROVAL", policy: scheduling.Policy{RequiresApproval: true},
			ctx: as("members/host", members.Host), s: lasting("members/host", s1, local(0, "18:00"), time.Hour), state: scheduling.StatePendingApproval},
		{name: "requires approval: so does an agency's booking of its host", policy: scheduling.Policy{RequiresApproval: true},
			ctx: as("members/agency", members.Agency), s: lasting("members/host", s1, local(0, "18:00"), time.Hour), state: scheduling.StatePendingApproval},
		{name: "requires approval: the base's own booking is approved as made", policy: scheduling.Policy{RequiresApproval: true},
			ctx: as("members/base", members.Base), s: lasting("members/host", s1, local(0, "18:00"), time.Hour), state: scheduling.StateScheduled},
		{name: "requires approval: and so is the staff's", policy: scheduling.Policy{RequiresApproval: true},
			s: lasting("members/host", s1, local(0, "18:00"), time.Hour), state: scheduling.StateScheduled},
		{name: "requires approval: a request holds its slot while it waits", policy: scheduling.Policy{RequiresApproval: true},
			setup: func(t *testing.T, f *fixture) {
				f.bookAs(t, as("members/host", members.Host), lasting("members/host", s1, local(0, "18:00"), time.Hour))
			},
			s: lasting("members/other-host", s1, local(0, "18:30"), time.Hour), want: scheduling.ReasonStudioDoubleBooked},
		{name: "requires approval: and its host", policy: scheduling.Policy{RequiresApproval: true},
			setup: func(t *testing.T, f *fixture) {
				f.bookAs(t, as("members/host", members.Host), lasting("members/host", s1, local(0, "18:00"), time.Hour))
			},
			s: lasting("members/host", o1, local(0, "18:30"), time.Hour), want: scheduling.ReasonHostDoubleBooked},
		{name: "requires approval: a request counts against the quota of later bookings", policy: scheduling.Policy{RequiresApproval: true, HostWeeklyHours: 2},
			setup: func(t *testing.T, f *fixture) {
				f.bookAs(t, as("members/host", members.Host), lasting("members/host", s1, local(0, "18:00"), 2*time.Hour))
			},
			s: lasting("members/host", s1, local(1, "18:00"), time.Hour), want: scheduling.ReasonQuotaExceeded},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			if c.policy.OpeningHours != nil || c.policy.Blackouts != nil || c.policy.MinNotice != 0 || c.policy.MaxAdvance != 0 ||
				c.policy.Buffer != nil || c.policy.HostWeeklyHours != 0 || c.policy.AgencyDailySessions != 0 || c.policy.RequiresApproval {
				f.setPolicy(t, s1, c.policy) // s1's rules judge a booking into s1, whatever s2's and s3's
				f.setPolicy(t, s2, scheduling.Policy{Buffer: minutes(30)})
			}
			if c.setup != nil {
				c.setup(t, f)
			}
			ctx := c.ctx
			if ctx == nil {
				ctx = staff
			}
			got, err := f.svc.CreateSession(ctx, c.s, "", "")
			wantReason(t, err, c.want, c.meta)
			if err == nil && got.State != c.state {
				t.Fatalf("state %s, want %s", got.State, c.state)
			}
		})
	}
}

// TestStudioPolicyUpdates: who may change a policy, its etag, its
// bounds, and the blackout rule: a blackout never lies over a session
// that holds the studio.
func TestStudioPolicyUpdates(t *testing.T) {
	blackout := scheduling.Policy{Blackouts: []scheduling.Blackout{{Start: local(0, "17:00"), End: local(0, "21:00"), Reason: "停电检修"}}}
	for _, c := range []struct {
		name    string
		setup   func(t *testing.T, f *fixture) []*scheduling.Session // sessions whose state is checked
		ctx     context.Context
		patch   scheduling.Policy
		mask    []string
		tag     string
		cancel  bool
		want    fault.Reason
		field   string
		after   []scheduling.State
		reasons []string // cancel_reason of the checked sessions
	}{
		{name: "who: the base itself changes its studio's policy", ctx: as("members/base", members.Base), patch: scheduling.Policy{RequiresApproval: true}},
		{name: "who: not another base", ctx: as("members/other-base", members.Base), patch: scheduling.Policy{RequiresApproval: true}, want: fault.ReasonPermissionDenied},
		{name: "who: not a host", ctx: as("members/host", members.Host), patch: scheduling.Policy{RequiresApproval: true}, want: fault.ReasonPermissionDenied},
		{name: "who: no caller at all changes nothing", ctx: context.Background(), patch: scheduling.Policy{RequiresApproval: true}, want: fault.ReasonUnauthenticated},
		{name: "etag: a stale one is ETAG_MISMATCH", patch: scheduling.Policy{RequiresApproval: true}, tag: "r7", want: fault.ReasonETagMismatch},
		{name: "etag: the default policy's is r0", patch: scheduling.Policy{RequiresApproval: true}, tag: "r0"},
		{name: "bounds: opening hours close after they open", patch: scheduling.Policy{OpeningHours: []scheduling.OpeningHours{{Day: time.Monday, Open: 600, Close: 600}}},
			want: fault.ReasonInvalidArgument, field: "policy.opening_hours[0].close_time"},
		{name: "bounds: the hours of one day do not overlap", patch: scheduling.Policy{OpeningHours: []scheduling.OpeningHours{{Day: time.Monday, Open: 600, Close: 900}, {Day: time.Monday, Open: 800, Close: 1000}}},
			want: fault.ReasonInvalidArgument, field: "policy.opening_hours[1]"},
		{name: "bounds: a blackout ends after it starts", patch: scheduling.Policy{Blackouts: []scheduling.Blackout{{Start: local(0, "17:00"), End: local(0, "17:00")}}},
			want: fault.ReasonInvalidArgument, field: "policy.blackouts[0].end_time"},
		{name: "bounds: max advance within the booking horizon", patch: scheduling.Policy{MaxAdvance: rules.Horizon + time.Hour},
			want: fault.ReasonInvalidArgument, field: "policy.max_advance"},
		{name: "bounds: min notice below max advance", patch: scheduling.Policy{MinNotice: 48 * time.Hour, MaxAdvance: 24 * time.Hour},
			want: fault.ReasonInvalidArgument, field: "policy.max_advance"},
		{name: "bounds: a no-show grace of at least a minute", patch: scheduling.Policy{NoShowGrace: time.Second},
			want: fault.ReasonInvalidArgument, field: "policy.no_show_grace"},
		{name: "bounds: a buffer of at most 12 hours", patch: scheduling.Policy{Buffer: minutes(13 * 60)},
			want: fault.ReasonInvalidArgument, field: "policy.changeover_buffer"},
		{name: "bounds: quotas are not negative", patch: scheduling.Policy{HostWeeklyHours: -1},
			want: fault.ReasonInvalidArgument, field: "policy.host_weekly_hours"},
		{name: "blackout: over booked sessions it is refused, naming them", patch: blackout,
			setup: func(t *testing.T, f *fixture) []*scheduling.Session {
				return []*scheduling.Session{f.book(t, lasting("members/host", s1, local(0, "18:00"), time.Hour)),
					f.book(t, lasting("members/other-host", s1, local(0, "20:30"), time.Hour))}
			},
			want: scheduling.ReasonStudioHasSessions, after: []scheduling.State{scheduling.StateScheduled, scheduling.StateScheduled}},
		{name: "blackout: asked to, it cancels each session in the way with its reason", patch: blackout, cancel: true,
			setup: func(t *testing.T, f *fixture) []*scheduling.Session {
				return []*scheduling.Session{f.book(t, lasting("members/host", s1, local(0, "18:00"), time.Hour)),
					f.bookAs(t, as("members/other-host", members.Host), lasting("members/other-host", s1, local(0, "19:30"), time.Hour)),
					f.book(t, lasting("members/host", s1, local(0, "16:00"), time.Hour)), // ends as it begins: not in the way
					f.book(t, lasting("members/host", s2, local(0, "19:00"), time.Hour))} // another studio
			},
			after:   []scheduling.State{scheduling.StateCancelled, scheduling.StateCancelled, scheduling.StateScheduled, scheduling.StateScheduled},
			reasons: []string{"停电检修", "停电检修", "", ""}},
		{name: "blackout: a LIVE session in the way is refused even so", patch: blackout, cancel: true,
			setup: func(t *testing.T, f *fixture) []*scheduling.Session {
				s := f.book(t, lasting("members/host", s1, local(0, "18:00"), time.Hour))
				f.clock.Set(local(0, "18:00"))
				if _, err := f.svc.StartSession(staff, s.ID, ""); err != nil {
					t.Fatal(err)
				}
				return []*scheduling.Session{s}
			},
			want: scheduling.ReasonStudioHasSessions, after: []scheduling.State{scheduling.StateLive}},
		{name: "blackout: over ended and cancelled sessions it is set", patch: blackout,
			setup: func(t *testing.T, f *fixture) []*scheduling.Session {
				s := f.book(t, lasting("members/host", s1, local(0, "18:00"), time.Hour))
				if _, err := f.svc.CancelSession(staff, s.ID, "", ""); err != nil {
					t.Fatal(err)
				}
				return []*scheduling.Session{s}
			},
			after: []scheduling.State{scheduling.StateCancelled}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.setPolicy(t, s2, scheduling.Policy{}) // a policy elsewhere changes nothing here
			var checked []*scheduling.Session
			if c.setup != nil {
				checked = c.setup(t, f)
			}
			ctx := c.ctx
			if ctx == nil {
				ctx = staff
			}
			c.patch.Studio = s1
			mask := c.mask
			if mask == nil {
				mask = []string{"*"}
			}
			got, err := f.svc.UpdateStudioPolicy(ctx, c.patch, mask, c.tag, c.cancel)
			wantReason(t, err, c.want, nil)
			if c.field != "" {
				if fe, _ := fault.As(err); len(fe.Violations) == 0 || fe.Violations[0].Field != c.field {
					t.Fatalf("%v, want a violation of %s", err, c.field)
				}
			}
			if err == nil && got.Revision != 1 {
				t.Fatalf("revision %d, want 1", got.Revision)
			}
			for i, s := range checked {
				now, _ := f.svc.GetSession(s.ID)
				if now.State != c.after[i] || c.reasons != nil && now.CancelReason != c.reasons[i] {
					t.Fatalf("%s is %s (%q), want %s", s.ID, now.State, now.CancelReason, c.after[i])
				}
			}
			stored, _ := f.svc.GetStudioPolicy(staff, s1)
			if (err == nil) != (stored.Revision == 1) {
				t.Fatalf("stored revision %d after %v", stored.Revision, err)
			}
		})
	}
	t.Run("an empty mask changes only what the patch sets", func(t *testing.T) {
		f := newFixture(t)
		f.setPolicy(t, s1, scheduling.Policy{HostWeeklyHours: 10, RequiresApproval: true})
		got, err := f.svc.UpdateStudioPolicy(staff, scheduling.Policy{Studio: s1, MinNotice: time.Hour}, nil, "r1", false)
		if err != nil || got.HostWeeklyHours != 10 || !got.RequiresApproval || got.MinNotice != time.Hour || got.Revision != 2 {
			t.Fatalf("%+v, %v", got, err)
		}
	})
	t.Run("an unknown studio is STUDIO_NOT_FOUND", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.GetStudioPolicy(staff, "members/base/studios/s9")
		wantReason(t, err, scheduling.ReasonStudioNotFound, nil)
		_, err = f.svc.UpdateStudioPolicy(staff, scheduling.Policy{Studio: "members/nobody/studios/s1", RequiresApproval: true}, nil, "", false)
		wantReason(t, err, scheduling.ReasonStudioNotFound, nil)
	})
}
