package scheduling_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/members"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
)

// evening is a template of host in studio, Tuesday 20:00-22:00 Shanghai.
func evening(host, studio string) scheduling.Session {
	return lasting(host, studio, local(0, "20:00"), 2*time.Hour)
}

func weekly(count int, days ...time.Weekday) scheduling.Recurrence {
	return scheduling.Recurrence{Frequency: scheduling.Weekly, Days: days, Count: count}
}

// starts lists the local start times of sessions, "Mon 01-02 15:04".
func starts(list []*scheduling.Session, zone *time.Location) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.Start.In(zone).Format("Mon 01-02 15:04"))
	}
	return out
}

func TestSessionSeries(t *testing.T) {
	for _, c := range []struct {
		name    string
		setup   func(t *testing.T, f *fixture)
		ctx     context.Context
		in      scheduling.Series
		partial bool
		want    fault.Reason
		meta    map[string]string
		starts  []string // local start times of the sessions booked
		skipped []string // reasons of the occurrences skipped
		state   scheduling.State
	}{
		{name: "weekly: on the chosen days, count occurrences, at the template's local time",
			in:     scheduling.Series{Template: evening("members/host", s1), Recurrence: weekly(4, time.Thursday, time.Tuesday)},
			starts: []string{"Tue 05-06 20:00", "Thu 05-08 20:00", "Tue 05-13 20:00", "Thu 05-15 20:00"}, state: scheduling.StateScheduled},
		{name: "weekly: every second week, on the template's day when none is chosen",
			in:     scheduling.Series{Template: evening("members/host", s1), Recurrence: scheduling.Recurrence{Frequency: scheduling.Weekly, Interval: 2, Count: 3}},
			starts: []string{"Tue 05-06 20:00", "Tue 05-20 20:00", "Tue 06-03 20:00"}, state: scheduling.StateScheduled},
		{name: "weekly: days before the template's in its first week are not booked",
			in:     scheduling.Series{Template: evening("members/host", s1), Recurrence: weekly(3, time.Monday, time.Wednesday)},
			starts: []string{"Wed 05-07 20:00", "Mon 05-12 20:00", "Wed 05-14 20:00"}, state: scheduling.StateScheduled},
		{name: "daily: every second day until a date, inclusive",
			in:     scheduling.Series{Template: evening("members/host", s1), Recurrence: scheduling.Recurrence{Frequency: scheduling.Daily, Interval: 2, UntilDate: "2031-05-10"}},
			starts: []string{"Tue 05-06 20:00", "Thu 05-08 20:00", "Sat 05-10 20:00"}, state: scheduling.StateScheduled},
		{name: "all or nothing: one occurrence in the way fails the series, naming it, and books none",
			setup: func(t *testing.T, f *fixture) {
				f.book(t, lasting("members/other-host", s1, local(2, "21:00"), time.Hour))
			},
			in:   scheduling.Series{Template: evening("members/host", s1), Recurrence: weekly(4, time.Tuesday, time.Thursday)},
			want: scheduling.ReasonStudioDoubleBooked, meta: map[string]string{scheduling.MetaOccurrence: "2031-05-08T12:00:00Z"}},
		{name: "allow_partial: books what it can and lists each occurrence it skipped with its reason",
			setup: func(t *testing.T, f *fixture) {
				f.book(t, lasting("members/other-host", s1, local(2, "21:00"), time.Hour))
				f.setPolicy(t, s1, scheduling.Policy{Blackouts: []scheduling.Blackout{{Start: local(7, "00:00"), End: local(8, "00:00"), Reason: "检修"}}})
			},
			in: scheduling.Series{Template: evening("members/host", s1), Recurrence: weekly(4, time.Tuesday, time.Thursday)}, partial: true,
			starts: []string{"Tue 05-06 20:00", "Thu 05-15 20:00"}, skipped: []string{"STUDIO_DOUBLE_BOOKED", "STUDIO_BLACKED_OUT"}, state: scheduling.StateScheduled},
		{name: "allow_partial: not one booked is the first occurrence's refusal", partial: true,
			setup: func(t *testing.T, f *fixture) {
				f.setPolicy(t, s1, scheduling.Policy{OpeningHours: []scheduling.OpeningHours{{Day: time.Monday, Open: 0, Close: 24 * 60}}})
			},
			in:   scheduling.Series{Template: evening("members/host", s1), Recurrence: weekly(2, time.Tuesday)},
			want: scheduling.ReasonOutsideOpeningHours, meta: map[string]string{scheduling.MetaOccurrence: "2031-05-06T12:00:00Z"}},
		{name: "allow_partial: an occurrence beyond the booking horizon is skipped as INVALID_ARGUMENT", partial: true,
			in:     scheduling.Series{Template: lasting("members/host", s1, local(-1, "18:00").Add(rules.Horizon-24*time.Hour), time.Hour), Recurrence: scheduling.Recurrence{Frequency: scheduling.Daily, Count: 3}},
			starts: []string{"", ""}, skipped: []string{"INVALID_ARGUMENT"}, state: scheduling.StateScheduled},
		{name: "quota: the occurrences count against it, each after the ones before",
			setup: func(t *testing.T, f *fixture) { f.setPolicy(t, s1, scheduling.Policy{HostWeeklyHours: 3}) },
			in:    scheduling.Series{Template: evening("members/host", s1), Recurrence: weekly(4, time.Tuesday, time.Thursday)},
			want:  scheduling.ReasonQuotaExceeded, meta: map[string]string{scheduling.MetaOccurrence: "2031-05-08T12:00:00Z", "left": "1"}},
		{name: "approval: a host's series waits occurrence by occurrence",
			setup: func(t *testing.T, f *fixture) { f.setPolicy(t, s1, scheduling.Policy{RequiresApproval: true}) },
			ctx:   hostKey, in: scheduling.Series{Template: evening("members/host", s1), Recurrence: weekly(2, time.Tuesday)},
			starts: []string{"Tue 05-06 20:00", "Tue 05-13 20:00"}, state: scheduling.StatePendingApproval},
		{name: "who: as for a booking, a host books only itself", ctx: hostKey,
			in: scheduling.Series{Template: evening("members/other-host", s1), Recurrence: weekly(2)}, want: fault.ReasonPermissionDenied},
		{name: "recurrence: a frequency is required", in: scheduling.Series{Template: evening("members/host", s1), Recurrence: scheduling.Recurrence{Count: 2}},
			want: fault.ReasonInvalidArgument},
		{name: "recurrence: count or until_date, not both", in: scheduling.Series{Template: evening("members/host", s1),
			Recurrence: scheduling.Recurrence{Frequency: scheduling.Daily, Count: 2, UntilDate: "2031-05-09"}}, want: fault.ReasonInvalidArgument},
		{name: "recurrence: one of them", in: scheduling.Series{Template: evening("members/host", s1), Recurrence: scheduling.Recurrence{Frequency: scheduling.Daily}},
			want: fault.ReasonInvalidArgument},
		{name: "recurrence: at most 366 occurrences", in: scheduling.Series{Template: evening("members/host", s1),
			Recurrence: scheduling.Recurrence{Frequency: scheduling.Daily, UntilDate: "2032-06-01"}}, want: fault.ReasonInvalidArgument},
		{name: "recurrence: until_date is a date after the template's", in: scheduling.Series{Template: evening("members/host", s1),
			Recurrence: scheduling.Recurrence{Frequency: scheduling.Daily, UntilDate: "2031-05-05"}}, want: fault.ReasonInvalidArgument},
		{name: "recurrence: days of the week are for a weekly series", in: scheduling.Series{Template: evening("members/host", s1),
			Recurrence: scheduling.Recurrence{Frequency: scheduling.Daily, Days: []time.Weekday{time.Monday}, Count: 2}}, want: fault.ReasonInvalidArgument},
		{name: "recurrence: an interval of at most 52", in: scheduling.Series{Template: evening("members/host", s1),
			Recurrence: scheduling.Recurrence{Frequency: scheduling.Weekly, Interval: 53, Count: 2}}, want: fault.ReasonInvalidArgument},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			if c.setup != nil {
				c.setup(t, f)
			}
			ctx := c.ctx
			if ctx == nil {
				ctx = staff
			}
			got, err := f.svc.CreateSessionSeries(ctx, c.in, "tea-evenings", "", c.partial)
			wantReason(t, err, c.want, c.meta)
			if err != nil {
				if n, _, _ := f.svc.ListSessions(scheduling.ListFilter{Host: c.in.Template.Host}, scheduling.Cursor{}, 100); len(n) > 0 && !strings.HasPrefix(c.name, "who") {
					for _, s := range n {
						if s.Series != "" {
							t.Fatalf("a refused series booked %s", s.ID)
						}
					}
				}
				return
			}
			if c.starts[0] != "" {
				if s := starts(got.Sessions, shanghai); !slices.Equal(s, c.starts) {
					t.Fatalf("sessions at %v, want %v", s, c.starts)
				}
			} else if len(got.Sessions) != len(c.starts) {
				t.Fatalf("%d sessions, want %d", len(got.Sessions), len(c.starts))
			}
			var reasons []string
			for _, k := range got.Series.Skipped {
				reasons = append(reasons, k.Reason)
			}
			if !slices.Equal(reasons, c.skipped) {
				t.Fatalf("skipped %v, want %v", got.Series.Skipped, c.skipped)
			}
			for i, s := range got.Sessions {
				stored, err := f.svc.GetSession(s.ID)
				if err != nil || stored.Series != "tea-evenings" || stored.State != c.state || got.Series.SessionIDs[i] != s.ID ||
					s.ID != "tea-evenings-"+s.Start.In(shanghai).Format("20060102") || s.Length() != c.in.Template.Length() {
					t.Fatalf("session %d: %+v, %v; want %s of series tea-evenings", i, stored, err, c.state)
				}
			}
		})
	}
}

