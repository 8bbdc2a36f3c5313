package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestListSessionsPagingAndRestart(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var want []string
	// Two studios, interleaved start times, and two sessions that start
	// together, so the order by (start_time, name) is tested.
	for i := range 7 {
		s := draft("host-a", x1, 60+i*100, 120+i*100)
		if i%2 == 1 {
			s = draft("host-b", y1, 60+i*100, 120+i*100)
		}
		w.mustCreate(s)
	}
	w.mustCreate(draft("host-b", x2, 60, 120))
	all, err := w.api.ListSessions(ctx, &sessionv1.ListSessionsRequest{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range all.GetSessions() {
		if i > 0 {
			prev := all.GetSessions()[i-1]
			a, b := prev.GetStartTime().AsTime(), s.GetStartTime().AsTime()
			if a.After(b) || (a.Equal(b) && prev.GetName() > s.GetName()) {
				t.Fatalf("not ordered by start_time then name at %d", i)
			}
		}
		want = append(want, s.GetName())
	}
	if len(want) != 8 {
		t.Fatalf("listed %d sessions, want 8", len(want))
	}

	got := listPages(ctx, t, w.api, &sessionv1.ListSessionsRequest{PageSize: 3}, 7)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("pages gave %v, want %v", got, want)
	}

	first, _ := w.api.ListSessions(ctx, &sessionv1.ListSessionsRequest{PageSize: 3})
	tok := []byte(first.GetNextPageToken())
	tok[2] ^= 1
	_, err = w.api.ListSessions(ctx, &sessionv1.ListSessionsRequest{PageSize: 3, PageToken: string(tok)})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	_, err = w.api.ListSessions(ctx, &sessionv1.ListSessionsRequest{PageSize: 3, PageToken: first.GetNextPageToken(), Host: "members/host-a"})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	_, err = w.api.ListSessions(ctx, &sessionv1.ListSessionsRequest{PageSize: -1})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")

	filters := []struct {
		name string
		req  *sessionv1.ListSessionsRequest
		want int
	}{
		{"host", &sessionv1.ListSessionsRequest{Host: "members/host-b"}, 4},
		{"studio", &sessionv1.ListSessionsRequest{Studio: x1}, 4},
		{"base", &sessionv1.ListSessionsRequest{Base: "members/base-x"}, 5},
		{"start range", &sessionv1.ListSessionsRequest{StartAfter: timestamppb.New(at(60)), StartBefore: timestamppb.New(at(260))}, 3},
		{"state", &sessionv1.ListSessionsRequest{State: sessionv1.SessionState_SESSION_STATE_CANCELLED}, 0},
		{"platform", &sessionv1.ListSessionsRequest{Platform: typev1.Platform_PLATFORM_JD}, 0},
		{"merchant", &sessionv1.ListSessionsRequest{Merchant: "members/farm"}, 0},
	}
	for _, f := range filters {
		resp, err := w.api.ListSessions(ctx, f.req)
		if err != nil || len(resp.GetSessions()) != f.want {
			t.Fatalf("filter %s: %d sessions, %v; want %d", f.name, len(resp.GetSessions()), err, f.want)
		}
	}

	// A restart keeps the sessions and the page-token key.
	w.stop()
	w.startScheduler(appConfig(w.regAddr))
	again, err := w.api.ListSessions(ctx, &sessionv1.ListSessionsRequest{PageSize: 3, PageToken: first.GetNextPageToken()})
	if err != nil || len(again.GetSessions()) != 3 || again.GetSessions()[0].GetName() != want[3] {
		t.Fatalf("after restart: %v, %v; want the second page", again, err)
	}
	if _, err := w.api.GetSession(ctx, &sessionv1.GetSessionRequest{Name: want[0]}); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	// The booking rules still see the stored sessions.
	_, err = w.create(draft("host-b", x1, 70, 130))
	wantErr(t, err, codes.FailedPrecondition, "STUDIO_DOUBLE_BOOKED")
}

func TestCountSessionsMatchesTheSessions(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// Sessions over three days at odd minutes; end some, cancel one, keep
	// some SCHEDULED. Each ends at a time that is not on the hour.
	var sessions []*sessionv1.Session
	for i := range 24 {
		w.clock.Set(t0)
		from := 37 + i*173
		studio := []string{x1, x2, y1}[i%3]
		host := []string{"host-a", "host-b"}[i%2]
		s := w.mustCreate(draft(host, studio, from, from+45))
		w.clock.Set(at(from - 3))
		var err error
		switch i % 4 {
		case 0, 1:
			if _, err := w.do(start, s.GetName(), ""); err != nil {
				t.Fatal(err)
			}
			w.clock.Set(at(from + 40 + i))
			if s, err = w.do(end, s.GetName(), ""); err != nil {
				t.Fatal(err)
			}
		case 2:
			if s, err = w.do(cancel, s.GetName(), ""); err != nil {
				t.Fatal(err)
			}
		}
		sessions = append(sessions, s)
	}
	// The sessions left SCHEDULED have passed their no-show grace: they
	// are NO_SHOW now, and the counts must say so.
	var names []string
	for _, s := range sessions {
		names = append(names, s.GetName())
	}
	now, err := w.api.BatchGetSessions(ctx, &sessionv1.BatchGetSessionsRequest{Names: names})
	if err != nil {
		t.Fatal(err)
	}
	sessions = now.GetSessions()
	noShows := 0
	for _, s := range sessions {
		if s.GetState() == sessionv1.SessionState_SESSION_STATE_NO_SHOW {
			noShows++
		}
	}
	if noShows != 5 { // six never started; the clock stands before the last one's start
		t.Fatalf("%d no-shows among the sessions never started, want 5", noShows)
	}
	count := func(req *sessionv1.CountSessionsRequest) int64 {
		t.Helper()
		resp, err := w.api.CountSessions(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetCount()
	}
	in := func(ts *timestamppb.Timestamp, from, to time.Time) bool {
		if ts == nil {
			return false
		}
		x := ts.AsTime()
		return (from.IsZero() || !x.Before(from)) && (to.IsZero() || x.Before(to))
	}
	opt := func(x time.Time) *timestamppb.Timestamp {
		if x.IsZero() {
			return nil
		}
		return timestamppb.New(x)
	}
	ranges := [][2]time.Time{
		{}, {at(0), at(24 * 60 * 365)}, {at(30), at(31)}, {at(37), at(38)}, {at(0), at(90)},
		{at(95), at(1000)}, {at(200), at(2222)}, {at(59), at(61 + 2*60)}, {{}, at(1500)}, {at(1500), {}},
		{at(-24 * 60 * 365), at(24 * 60 * 365)},
	}
	states := []sessionv1.SessionState{0, 1, 2, 3, 4, 5, 6, 7}
	for _, r := range ranges {
		for _, st := range states {
			var byStart, byEnd int64
			for _, s := range sessions {
				if st != 0 && s.GetState() != st {
					continue
				}
				if in(s.GetStartTime(), r[0], r[1]) {
					byStart++
				}
				if (!r[0].IsZero() || !r[1].IsZero()) && in(s.GetActualEndTime(), r[0], r[1]) {
					byEnd++
				}
			}
			if got := count(&sessionv1.CountSessionsRequest{State: st, StartAfter: opt(r[0]), StartBefore: opt(r[1])}); got != byStart {
				t.Fatalf("state %s start in %v: count %d, want %d", st, r, got, byStart)
			}
			if r[0].IsZero() && r[1].IsZero() {
				continue
			}
			if got := count(&sessionv1.CountSessionsRequest{State: st, EndedAfter: opt(r[0]), EndedBefore: opt(r[1])}); got != byEnd {
				t.Fatalf("state %s ended in %v: count %d, want %d", st, r, got, byEnd)
			}
		}
	}
	// Both filters at once.
	var both int64
	for _, s := range sessions {
		if in(s.GetStartTime(), at(0), at(2000)) && in(s.GetActualEndTime(), at(500), at(4000)) {
			both++
		}
	}
	if got := count(&sessionv1.CountSessionsRequest{StartAfter: opt(at(0)), StartBefore: opt(at(2000)), EndedAfter: opt(at(500)), EndedBefore: opt(at(4000))}); got != both || both == 0 {
		t.Fatalf("start and end filters: count %d, want %d (>0)", got, both)
	}
}

func TestFindAvailableSlots(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// t0 = 08:00. Studio x1 busy 10:00-11:00 (host-b); host-a busy in y1 12:00-13:00.
	w.mustCreate(draft("host-b", x1, 120, 180))
	w.mustCreate(draft("host-a", y1, 240, 300))
	cancelled := w.mustCreate(draft("host-a", x2, 120, 180))
	if _, err := w.do(cancel, cancelled.GetName(), ""); err != nil {
		t.Fatal(err)
	}
	find := func(req *sessionv1.FindAvailableSlotsRequest) []string {
		t.Helper()
		resp, err := w.api.FindAvailableSlots(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range resp.GetSlots() {
			out = append(out, fmt.Sprintf("%s %s-%s", s.GetStudio()[len("members/"):], s.GetStartTime().AsTime().Format("15:04"), s.GetEndTime().AsTime().Format("15:04")))
		}
		return out
	}
	hour := durationpb.New(time.Hour)
	window := func(req *sessionv1.FindAvailableSlotsRequest) *sessionv1.FindAvailableSlotsRequest {
		req.WindowStart, req.WindowEnd = timestamppb.New(at(0)), timestamppb.New(at(6*60))
		return req
	}
	quarter := durationpb.New(15 * time.Minute)
	cases := []struct {
		name string
		req  *sessionv1.FindAvailableSlotsRequest
		want string
	}{
		{"slots are exactly the duration long, every 30 minutes, clear of the buffer around a session", window(&sessionv1.FindAvailableSlotsRequest{Studio: x1, Duration: hour}),
			"[base-x/studios/s1 08:00-09:00 base-x/studios/s1 08:30-09:30 base-x/studios/s1 11:30-12:30 base-x/studios/s1 12:00-13:00 base-x/studios/s1 12:30-13:30 base-x/studios/s1 13:00-14:00]"},
		{"a step of 15 minutes finds the slots at the buffer's edges", window(&sessionv1.FindAvailableSlotsRequest{Studio: x1, Duration: hour, Step: quarter, PageSize: 4}),
			"[base-x/studios/s1 08:00-09:00 base-x/studios/s1 08:15-09:15 base-x/studios/s1 08:30-09:30 base-x/studios/s1 08:45-09:45]"},
		{"every studio of a base, by start then studio; a cancelled session frees its slot", window(&sessionv1.FindAvailableSlotsRequest{Base: "members/base-x", Duration: durationpb.New(3 * time.Hour), Step: hour}),
			"[base-x/studios/s2 08:00-11:00 base-x/studios/s2 09:00-12:00 base-x/studios/s2 10:00-13:00 base-x/studios/s2 11:00-14:00]"},
		{"the host's other sessions are avoided", window(&sessionv1.FindAvailableSlotsRequest{Studio: x1, Host: "members/host-a", Duration: hour, Step: quarter}),
			"[base-x/studios/s1 08:00-09:00 base-x/studios/s1 08:15-09:15 base-x/studios/s1 08:30-09:30 base-x/studios/s1 08:45-09:45 base-x/studios/s1 13:00-14:00]"},
		{"no slot is shorter than the duration", window(&sessionv1.FindAvailableSlotsRequest{Studio: x1, Host: "members/host-a", Duration: durationpb.New(100 * time.Minute), Step: quarter}),
			"[base-x/studios/s1 08:00-09:40]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := fmt.Sprint(find(c.req)); got != c.want {
				t.Fatalf("slots %s, want %s", got, c.want)
			}
		})
	}
	t.Run("a found slot can be booked", func(t *testing.T) {
		w.mustCreate(draft("host-a", x1, 195, 240)) // 11:15-12:00, right after the buffer
	})
	bad := []struct {
		name string
		req  *sessionv1.FindAvailableSlotsRequest
	}{
		{"a window longer than 31 days", &sessionv1.FindAvailableSlotsRequest{Studio: x1, Duration: hour, WindowStart: timestamppb.New(at(0)), WindowEnd: timestamppb.New(at(32 * 24 * 60))}},
		{"neither studio nor base", window(&sessionv1.FindAvailableSlotsRequest{Duration: hour})},
		{"both studio and base", window(&sessionv1.FindAvailableSlotsRequest{Studio: x1, Base: "members/base-x", Duration: hour})},
		{"no duration", window(&sessionv1.FindAvailableSlotsRequest{Studio: x1})},
		{"window end before start", &sessionv1.FindAvailableSlotsRequest{Studio: x1, Duration: hour, WindowStart: timestamppb.New(at(60)), WindowEnd: timestamppb.New(at(0))}},
	}
	for _, c := range bad {
		t.Run(c.name+" is INVALID_ARGUMENT", func(t *testing.T) {
			_, err := w.api.FindAvailableSlots(ctx, c.req)
			wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		})
	}
	t.Run("an unknown studio is STUDIO_NOT_FOUND", func(t *testing.T) {
		_, err := w.api.FindAvailableSlots(ctx, window(&sessionv1.FindAvailableSlotsRequest{Studio: "members/base-x/studios/s5", Duration: hour}))
		wantErr(t, err, codes.NotFound, "STUDIO_NOT_FOUND")
	})
}

// listPages pages through the sessions that req lists, following the
// page tokens from the first page, and fails t when the listing has not
// ended after maxPages pages.
func listPages(ctx context.Context, t *testing.T, api sessionv1.SessionSchedulerClient, req *sessionv1.ListSessionsRequest, maxPages int) []string {
	t.Helper()
	var got []string
	for range maxPages {
		resp, err := api.ListSessions(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range resp.GetSessions() {
			got = append(got, s.GetName())
		}
		if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
			return got
		}
	}
	t.Fatalf("paging does not end after %d pages", maxPages)
	return nil
}
