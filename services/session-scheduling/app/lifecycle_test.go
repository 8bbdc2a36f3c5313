package app_test

import (
	"context"
	"testing"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

type action int

const (
	start action = iota
	end
	cancel
)

func (a action) String() string { return [...]string{"start", "end", "cancel"}[a] }

func (w *world) do(a action, name, etag string) (*sessionv1.Session, error) {
	ctx := context.Background()
	switch a {
	case start:
		return w.api.StartSession(ctx, &sessionv1.StartSessionRequest{Name: name, Etag: etag})
	case end:
		return w.api.EndSession(ctx, &sessionv1.EndSessionRequest{Name: name, Etag: etag})
	default:
		return w.api.CancelSession(ctx, &sessionv1.CancelSessionRequest{Name: name, Etag: etag, Reason: "rain"})
	}
}

// inState books a session at t0+60..120 min in a free studio slot and
// brings it to state, with the clock at t0+40 min afterwards.
func (w *world) inState(state sessionv1.SessionState, slot int) *sessionv1.Session {
	w.t.Helper()
	w.clock.Set(t0)
	from := 60 + slot*1000
	s := w.mustCreate(draft("host-a", x1, from, from+60))
	w.clock.Set(at(from - 20))
	var path []action
	switch state {
	case sessionv1.SessionState_SESSION_STATE_LIVE:
		path = []action{start}
	case sessionv1.SessionState_SESSION_STATE_ENDED:
		path = []action{start, end}
	case sessionv1.SessionState_SESSION_STATE_CANCELLED:
		path = []action{cancel}
	}
	for _, a := range path {
		var err error
		if s, err = w.do(a, s.GetName(), ""); err != nil {
			w.t.Fatalf("%s: %v", a, err)
		}
	}
	return s
}

func TestLifecycleTransitions(t *testing.T) {
	w := newWorld(t)
	const (
		scheduled = sessionv1.SessionState_SESSION_STATE_SCHEDULED
		live      = sessionv1.SessionState_SESSION_STATE_LIVE
		ended     = sessionv1.SessionState_SESSION_STATE_ENDED
		cancelled = sessionv1.SessionState_SESSION_STATE_CANCELLED
	)
	cases := []struct {
		name string
		from sessionv1.SessionState
		act  action
		want sessionv1.SessionState // 0: refused with INVALID_STATE_TRANSITION
	}{
		{"SCHEDULED -> LIVE by start", scheduled, start, live},
		{"SCHEDULED -> CANCELLED by cancel", scheduled, cancel, cancelled},
		{"SCHEDULED cannot end", scheduled, end, 0},
		{"LIVE -> ENDED by end", live, end, ended},
		{"LIVE cannot start again", live, start, 0},
		{"LIVE cannot be cancelled", live, cancel, 0},
		{"ENDED cannot start", ended, start, 0},
		{"ENDED cannot end again", ended, end, 0},
		{"ENDED cannot be cancelled", ended, cancel, 0},
		{"CANCELLED cannot start", cancelled, start, 0},
		{"CANCELLED cannot end", cancelled, end, 0},
		{"CANCELLED cannot be cancelled again", cancelled, cancel, 0},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := w.inState(c.from, i)
			got, err := w.do(c.act, s.GetName(), s.GetEtag())
			if c.want == 0 {
				wantErr(t, err, codes.FailedPrecondition, "INVALID_STATE_TRANSITION")
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", c.act, err)
			}
			if got.GetState() != c.want || got.GetEtag() == s.GetEtag() {
				t.Fatalf("state %s etag %s, want %s and a new etag", got.GetState(), got.GetEtag(), c.want)
			}
			switch c.want {
			case live:
				if !got.GetActualStartTime().AsTime().Equal(w.clock.Now()) {
					t.Fatalf("actual_start_time = %v, want %v", got.GetActualStartTime().AsTime(), w.clock.Now())
				}
			case ended:
				if !got.GetActualEndTime().AsTime().Equal(w.clock.Now()) {
					t.Fatalf("actual_end_time = %v, want %v", got.GetActualEndTime().AsTime(), w.clock.Now())
				}
			case cancelled:
				if got.GetCancelReason() != "rain" {
					t.Fatalf("cancel_reason = %q", got.GetCancelReason())
				}
			}
		})
	}
}

