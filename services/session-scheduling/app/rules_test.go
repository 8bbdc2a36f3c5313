package app_test

import (
	"context"
	"slices"
	"testing"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	x1 = "members/base-x/studios/s1"
	x2 = "members/base-x/studios/s2"
	y1 = "members/base-y/studios/s1"
)

func TestCreateSessionRules(t *testing.T) {
	w := newWorld(t)
	w.suspendedHostAndBase()
	w.member("farm-off", memberv1.MemberKind_MEMBER_KIND_MERCHANT)
	w.product("farm-off", "honey", memberv1.ProductState_PRODUCT_STATE_ACTIVE)
	w.suspend("members/farm-off")

	with := func(s *sessionv1.Session, change func(*sessionv1.Session)) *sessionv1.Session {
		change(s)
		return s
	}
	sell := func(merchants []string, products ...string) func(*sessionv1.Session) {
		return func(s *sessionv1.Session) { s.Merchants, s.Products = merchants, products }
	}
	cases := []struct {
		name   string
		req    *sessionv1.CreateSessionRequest
		code   codes.Code
		reason string
		field  string // a BadRequest field violation, for INVALID_ARGUMENT
	}{
		{"host: unknown host", &sessionv1.CreateSessionRequest{Session: draft("nobody", x1, 60, 120)}, codes.NotFound, "HOST_NOT_FOUND", ""},
		{"host: a base is not a host", &sessionv1.CreateSessionRequest{Session: draft("base-y", x1, 60, 120)}, codes.FailedPrecondition, "WRONG_MEMBER_KIND", ""},
		{"host: a suspended host", &sessionv1.CreateSessionRequest{Session: draft("host-off", x1, 60, 120)}, codes.FailedPrecondition, "HOST_NOT_ACTIVE", ""},
		{"studio: unknown studio of a base", &sessionv1.CreateSessionRequest{Session: draft("host-a", "members/base-x/studios/s9", 60, 120)}, codes.NotFound, "STUDIO_NOT_FOUND", ""},
		{"studio: unknown base", &sessionv1.CreateSessionRequest{Session: draft("host-a", "members/nowhere/studios/s1", 60, 120)}, codes.NotFound, "STUDIO_NOT_FOUND", ""},
		{"studio: a host has no studios", &sessionv1.CreateSessionRequest{Session: draft("host-a", "members/host-b/studios/s1", 60, 120)}, codes.NotFound, "STUDIO_NOT_FOUND", ""},
		{"studio: base suspended", &sessionv1.CreateSessionRequest{Session: draft("host-a", "members/base-off/studios/s1", 60, 120)}, codes.FailedPrecondition, "BASE_NOT_ACTIVE", ""},
		{"merchant: suspended merchant", &sessionv1.CreateSessionRequest{Session: with(draft("host-a", x1, 60, 120), sell([]string{"members/farm-off"}))}, codes.FailedPrecondition, "MERCHANT_NOT_ACTIVE", ""},
		{"merchant: an agency is not a merchant", &sessionv1.CreateSessionRequest{Session: with(draft("host-a", x1, 60, 120), sell([]string{"members/mcn"}))}, codes.FailedPrecondition, "WRONG_MEMBER_KIND", ""},
		{"merchant: unknown merchant", &sessionv1.CreateSessionRequest{Session: with(draft("host-a", x1, 60, 120), sell([]string{"members/farm", "members/ghost"}))}, codes.NotFound, "MERCHANT_NOT_FOUND", ""},
		{"product: of a merchant not in the session", &sessionv1.CreateSessionRequest{Session: with(draft("host-a", x1, 60, 120), sell([]string{"members/farm"}, "members/shop/products/rice"))}, codes.FailedPrecondition, "PRODUCT_NOT_OFFERED", ""},
		{"product: discontinued", &sessionv1.CreateSessionRequest{Session: with(draft("host-a", x1, 60, 120), sell([]string{"members/farm"}, "members/farm/products/old-tea"))}, codes.FailedPrecondition, "PRODUCT_NOT_OFFERED", ""},
		{"product: unknown", &sessionv1.CreateSessionRequest{Session: with(draft("host-a", x1, 60, 120), sell([]string{"members/farm"}, "members/farm/products/nothing"))}, codes.FailedPrecondition, "PRODUCT_NOT_OFFERED", ""},
		{"timing: end before start", &sessionv1.CreateSessionRequest{Session: draft("host-a", x1, 120, 60)}, codes.InvalidArgument, "INVALID_ARGUMENT", "session.end_time"},
		{"timing: end equals start", &sessionv1.CreateSessionRequest{Session: draft("host-a", x1, 120, 120)}, codes.InvalidArgument, "INVALID_ARGUMENT", "session.end_time"},
		{"timing: 14 minutes is shorter than the shortest", &sessionv1.CreateSessionRequest{Session: draft("host-a", x1, 60, 74)}, codes.InvalidArgument, "INVALID_ARGUMENT", "session.end_time"},
		{"timing: 12 hours 1 minute is longer than the longest", &sessionv1.CreateSessionRequest{Session: draft("host-a", x1, 60, 60+721)}, codes.InvalidArgument, "INVALID_ARGUMENT", "session.end_time"},
		{"timing: starts 2 minutes in the past", &sessionv1.CreateSessionRequest{Session: draft("host-a", x1, -2, 60)}, codes.InvalidArgument, "INVALID_ARGUMENT", "session.start_time"},
		{"timing: no start time", &sessionv1.CreateSessionRequest{Session: with(draft("host-a", x1, 60, 120), func(s *sessionv1.Session) { s.StartTime = nil })}, codes.InvalidArgument, "INVALID_ARGUMENT", "session.start_time"},
		{"shape: host is not a member name", &sessionv1.CreateSessionRequest{Session: with(draft("host-a", x1, 60, 120), func(s *sessionv1.Session) { s.Host = "host-a" })}, codes.InvalidArgument, "INVALID_ARGUMENT", "session.host"},
		{"shape: studio is not a studio name", &sessionv1.CreateSessionRequest{Session: draft("host-a", "members/base-x", 60, 120)}, codes.InvalidArgument, "INVALID_ARGUMENT", "session.studio"},
		{"shape: platform is required", &sessionv1.CreateSessionRequest{Session: with(draft("host-a", x1, 60, 120), func(s *sessionv1.Session) { s.Platform = 0 })}, codes.InvalidArgument, "INVALID_ARGUMENT", "session.platform"},
		{"shape: session_id outside the id alphabet", &sessionv1.CreateSessionRequest{Session: draft("host-a", x1, 60, 120), SessionId: "Bad_ID"}, codes.InvalidArgument, "INVALID_ARGUMENT", "session_id"},
		{"shape: session is required", &sessionv1.CreateSessionRequest{}, codes.InvalidArgument, "INVALID_ARGUMENT", "session"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := w.api.CreateSession(context.Background(), c.req)
			wantErr(t, err, c.code, c.reason)
			if c.field != "" && !slices.Contains(grpcx.FieldViolations(err), c.field) {
				t.Fatalf("field violations = %v, want %s", grpcx.FieldViolations(err), c.field)
			}
		})
	}
	t.Run("nothing was stored by the refused creates", func(t *testing.T) {
		resp, err := w.api.ListSessions(context.Background(), &sessionv1.ListSessionsRequest{})
		if err != nil || len(resp.GetSessions()) != 0 {
			t.Fatalf("ListSessions = %d sessions, %v; want none", len(resp.GetSessions()), err)
		}
	})

	ok := []struct {
		name string
		s    *sessionv1.Session
	}{
		{"timing: starts 30 seconds in the past, inside the one-minute leeway", with(draft("host-a", x1, 0, 60), func(s *sessionv1.Session) {
			s.StartTime = timestamppb.New(at(0).Add(-30e9))
		})},
		{"timing: exactly the shortest length", draft("host-b", x2, 0, 15)},
		{"timing: exactly the longest length", draft("host-b", y1, 30, 750)},
		{"merchants and their active products", with(draft("host-a", x2, 120, 180), sell([]string{"members/farm", "members/shop"}, "members/farm/products/tea", "members/shop/products/rice"))},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			got := w.mustCreate(c.s)
			if got.GetState() != sessionv1.SessionState_SESSION_STATE_SCHEDULED || got.GetEtag() == "" || got.GetName() == "" {
				t.Fatalf("created %v; want a SCHEDULED session with name and etag", got)
			}
		})
	}
}

