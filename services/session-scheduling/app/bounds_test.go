package app_test

import (
	"context"
	"flag"
	"slices"
	"testing"
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/session-scheduling/app"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// wantField checks that err is INVALID_ARGUMENT with a violation of field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	if fields := grpcx.FieldViolations(err); !slices.Contains(fields, field) {
		t.Fatalf("field violations %v do not name %s (%v)", fields, field, err)
	}
}

const day = 24 * 60 // minutes

// TestBookingHorizon: a session may start at most the booking horizon
// ahead of now (366 days by default, configurable); beyond it, create and
// a move by update are INVALID_ARGUMENT on session.start_time.
func TestBookingHorizon(t *testing.T) {
	w := newWorld(t)
	t.Run("default: a session 366 days ahead is booked", func(t *testing.T) {
		w.mustCreate(draft("host-a", x1, 366*day, 366*day+60))
	})
	t.Run("default: a minute past 366 days is refused", func(t *testing.T) {
		_, err := w.create(draft("host-a", x2, 366*day+1, 366*day+61))
		wantField(t, err, "session.start_time")
	})
	t.Run("default: the year 9999 is refused", func(t *testing.T) {
		_, err := w.create(sessionAt("host-a", x2, time.Date(9999, 12, 31, 10, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 11, 0, 0, 0, time.UTC)))
		wantField(t, err, "session.start_time")
	})
	far := w.mustCreate(draft("host-b", y1, 300*day, 300*day+60))

	w.stop()
	w.startScheduler(app.Config{MemberRegistryAddr: w.regAddr, BookingHorizon: 48 * time.Hour})
	update := func(s *sessionv1.Session, paths ...string) (*sessionv1.Session, error) {
		return w.api.UpdateSession(context.Background(), &sessionv1.UpdateSessionRequest{Session: s, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
	}
	t.Run("configured 48h: 47 hours ahead is booked", func(t *testing.T) {
		w.mustCreate(draft("host-a", x2, 47*60, 48*60))
	})
	t.Run("configured 48h: 49 hours ahead is refused", func(t *testing.T) {
		_, err := w.create(draft("host-b", x2, 49*60, 50*60))
		wantField(t, err, "session.start_time")
	})
	t.Run("configured 48h: moving a session beyond it is refused", func(t *testing.T) {
		near := w.mustCreate(draft("host-b", x2, 60, 120))
		_, err := update(&sessionv1.Session{Name: near.GetName(), StartTime: timestamppb.New(at(49 * 60)), EndTime: timestamppb.New(at(50 * 60))}, "start_time", "end_time")
		wantField(t, err, "session.start_time")
	})
	t.Run("configured 48h: a session booked further ahead before can still be renamed", func(t *testing.T) {
		if _, err := update(&sessionv1.Session{Name: far.GetName(), Title: "renamed"}, "title"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("configured 48h: no slot starts beyond it", func(t *testing.T) {
		find := func(from, to int) []string {
			resp, err := w.api.FindAvailableSlots(context.Background(), &sessionv1.FindAvailableSlotsRequest{
				Studio: y1, Duration: durationpb.New(time.Hour), WindowStart: timestamppb.New(at(from)), WindowEnd: timestamppb.New(at(to)),
			})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, s := range resp.GetSlots() {
				out = append(out, s.GetStartTime().AsTime().Sub(t0).String()+"-"+s.GetEndTime().AsTime().Sub(t0).String())
			}
			return out
		}
		if got, want := find(46*60, 52*60), []string{"46h0m0s-47h0m0s", "46h30m0s-47h30m0s", "47h0m0s-48h0m0s", "47h30m0s-48h30m0s", "48h0m0s-49h0m0s"}; !slices.Equal(got, want) {
			t.Fatalf("slots %v, want %v: the last starts at the horizon", got, want)
		}
		if got := find(48*60+1, 52*60); len(got) != 0 {
			t.Fatalf("slots %v beyond the horizon", got)
		}
	})
}

func TestBookingHorizonFlag(t *testing.T) {
	parse := func(args ...string) app.Config {
		var c app.Config
		if err := c.BindFlags(flag.NewFlagSet("test", flag.ContinueOnError)).Parse(args); err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := parse(); c.BookingHorizon != 366*24*time.Hour {
		t.Fatalf("default horizon %s, want 366 days", c.BookingHorizon)
	}
	t.Setenv("SESSION_SCHEDULING_BOOKING_HORIZON", "720h")
	if c := parse(); c.BookingHorizon != 720*time.Hour {
		t.Fatalf("horizon from the environment %s, want 720h", c.BookingHorizon)
	}
	if c := parse("-booking-horizon", "2160h"); c.BookingHorizon != 2160*time.Hour {
		t.Fatalf("horizon from the flag %s, want 2160h", c.BookingHorizon)
	}
	if _, err := app.New(app.Config{Config: service.Config{DataDir: t.TempDir()}, BookingHorizon: -time.Hour}, testkit.Quiet); err == nil {
		t.Fatal("a negative horizon was accepted")
	}
}

// TestImportBounds: imported history starts on 2000-01-01 at the earliest
// and no later than the booking horizon, and an ENDED session's actual
// times lie within a day of its planned interval.
func TestImportBounds(t *testing.T) {
	w := newWorld(t)
	y2k := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	planned := func(r *sessionv1.ImportSessionsRequest, from time.Time) *sessionv1.ImportSessionsRequest {
		return edit(r, func(s *sessionv1.Session) {
			d := s.EndTime.AsTime().Sub(s.StartTime.AsTime())
			s.StartTime, s.EndTime = timestamppb.New(from), timestamppb.New(from.Add(d))
			if s.ActualStartTime != nil {
				s.ActualStartTime, s.ActualEndTime = s.StartTime, s.EndTime
			}
		})
	}
	actual := func(r *sessionv1.ImportSessionsRequest, startShift, endShift time.Duration) *sessionv1.ImportSessionsRequest {
		return edit(r, func(s *sessionv1.Session) {
			s.ActualStartTime = timestamppb.New(s.StartTime.AsTime().Add(startShift))
			s.ActualEndTime = timestamppb.New(s.EndTime.AsTime().Add(endShift))
		})
	}
	cases := []struct {
		name  string
		line  *sessionv1.ImportSessionsRequest
		field string // "": accepted
	}{
		{"history: a session on 2000-01-01 is accepted", planned(ended("y2k", "host-a", x1, 0, 60), y2k), ""},
		{"history: a session of 1999 is refused", planned(ended("y1999", "host-a", x1, 0, 60), y2k.Add(-time.Hour)), "session.start_time"},
		{"history: a session of 1500 is refused", planned(ended("y1500", "host-a", x1, 0, 60), time.Date(1500, 6, 1, 10, 0, 0, 0, time.UTC)), "session.start_time"},
		{"history: a CANCELLED session within the horizon is accepted", cancelled("c-near", "host-a", x1, 300*day, 300*day+60), ""},
		{"history: a CANCELLED session beyond the horizon is refused", cancelled("c-far", "host-a", x1, 367*day, 367*day+60), "session.start_time"},
		{"history: a CANCELLED session in 9999 is refused", planned(cancelled("c-9999", "host-a", x1, 0, 60), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)), "session.start_time"},
		{"actual: started 23 hours early is accepted", actual(ended("early", "host-a", x1, -10*day, -10*day+60), -23*time.Hour, 0), ""},
		{"actual: started 25 hours early is refused", actual(ended("too-early", "host-a", x2, -10*day, -10*day+60), -25*time.Hour, 0), "session.actual_start_time"},
		{"actual: ended 25 hours late is refused", actual(ended("too-late", "host-a", y1, -10*day, -10*day+60), 0, 25*time.Hour), "session.actual_end_time"},
		{"actual: started a day after the planned end is refused", actual(ended("never", "host-b", y1, -20*day, -20*day+60), 26*time.Hour, 27*time.Hour), "session.actual_start_time"},
	}
	lines := make([]*sessionv1.ImportSessionsRequest, len(cases))
	for i, c := range cases {
		lines[i] = c.line
	}
	resp := w.mustImport(lines...)
	byIndex := map[int64]*sessionv1.ImportError{}
	for _, e := range resp.GetErrors() {
		byIndex[e.GetIndex()] = e
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := byIndex[int64(i)]
			switch {
			case c.field == "" && e != nil:
				t.Fatalf("rejected: %v", e)
			case c.field != "" && e == nil:
				t.Fatal("accepted")
			case c.field != "" && (e.GetCode() != "INVALID_ARGUMENT" || !contains(e.GetMessage(), c.field)):
				t.Fatalf("got %s %q, want INVALID_ARGUMENT naming %s", e.GetCode(), e.GetMessage(), c.field)
			}
		})
	}
}

// TestSlotWindowIsBounded: FindAvailableSlots searches at most 31 days;
// any longer window, up to the whole Timestamp range, is INVALID_ARGUMENT
// on window_end; the answer holds at most page_size slots (50 by
// default, 1000 at most); and a window wholly in the past or beyond the
// horizon finds nothing.
func TestSlotWindowIsBounded(t *testing.T) {
	w := newWorld(t)
	var size int32
	find := func(from, to time.Time) (*sessionv1.FindAvailableSlotsResponse, error) {
		return w.api.FindAvailableSlots(context.Background(), &sessionv1.FindAvailableSlotsRequest{
			Studio: x1, Duration: durationpb.New(time.Hour), WindowStart: timestamppb.New(from), WindowEnd: timestamppb.New(to), PageSize: size,
		})
	}
	_, err := find(firstStamp, lastStamp)
	wantField(t, err, "window_end")
	_, err = find(at(0), at(31*day+1))
	wantField(t, err, "window_end")
	// 31 days of a free studio hold 31*48-1 half-hourly starts of an hour.
	for _, c := range []struct{ size, want int32 }{{0, 50}, {7, 7}, {5000, 1000}} {
		size = c.size
		resp, err := find(at(0), at(31*day))
		if err != nil || int32(len(resp.GetSlots())) != c.want {
			t.Fatalf("a 31-day window, page_size %d: %d slots, %v; want %d", c.size, len(resp.GetSlots()), err, c.want)
		}
		if last := resp.GetSlots()[c.want-1]; last.GetEndTime().AsTime().Sub(last.GetStartTime().AsTime()) != time.Hour ||
			!last.GetStartTime().AsTime().Equal(at(int(c.want-1)*30)) {
			t.Fatalf("page_size %d: the last slot is %v, want an hour from %s", c.size, last, at(int(c.want-1)*30))
		}
	}
	size = -1
	_, err = find(at(0), at(day))
	wantField(t, err, "page_size")
	size = 0
	for _, window := range [][2]time.Time{
		{firstStamp, firstStamp.Add(time.Hour)},
		{time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1500, 1, 20, 0, 0, 0, 0, time.UTC)},
		{time.Date(9999, 12, 1, 0, 0, 0, 0, time.UTC), lastStamp},
	} {
		if resp, err := find(window[0], window[1]); err != nil || len(resp.GetSlots()) != 0 {
			t.Fatalf("window %v: %v, %v; want no slot", window, resp, err)
		}
	}
}
