package app_test

import (
	"context"
	"slices"
	"testing"
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// wrap is where Unix nanoseconds run out of int64: the last instant
// time.Time.UnixNano can carry is 2262-04-11T23:47:16.854775807Z.
var wrap = time.Date(2262, 4, 11, 23, 47, 16, 854775807, time.UTC)

// Limits of a google.protobuf.Timestamp.
var (
	firstStamp = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	lastStamp  = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

func sessionAt(host, studio string, from, to time.Time) *sessionv1.Session {
	s := draft(host, studio, 0, 60)
	s.StartTime, s.EndTime = timestamppb.New(from), timestamppb.New(to)
	return s
}

// wrapWorld is a world whose clock stands on 2262-04-11, the day UnixNano
// wraps, with sessions on both sides of the wrap: two booked (x1 before,
// y1 after) and two imported (one ENDED of 2001, one ENDED the day before).
func wrapWorld(t *testing.T) (*world, []string) {
	t.Helper()
	w := newWorld(t)
	day := time.Date(2262, 4, 11, 0, 0, 0, 0, time.UTC)
	w.clock.Set(day.Add(12 * time.Hour))
	hist := ended("hist-2001", "host-a", x2, 0, 60)
	hist.Session.StartTime, hist.Session.EndTime = timestamppb.New(time.Date(2001, 5, 1, 10, 0, 0, 0, time.UTC)), timestamppb.New(time.Date(2001, 5, 1, 11, 0, 0, 0, time.UTC))
	hist.Session.ActualStartTime, hist.Session.ActualEndTime = hist.Session.StartTime, hist.Session.EndTime
	eve := ended("hist-eve", "host-b", x2, 0, 60)
	eve.Session.StartTime, eve.Session.EndTime = timestamppb.New(day.Add(-14*time.Hour)), timestamppb.New(day.Add(-13*time.Hour))
	eve.Session.ActualStartTime, eve.Session.ActualEndTime = eve.Session.StartTime, eve.Session.EndTime
	if resp := w.mustImport(hist, eve); resp.Accepted != 2 {
		t.Fatalf("import: %v", resp)
	}
	before := w.mustCreate(sessionAt("host-a", x1, wrap.Add(-2*time.Hour).Truncate(time.Minute), wrap.Add(-time.Hour).Truncate(time.Minute)))
	after := w.mustCreate(sessionAt("host-b", y1, wrap.Add(2*time.Hour).Truncate(time.Minute), wrap.Add(3*time.Hour).Truncate(time.Minute)))
	return w, []string{"sessions/hist-2001", "sessions/hist-eve", before.GetName(), after.GetName()}
}

// TestNoDoubleBookingAcrossTheUnixNanoWrap: a session that runs across
// 2262-04-11T23:47:16Z holds its studio and its host like any other.
func TestNoDoubleBookingAcrossTheUnixNanoWrap(t *testing.T) {
	w := newWorld(t)
	w.clock.Set(time.Date(2262, 4, 11, 12, 0, 0, 0, time.UTC))
	across := w.mustCreate(sessionAt("host-a", x1, wrap.Add(-47*time.Minute).Truncate(time.Minute), wrap.Add(43*time.Minute).Truncate(time.Minute)))
	cases := []struct {
		name   string
		s      *sessionv1.Session
		reason string
	}{
		{"studio: a session starting after the wrap, inside one that started before", sessionAt("host-b", x1, wrap.Add(13*time.Minute).Truncate(time.Minute), wrap.Add(73*time.Minute).Truncate(time.Minute)), "STUDIO_DOUBLE_BOOKED"},
		{"studio: a session starting after the wrap, inside the changeover buffer", sessionAt("host-b", x1, wrap.Add(50*time.Minute).Truncate(time.Minute), wrap.Add(110*time.Minute).Truncate(time.Minute)), "STUDIO_DOUBLE_BOOKED"},
		{"host: the same host in another studio after the wrap", sessionAt("host-a", y1, wrap.Add(time.Minute).Truncate(time.Minute), wrap.Add(61*time.Minute).Truncate(time.Minute)), "HOST_DOUBLE_BOOKED"},
		{"host: the same host in another studio across the wrap", sessionAt("host-a", y1, wrap.Add(-10*time.Minute).Truncate(time.Minute), wrap.Add(50*time.Minute).Truncate(time.Minute)), "HOST_DOUBLE_BOOKED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := w.create(c.s)
			wantErr(t, err, codes.FailedPrecondition, c.reason)
			if !contains(err.Error(), across.GetName()) {
				t.Fatalf("%v does not name %s", err, across.GetName())
			}
		})
	}
	t.Run("a session after the buffer is booked", func(t *testing.T) {
		w.mustCreate(sessionAt("host-b", x1, wrap.Add(58*time.Minute).Truncate(time.Minute), wrap.Add(118*time.Minute).Truncate(time.Minute)))
	})
}

// TestFiltersOverTheWholeTimestampRange: any valid Timestamp is a correct
// bound of ListSessions and CountSessions, from 0001-01-01 to 9999-12-31,
// on either side of the wrap.
func TestFiltersOverTheWholeTimestampRange(t *testing.T) {
	w, all := wrapWorld(t)
	ctx := context.Background()
	ts := timestamppb.New
	cases := []struct {
		name         string
		after, until *timestamppb.Timestamp
		want         []string
	}{
		{"no bounds: every session in start order", nil, nil, all},
		{"after the first Timestamp: every session", ts(firstStamp), nil, all},
		{"before the first Timestamp: none", nil, ts(firstStamp), nil},
		{"before the last Timestamp: every session", nil, ts(lastStamp), all},
		{"after the last Timestamp: none", ts(lastStamp), nil, nil},
		{"before 1677 (below UnixNano): none", nil, ts(time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)), nil},
		{"after 1500 and before 2100", ts(time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)), ts(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)), all[:1]},
		{"after the wrap", ts(wrap), nil, all[3:]},
		{"before the wrap", nil, ts(wrap), all[:3]},
		{"from the day before to past the wrap", ts(time.Date(2262, 4, 10, 0, 0, 0, 0, time.UTC)), ts(time.Date(2262, 4, 13, 0, 0, 0, 0, time.UTC)), all[1:]},
		{"after 3000: none", ts(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)), ts(lastStamp), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// page by one, so the cursor crosses the wrap too
			got := listPages(ctx, t, w.api, &sessionv1.ListSessionsRequest{StartAfter: c.after, StartBefore: c.until, PageSize: 1}, 10)
			if !slices.Equal(got, c.want) {
				t.Fatalf("listed %v, want %v", got, c.want)
			}
			if n := w.count(&sessionv1.CountSessionsRequest{StartAfter: c.after, StartBefore: c.until}); n != int64(len(c.want)) {
				t.Fatalf("counted %d, want %d", n, len(c.want))
			}
		})
	}
	ended := []struct {
		name         string
		state        sessionv1.SessionState
		after, until *timestamppb.Timestamp
		want         int64
	}{
		{"ended after the first Timestamp: the ENDED sessions only", 0, ts(firstStamp), nil, 2},
		{"ended before the first Timestamp: none", 0, nil, ts(firstStamp), 0},
		{"ended before the last Timestamp: the ENDED sessions", 0, nil, ts(lastStamp), 2},
		{"ended after the first Timestamp, SCHEDULED: none", sessionv1.SessionState_SESSION_STATE_SCHEDULED, ts(firstStamp), nil, 0},
		{"ended before 2100", 0, nil, ts(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)), 1},
		{"ended after 2100 and before the wrap", 0, ts(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)), ts(wrap), 1},
	}
	for _, c := range ended {
		t.Run(c.name, func(t *testing.T) {
			if n := w.count(&sessionv1.CountSessionsRequest{State: c.state, EndedAfter: c.after, EndedBefore: c.until}); n != c.want {
				t.Fatalf("counted %d, want %d", n, c.want)
			}
		})
	}
}