func TestStartSessionRules(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()

	t.Run("start is refused 31 minutes before start_time", func(t *testing.T) {
		s := w.mustCreate(draft("host-a", x1, 120, 180))
		w.clock.Set(at(120 - 31))
		_, err := w.do(start, s.GetName(), "")
		wantErr(t, err, codes.FailedPrecondition, "TOO_EARLY_TO_START")
		w.clock.Set(at(120 - 30))
		if _, err := w.do(start, s.GetName(), ""); err != nil {
			t.Fatalf("start exactly 30 minutes before: %v", err)
		}
	})
	for _, c := range []struct {
		name, suspended, reason string
		session                 *sessionv1.Session
		startAt                 int
	}{
		{"start is refused when the host was suspended after booking", "members/host-b", "HOST_NOT_ACTIVE", draft("host-b", x2, 60, 120), 55},
		{"start is refused when the base was suspended after booking", "members/base-y", "BASE_NOT_ACTIVE", draft("host-a", y1, 300, 360), 300},
	} {
		t.Run(c.name, func(t *testing.T) {
			w.clock.Set(t0)
			s := w.mustCreate(c.session)
			w.suspend(c.suspended)
			w.clock.Set(at(c.startAt))
			_, err := w.do(start, s.GetName(), "")
			wantErr(t, err, codes.FailedPrecondition, c.reason)
			got, _ := w.api.GetSession(ctx, &sessionv1.GetSessionRequest{Name: s.GetName()})
			if got.GetState() != sessionv1.SessionState_SESSION_STATE_SCHEDULED {
				t.Fatalf("state after the refused start = %s", got.GetState())
			}
		})
	}
	t.Run("a stale etag is ABORTED", func(t *testing.T) {
		w.clock.Set(t0)
		s := w.mustCreate(draft("host-a", x2, 600, 660))
		if _, err := w.api.UpdateSession(ctx, &sessionv1.UpdateSessionRequest{
			Session:    &sessionv1.Session{Name: s.GetName(), Title: "new title"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}},
		}); err != nil {
			t.Fatal(err)
		}
		for _, a := range []action{start, end, cancel} {
			_, err := w.do(a, s.GetName(), s.GetEtag())
			wantErr(t, err, codes.Aborted, "ETAG_MISMATCH")
		}
	})
	t.Run("an unknown session is NOT_FOUND", func(t *testing.T) {
		for _, a := range []action{start, end, cancel} {
			_, err := w.do(a, "sessions/nothing", "")
			wantErr(t, err, codes.NotFound, "SESSION_NOT_FOUND")
		}
	})
}

func TestUpdateSession(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	other := w.mustCreate(draft("host-b", x1, 240, 300))
	s := w.mustCreate(draft("host-a", x1, 60, 120))
	update := func(patch *sessionv1.Session, paths ...string) (*sessionv1.Session, error) {
		patch.Name = s.GetName()
		return w.api.UpdateSession(ctx, &sessionv1.UpdateSessionRequest{Session: patch, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
	}
	times := func(from, to int) *sessionv1.Session {
		return &sessionv1.Session{StartTime: timestamppb.New(at(from)), EndTime: timestamppb.New(at(to))}
	}

	t.Run("moving a session over its own old slot is no conflict", func(t *testing.T) {
		got, err := update(times(90, 150), "start_time", "end_time")
		if err != nil {
			t.Fatal(err)
		}
		if !got.GetStartTime().AsTime().Equal(at(90)) || got.GetEtag() == s.GetEtag() {
			t.Fatalf("update = %v", got)
		}
	})
	t.Run("moving into another session's buffer is STUDIO_DOUBLE_BOOKED", func(t *testing.T) {
		_, err := update(times(170, 230), "start_time", "end_time")
		wantErr(t, err, codes.FailedPrecondition, "STUDIO_DOUBLE_BOOKED")
	})
	t.Run("changing the host to one who is busy is HOST_DOUBLE_BOOKED", func(t *testing.T) {
		w.mustCreate(draft("host-b", y1, 60, 200))
		_, err := update(&sessionv1.Session{Host: "members/host-b"}, "host")
		wantErr(t, err, codes.FailedPrecondition, "HOST_DOUBLE_BOOKED")
	})
	t.Run("member rules are checked again", func(t *testing.T) {
		_, err := update(&sessionv1.Session{Studio: "members/base-x/studios/s7"}, "studio")
		wantErr(t, err, codes.NotFound, "STUDIO_NOT_FOUND")
		_, err = update(&sessionv1.Session{Products: []string{"members/shop/products/rice"}}, "products")
		wantErr(t, err, codes.FailedPrecondition, "PRODUCT_NOT_OFFERED")
	})
	t.Run("timing rules are checked again", func(t *testing.T) {
		_, err := update(times(90, 100), "start_time", "end_time")
		wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
		_, err = update(times(-30, 60), "start_time", "end_time")
		wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	})
	t.Run("an unknown mask path is INVALID_ARGUMENT", func(t *testing.T) {
		_, err := update(&sessionv1.Session{}, "colour")
		wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
	})
	t.Run("a stale etag is ABORTED", func(t *testing.T) {
		_, err := update(&sessionv1.Session{Title: "x", Etag: s.GetEtag()}, "title")
		wantErr(t, err, codes.Aborted, "ETAG_MISMATCH")
	})
	t.Run("only a SCHEDULED session can change", func(t *testing.T) {
		w.clock.Set(at(230))
		if _, err := w.do(start, other.GetName(), ""); err != nil {
			t.Fatal(err)
		}
		_, err := w.api.UpdateSession(ctx, &sessionv1.UpdateSessionRequest{
			Session: &sessionv1.Session{Name: other.GetName(), Title: "late change"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}},
		})
		wantErr(t, err, codes.FailedPrecondition, "SESSION_NOT_SCHEDULED")
	})
	t.Run("a late session may change its title though its start has passed", func(t *testing.T) {
		w.clock.Set(at(100))
		got, err := update(&sessionv1.Session{Title: "running late"}, "title")
		if err != nil || got.GetTitle() != "running late" {
			t.Fatalf("update = %v, %v", got, err)
		}
	})
}