func TestDoubleBookingNamesTheConflictingSession(t *testing.T) {
	w := newWorld(t)
	first := w.mustCreate(draft("host-a", x1, 60, 120))

	_, err := w.create(draft("host-b", x1, 125, 185))
	wantErr(t, err, codes.FailedPrecondition, "STUDIO_DOUBLE_BOOKED")
	if got := grpcx.ErrorInfo(err).GetMetadata()["conflicting_session"]; got != first.GetName() {
		t.Fatalf("conflicting_session = %q, want %q", got, first.GetName())
	}

	_, err = w.create(draft("host-a", y1, 90, 150))
	wantErr(t, err, codes.FailedPrecondition, "HOST_DOUBLE_BOOKED")
	if got := grpcx.ErrorInfo(err).GetMetadata()["conflicting_session"]; got != first.GetName() {
		t.Fatalf("conflicting_session = %q, want %q", got, first.GetName())
	}

	// The buffer is kept, and a host may go straight on to another studio.
	w.mustCreate(draft("host-b", x1, 135, 195))
	w.mustCreate(draft("host-a", y1, 120, 180))

	// Cancelling frees the slot.
	if _, err := w.api.CancelSession(context.Background(), &sessionv1.CancelSessionRequest{Name: first.GetName(), Reason: "host ill"}); err != nil {
		t.Fatal(err)
	}
	w.mustCreate(draft("host-b", x1, 60, 120))
}