// TestFindAvailableSlotsAcrossTheWrap: the busy intervals of a studio are
// found on both sides of the wrap.
func TestFindAvailableSlotsAcrossTheWrap(t *testing.T) {
	w := newWorld(t)
	w.clock.Set(time.Date(2262, 4, 11, 12, 0, 0, 0, time.UTC))
	// x1 busy 23:00-00:30 across the wrap.
	w.mustCreate(sessionAt("host-a", x1, time.Date(2262, 4, 11, 23, 0, 0, 0, time.UTC), time.Date(2262, 4, 12, 0, 30, 0, 0, time.UTC)))
	resp, err := w.api.FindAvailableSlots(context.Background(), &sessionv1.FindAvailableSlotsRequest{
		Studio: x1, Duration: durationpb.New(time.Hour), Step: durationpb.New(45 * time.Minute),
		WindowStart: timestamppb.New(time.Date(2262, 4, 11, 20, 0, 0, 0, time.UTC)),
		WindowEnd:   timestamppb.New(time.Date(2262, 4, 12, 4, 0, 0, 0, time.UTC)),
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range resp.GetSlots() {
		got = append(got, s.GetStartTime().AsTime().Format("15:04")+"-"+s.GetEndTime().AsTime().Format("15:04"))
	}
	// The grid of 45 minutes runs from midnight in Shanghai of the window
	// start's day (16:00 UTC); the session and its buffer block 22:45 to
	// 00:45 (UTC), across the wrap.
	if want := []string{"20:30-21:30", "21:15-22:15", "01:00-02:00", "01:45-02:45", "02:30-03:30"}; !slices.Equal(got, want) {
		t.Fatalf("slots %v, want %v", got, want)
	}
}

// TestInvalidTimestampsNameTheirField: a Timestamp outside its range, or
// with nanos outside [0, 1e9), is INVALID_ARGUMENT naming the field, in
// every RPC that takes one.
func TestInvalidTimestampsNameTheirField(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	tooLate := &timestamppb.Timestamp{Seconds: lastStamp.Unix() + 1}
	tooEarly := &timestamppb.Timestamp{Seconds: firstStamp.Unix() - 1}
	badNanos := &timestamppb.Timestamp{Seconds: t0.Unix(), Nanos: 1e9}
	negNanos := &timestamppb.Timestamp{Seconds: t0.Unix(), Nanos: -1}
	ok := timestamppb.New(at(60))
	slots := func(from, to *timestamppb.Timestamp) error {
		_, err := w.api.FindAvailableSlots(ctx, &sessionv1.FindAvailableSlotsRequest{Studio: x1, Duration: durationpb.New(time.Hour), WindowStart: from, WindowEnd: to})
		return err
	}
	list := func(from, to *timestamppb.Timestamp) error {
		_, err := w.api.ListSessions(ctx, &sessionv1.ListSessionsRequest{StartAfter: from, StartBefore: to})
		return err
	}
	count := func(r *sessionv1.CountSessionsRequest) error { _, err := w.api.CountSessions(ctx, r); return err }
	create := func(change func(*sessionv1.Session)) error {
		s := draft("host-a", x1, 60, 120)
		change(s)
		_, err := w.create(s)
		return err
	}
	cases := []struct {
		name  string
		call  func() error
		field string
	}{
		{"ListSessions start_after after 9999", func() error { return list(tooLate, nil) }, "start_after"},
		{"ListSessions start_before before 0001", func() error { return list(nil, tooEarly) }, "start_before"},
		{"ListSessions start_after with nanos of a second", func() error { return list(badNanos, nil) }, "start_after"},
		{"CountSessions start_before with negative nanos", func() error { return count(&sessionv1.CountSessionsRequest{StartBefore: negNanos}) }, "start_before"},
		{"CountSessions ended_after after 9999", func() error { return count(&sessionv1.CountSessionsRequest{EndedAfter: tooLate}) }, "ended_after"},
		{"CountSessions ended_before before 0001", func() error { return count(&sessionv1.CountSessionsRequest{EndedBefore: tooEarly}) }, "ended_before"},
		{"FindAvailableSlots window_start before 0001", func() error { return slots(tooEarly, ok) }, "window_start"},
		{"FindAvailableSlots window_end after 9999", func() error { return slots(ok, tooLate) }, "window_end"},
		{"CreateSession start_time after 9999", func() error { return create(func(s *sessionv1.Session) { s.StartTime = tooLate }) }, "session.start_time"},
		{"CreateSession end_time with nanos of a second", func() error { return create(func(s *sessionv1.Session) { s.EndTime = badNanos }) }, "session.end_time"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
			if fields := grpcx.FieldViolations(err); !slices.Contains(fields, c.field) {
				t.Fatalf("field violations %v do not name %s (%v)", fields, c.field, err)
			}
		})
	}
}

// TestTheFirstTimestampIsAnInstantNotAbsence: 0001-01-01T00:00:00Z is
// the zero time.Time, which the domain takes for "not given"; given as a
// session's time it meets the bound it breaks, not "is required".
func TestTheFirstTimestampIsAnInstantNotAbsence(t *testing.T) {
	w := newWorld(t)
	_, err := w.create(sessionAt("host-a", x1, firstStamp, firstStamp.Add(time.Hour)))
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	if !contains(details(err), "must not be in the past") {
		t.Fatalf("details %s; want the past bound", details(err))
	}
	line := ended("first", "host-a", x1, 0, 60)
	line.Session.StartTime, line.Session.EndTime = timestamppb.New(firstStamp), timestamppb.New(firstStamp.Add(time.Hour))
	line.Session.ActualStartTime, line.Session.ActualEndTime = line.Session.StartTime, line.Session.EndTime
	resp := w.mustImport(line)
	if len(resp.GetErrors()) != 1 || !contains(resp.GetErrors()[0].GetMessage(), "where imported history begins") {
		t.Fatalf("import: %v; want the 2000-01-01 bound", resp)
	}
}