// TestSeriesKeepTheirLocalTime: 20:00 stays 20:00 in the alliance's zone,
// built from the local date and clock, so in a zone with daylight saving
// the UTC time of an occurrence moves with the change of offset.
func TestSeriesKeepTheirLocalTime(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	r := rules
	r.Zone = ny
	f := newFixtureWith(t, r)
	f.clock.Set(time.Date(2031, 3, 1, 12, 0, 0, 0, ny))
	t0 := time.Date(2031, 3, 2, 20, 0, 0, 0, ny) // a Sunday; clocks go forward on 9 March
	got, err := f.svc.CreateSessionSeries(staff, scheduling.Series{Template: lasting("members/host", s1, t0, 2*time.Hour),
		Recurrence: weekly(3, time.Sunday)}, "", "", false)
	if err != nil {
		t.Fatal(err)
	}
	var utc []string
	for _, s := range got.Sessions {
		utc = append(utc, s.Start.UTC().Format("01-02 15:04"))
	}
	if l, want := starts(got.Sessions, ny), []string{"Sun 03-02 20:00", "Sun 03-09 20:00", "Sun 03-16 20:00"}; !slices.Equal(l, want) {
		t.Fatalf("local starts %v, want %v", l, want)
	}
	if want := []string{"03-03 01:00", "03-10 00:00", "03-17 00:00"}; !slices.Equal(utc, want) {
		t.Fatalf("UTC starts %v, want %v", utc, want)
	}
	for _, s := range got.Sessions {
		if s.End.In(ny).Format("15:04") != "22:00" {
			t.Fatalf("%s ends at %s local, want 22:00", s.ID, s.End.In(ny).Format("15:04"))
		}
	}
}