func TestCreateSessionIdempotencyAndIDs(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	req := &sessionv1.CreateSessionRequest{Session: draft("host-a", x1, 60, 120), RequestId: "req-1"}
	first, err := w.api.CreateSession(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := w.api.CreateSession(ctx, req)
	if err != nil {
		t.Fatalf("repeat with the same request_id: %v", err)
	}
	if again.GetName() != first.GetName() || again.GetEtag() != first.GetEtag() {
		t.Fatalf("repeat returned %s/%s, want the first result %s/%s", again.GetName(), again.GetEtag(), first.GetName(), first.GetEtag())
	}

	named, err := w.api.CreateSession(ctx, &sessionv1.CreateSessionRequest{Session: draft("host-b", y1, 60, 120), SessionId: "tea-night"})
	if err != nil || named.GetName() != "sessions/tea-night" {
		t.Fatalf("create with session_id = %v, %v; want sessions/tea-night", named.GetName(), err)
	}
	_, err = w.api.CreateSession(ctx, &sessionv1.CreateSessionRequest{Session: draft("host-b", y1, 300, 360), SessionId: "tea-night"})
	wantErr(t, err, codes.AlreadyExists, "SESSION_ALREADY_EXISTS")

	got, err := w.api.BatchGetSessions(ctx, &sessionv1.BatchGetSessionsRequest{Names: []string{"sessions/tea-night", first.GetName()}})
	if err != nil || len(got.GetSessions()) != 2 || got.GetSessions()[0].GetName() != "sessions/tea-night" || got.GetSessions()[1].GetName() != first.GetName() {
		t.Fatalf("BatchGetSessions = %v, %v; want both in the order asked", got, err)
	}
	_, err = w.api.BatchGetSessions(ctx, &sessionv1.BatchGetSessionsRequest{Names: []string{first.GetName(), "sessions/missing"}})
	wantErr(t, err, codes.NotFound, "SESSION_NOT_FOUND")
	if grpcx.ErrorInfo(err).GetMetadata()["name"] != "sessions/missing" {
		t.Fatalf("metadata = %v, want name sessions/missing", grpcx.ErrorInfo(err).GetMetadata())
	}
	_, err = w.api.GetSession(ctx, &sessionv1.GetSessionRequest{Name: "sessions/missing"})
	wantErr(t, err, codes.NotFound, "SESSION_NOT_FOUND")
	_, err = w.api.GetSession(ctx, &sessionv1.GetSessionRequest{Name: "members/host-a"})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
}
