package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// ended is a historical ENDED session of host in studio, from..to minutes
// after t0 (negative: in the past), that ran exactly as planned.
func ended(id, host, studio string, from, to int) *sessionv1.ImportSessionsRequest {
	s := draft(host, studio, from, to)
	s.State = sessionv1.SessionState_SESSION_STATE_ENDED
	s.ActualStartTime, s.ActualEndTime = s.StartTime, s.EndTime
	return &sessionv1.ImportSessionsRequest{SessionId: id, Session: s}
}

func cancelled(id, host, studio string, from, to int) *sessionv1.ImportSessionsRequest {
	s := draft(host, studio, from, to)
	s.State = sessionv1.SessionState_SESSION_STATE_CANCELLED
	s.CancelReason = "the host fell ill"
	return &sessionv1.ImportSessionsRequest{SessionId: id, Session: s}
}

func edit(r *sessionv1.ImportSessionsRequest, change func(*sessionv1.Session)) *sessionv1.ImportSessionsRequest {
	r = proto.Clone(r).(*sessionv1.ImportSessionsRequest)
	change(r.Session)
	return r
}

// importStream sends lines in one ImportSessions stream.
func importStream(ctx context.Context, api sessionv1.SessionSchedulerClient, lines ...*sessionv1.ImportSessionsRequest) (*sessionv1.ImportSessionsResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	stream, err := api.ImportSessions(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		if err := stream.Send(l); err != nil {
			break // the answer says why
		}
	}
	return stream.CloseAndRecv()
}

func (w *world) mustImport(lines ...*sessionv1.ImportSessionsRequest) *sessionv1.ImportSessionsResponse {
	w.t.Helper()
	resp, err := importStream(context.Background(), w.api, lines...)
	if err != nil {
		w.t.Fatalf("import: %v", err)
	}
	return resp
}