func TestSessionSeriesIdempotenceAndCancel(t *testing.T) {
	t.Run("a repeated request_id returns the first answer", func(t *testing.T) {
		f := newFixture(t)
		in := scheduling.Series{Template: evening("members/host", s1), Recurrence: weekly(2, time.Tuesday)}
		first, err := f.svc.CreateSessionSeries(staff, in, "", "req-1", false)
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.svc.CreateSessionSeries(staff, in, "", "req-1", false)
		if err != nil || again.Series.ID != first.Series.ID || len(again.Sessions) != 2 {
			t.Fatalf("repeat: %+v, %v", again, err)
		}
	})
	t.Run("a series id that is taken is SERIES_ALREADY_EXISTS", func(t *testing.T) {
		f := newFixture(t)
		in := scheduling.Series{Template: evening("members/host", s1), Recurrence: weekly(1)}
		if _, err := f.svc.CreateSessionSeries(staff, in, "tea", "", false); err != nil {
			t.Fatal(err)
		}
		in.Template = evening("members/other-host", s2)
		_, err := f.svc.CreateSessionSeries(staff, in, "tea", "", false)
		wantReason(t, err, scheduling.ReasonSeriesAlreadyExists, nil)
	})
	t.Run("cancel: the occurrences not started are cancelled, one changed alone stays the series'", func(t *testing.T) {
		f := newFixture(t)
		got, err := f.svc.CreateSessionSeries(staff, scheduling.Series{Template: evening("members/host", s1), Recurrence: weekly(4, time.Tuesday)}, "tea", "", false)
		if err != nil {
			t.Fatal(err)
		}
		ids := got.Series.SessionIDs
		f.clock.Set(local(0, "20:00"))
		if _, err := f.svc.StartSession(staff, ids[0], ""); err != nil { // LIVE: stays
			t.Fatal(err)
		}
		moved, err := f.svc.UpdateSession(staff, scheduling.Session{ID: ids[1], Title: "特别场"}, []string{"title"}, "")
		if err != nil || moved.Series != "tea" {
			t.Fatalf("an occurrence changed alone: %+v, %v", moved, err)
		}
		if _, err := f.svc.CancelSession(staff, ids[2], "单场取消", ""); err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.CancelSessionSeries(as("members/other-host", members.Host), "tea", "")
		wantReason(t, err, fault.ReasonPermissionDenied, nil)
		res, err := f.svc.CancelSessionSeries(hostKey, "tea", "主播转会")
		if err != nil {
			t.Fatal(err)
		}
		var cancelled []string
		for _, s := range res.Sessions {
			cancelled = append(cancelled, s.ID)
		}
		if !slices.Equal(cancelled, []string{ids[1], ids[3]}) || res.Series.CancelReason != "主播转会" {
			t.Fatalf("cancelled %v (%q), want %v", cancelled, res.Series.CancelReason, []string{ids[1], ids[3]})
		}
		for i, want := range []scheduling.State{scheduling.StateLive, scheduling.StateCancelled, scheduling.StateCancelled, scheduling.StateCancelled} {
			if s, _ := f.svc.GetSession(ids[i]); s.State != want {
				t.Fatalf("%s is %s, want %s", ids[i], s.State, want)
			}
		}
		if s, _ := f.svc.GetSession(ids[2]); s.CancelReason != "单场取消" {
			t.Fatalf("the one cancelled alone says %q", s.CancelReason)
		}
		again, err := f.svc.CancelSessionSeries(staff, "tea", "")
		if err != nil || len(again.Sessions) != 0 {
			t.Fatalf("a second cancel: %+v, %v; want nothing left to cancel", again, err)
		}
	})
	t.Run("an unknown series is SERIES_NOT_FOUND", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.GetSessionSeries("nope")
		wantReason(t, err, scheduling.ReasonSeriesNotFound, nil)
		_, err = f.svc.CancelSessionSeries(staff, "nope", "")
		wantReason(t, err, scheduling.ReasonSeriesNotFound, nil)
	})
}