// TestImportSessionsRules sends one line per rule after a stored history
// of one ENDED session (host-a in x1, 2 days before t0, 10:00-11:40) and
// checks each line's judgement.
func TestImportSessionsRules(t *testing.T) {
	w := newWorld(t)
	w.suspendedHostAndBase()
	const day = -48 * 60 // two days before t0, 08:00
	stored := ended("held", "host-a", x1, day+120, day+220)
	if resp := w.mustImport(stored); resp.Accepted != 1 || resp.Rejected != 0 {
		t.Fatalf("the first import: %v", resp)
	}
	sell := func(merchants []string, products ...string) func(*sessionv1.Session) {
		return func(s *sessionv1.Session) { s.Merchants, s.Products = merchants, products }
	}
	cases := []struct {
		name   string
		line   *sessionv1.ImportSessionsRequest
		code   codes.Code // OK: accepted
		reason string
	}{
		{"history: an ENDED session in the past is accepted", ended("e1", "host-b", x2, day+120, day+220), codes.OK, ""},
		{"history: a CANCELLED session with a reason is accepted", cancelled("c1", "host-a", x1, day+130, day+200), codes.OK, ""},
		{"history: a host suspended since is accepted", ended("e2", "host-off", y1, day, day+100), codes.OK, ""},
		{"history: a base suspended since is accepted", ended("e3", "host-b", "members/base-off/studios/s1", day, day+100), codes.OK, ""},
		{"history: a product discontinued since is accepted", edit(ended("e4", "host-b", y1, day+300, day+400), sell([]string{"members/farm"}, "members/farm/products/old-tea")), codes.OK, ""},
		{"history: actual times may differ from the plan", edit(ended("e5", "host-b", y1, day+500, day+600), func(s *sessionv1.Session) {
			s.ActualStartTime, s.ActualEndTime = timestamppb.New(at(day+505)), timestamppb.New(at(day+640))
		}), codes.OK, ""},
		{"repeat: the identical session again is a duplicate", stored, codes.OK, "duplicate"},
		{"repeat: other contents under a stored id", edit(stored, func(s *sessionv1.Session) { s.Title = "another title" }), codes.AlreadyExists, "SESSION_ALREADY_EXISTS"},
		{"double booking: the host of a stored ENDED session", ended("d1", "host-a", y1, day+180, day+260), codes.FailedPrecondition, "HOST_DOUBLE_BOOKED"},
		{"double booking: the studio buffer after a stored ENDED session", ended("d2", "host-b", x1, day+230, day+330), codes.FailedPrecondition, "STUDIO_DOUBLE_BOOKED"},
		{"double booking: an earlier line of the same stream", ended("d3", "host-b", y1, day+150, day+250), codes.FailedPrecondition, "HOST_DOUBLE_BOOKED"},
		{"members: unknown host", ended("m1", "nobody", x1, day+600, day+700), codes.NotFound, "HOST_NOT_FOUND"},
		{"members: a base is not a host", ended("m2", "base-y", x1, day+600, day+700), codes.FailedPrecondition, "WRONG_MEMBER_KIND"},
		{"members: unknown studio", ended("m3", "host-a", "members/base-x/studios/s9", day+600, day+700), codes.NotFound, "STUDIO_NOT_FOUND"},
		{"members: an agency is not a merchant", edit(ended("m4", "host-a", x1, day+600, day+700), sell([]string{"members/mcn"})), codes.FailedPrecondition, "WRONG_MEMBER_KIND"},
		{"members: unknown product", edit(ended("m5", "host-a", x1, day+600, day+700), sell([]string{"members/farm"}, "members/farm/products/nothing")), codes.FailedPrecondition, "PRODUCT_NOT_OFFERED"},
		{"shape: SCHEDULED is not a final state", edit(ended("s1", "host-a", x1, day+600, day+700), func(s *sessionv1.Session) { s.State = sessionv1.SessionState_SESSION_STATE_SCHEDULED }), codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"shape: ENDED needs actual_end_time", edit(ended("s2", "host-a", x1, day+600, day+700), func(s *sessionv1.Session) { s.ActualEndTime = nil }), codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"shape: ENDED may not end in the future", ended("s3", "host-a", x1, -30, 70), codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"shape: CANCELLED has no actual times", edit(cancelled("s4", "host-a", x1, day+600, day+700), func(s *sessionv1.Session) { s.ActualStartTime = s.StartTime }), codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"shape: session_id is required", ended("", "host-a", x1, day+600, day+700), codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"shape: the length rule holds", ended("s5", "host-a", x1, day+600, day+610), codes.InvalidArgument, "INVALID_ARGUMENT"},
		{"shape: a malformed timestamp", edit(ended("s6", "host-a", x1, day+600, day+700), func(s *sessionv1.Session) { s.ActualStartTime = &timestamppb.Timestamp{Nanos: -1} }), codes.InvalidArgument, "INVALID_ARGUMENT"},
	}
	lines := make([]*sessionv1.ImportSessionsRequest, len(cases))
	for i, c := range cases {
		lines[i] = c.line
	}
	resp := w.mustImport(lines...)
	byIndex := map[int64]*sessionv1.ImportError{}
	for _, e := range resp.Errors {
		byIndex[e.Index] = e
	}
	var accepted, duplicates int64
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := byIndex[int64(i)]
			switch {
			case c.code == codes.OK && e != nil:
				t.Fatalf("rejected: %v", e)
			case c.code != codes.OK && e == nil:
				t.Fatalf("accepted, want %s %s", c.code, c.reason)
			case c.code != codes.OK && (e.Code != codeName(c.code) || e.Reason != c.reason):
				t.Fatalf("got %s %s (%s), want %s %s", e.Code, e.Reason, e.Message, codeName(c.code), c.reason)
			}
		})
		switch {
		case c.reason == "duplicate":
			duplicates++
		case c.code == codes.OK:
			accepted++
		}
	}
	if resp.Accepted != accepted || resp.Duplicates != duplicates || resp.Rejected != int64(len(cases))-accepted-duplicates {
		t.Fatalf("counts %d/%d/%d, want accepted %d, duplicates %d, the rest rejected", resp.Accepted, resp.Duplicates, resp.Rejected, accepted, duplicates)
	}
	t.Run("an imported session reads back in its final state", func(t *testing.T) {
		got, err := w.api.GetSession(context.Background(), &sessionv1.GetSessionRequest{Name: "sessions/e5"})
		if err != nil {
			t.Fatal(err)
		}
		if got.State != sessionv1.SessionState_SESSION_STATE_ENDED || !got.ActualEndTime.AsTime().Equal(at(day+640)) || got.Etag == "" {
			t.Fatalf("sessions/e5 = %v", got)
		}
		c, err := w.api.GetSession(context.Background(), &sessionv1.GetSessionRequest{Name: "sessions/c1"})
		if err != nil || c.State != sessionv1.SessionState_SESSION_STATE_CANCELLED || c.CancelReason != "the host fell ill" {
			t.Fatalf("sessions/c1 = %v, %v", c, err)
		}
	})
	t.Run("rejected lines stored nothing", func(t *testing.T) {
		list, err := w.api.ListSessions(context.Background(), &sessionv1.ListSessionsRequest{PageSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 + int(accepted); len(list.Sessions) != want {
			t.Fatalf("%d sessions stored, want %d", len(list.Sessions), want)
		}
	})
	t.Run("counters: ENDED sessions count by start and by actual end", func(t *testing.T) {
		wantEnded := accepted - 1 + 1 // the accepted lines but c1, and the first import
		n := w.count(&sessionv1.CountSessionsRequest{State: sessionv1.SessionState_SESSION_STATE_ENDED})
		byEnd := w.count(&sessionv1.CountSessionsRequest{EndedAfter: timestamppb.New(at(day - 60)), EndedBefore: timestamppb.New(at(0))})
		cancelledN := w.count(&sessionv1.CountSessionsRequest{State: sessionv1.SessionState_SESSION_STATE_CANCELLED})
		if n != wantEnded || byEnd != wantEnded || cancelledN != 1 {
			t.Fatalf("ENDED %d, ended in the range %d, CANCELLED %d; want %d, %d, 1", n, byEnd, cancelledN, wantEnded, wantEnded)
		}
	})
}

func (w *world) count(req *sessionv1.CountSessionsRequest) int64 {
	w.t.Helper()
	resp, err := w.api.CountSessions(context.Background(), req)
	if err != nil {
		w.t.Fatal(err)
	}
	return resp.Count
}

func codeName(c codes.Code) string {
	return map[codes.Code]string{
		codes.OK: "OK", codes.InvalidArgument: "INVALID_ARGUMENT", codes.NotFound: "NOT_FOUND",
		codes.AlreadyExists: "ALREADY_EXISTS", codes.FailedPrecondition: "FAILED_PRECONDITION",
	}[c]
}

// TestImportSessionsAcrossBatches streams more lines than one transaction
// commits: a line of the second batch still meets a line of the first,
// and a second run of the same stream is all duplicates.
func TestImportSessionsAcrossBatches(t *testing.T) {
	w := newWorld(t)
	const n = 1200 // one batch of 1,000 and one of 200
	var lines []*sessionv1.ImportSessionsRequest
	for i := range n - 1 {
		// host-a and host-b alternate in x1 and x2, a session every 2 hours from 60 days back.
		host, studio := "host-a", x1
		if i%2 == 1 {
			host, studio = "host-b", x2
		}
		from := -60*24*60 + (i/2)*120
		lines = append(lines, ended(fmt.Sprintf("h%04d", i), host, studio, from, from+100))
	}
	// The last line, in the second batch, puts host-a into y1 during line 0.
	lines = append(lines, ended("late", "host-a", y1, -60*24*60+10, -60*24*60+110))
	resp := w.mustImport(lines...)
	if resp.Accepted != n-1 || resp.Rejected != 1 || resp.Errors[0].Index != n-1 || resp.Errors[0].Reason != "HOST_DOUBLE_BOOKED" {
		t.Fatalf("first run: accepted %d rejected %d, first errors %v", resp.Accepted, resp.Rejected, resp.Errors[:min(3, len(resp.Errors))])
	}
	again := w.mustImport(lines...)
	if again.Duplicates != n-1 || again.Accepted != 0 || again.Rejected != 1 {
		t.Fatalf("second run: %d accepted, %d duplicates, %d rejected", again.Accepted, again.Duplicates, again.Rejected)
	}
	if got := w.count(&sessionv1.CountSessionsRequest{}); got != n-1 {
		t.Fatalf("%d sessions stored, want %d", got, n-1)
	}
}
