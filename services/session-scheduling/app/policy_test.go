package app_test

import (
	"fmt"
	"testing"
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The wiring of studio policies, approvals, series and utilisation over
// gRPC with member keys; the rules themselves are tested in
// internal/scheduling. t0 is Monday 2030-01-07 16:00 in Shanghai.

const x1Policy = x1 + "/policy"

func TestStudioPoliciesOverGRPC(t *testing.T) {
	s := startSecured(t)
	k := s.keys
	got, err := s.api.GetStudioPolicy(as(k["host-c"]), &sessionv1.GetStudioPolicyRequest{Name: x1Policy})
	if err != nil || got.GetName() != x1Policy || got.GetEtag() != "r0" || len(got.GetOpeningHours()) != 0 {
		t.Fatalf("the default policy, read by a host: %v, %v", got, err)
	}
	policy := &sessionv1.StudioPolicy{
		Name: x1Policy,
		OpeningHours: []*sessionv1.OpeningHours{
			{DayOfWeek: sessionv1.DayOfWeek_DAY_OF_WEEK_MONDAY, OpenTime: "10:00", CloseTime: "22:00"},
			{DayOfWeek: sessionv1.DayOfWeek_DAY_OF_WEEK_SUNDAY, OpenTime: "18:00", CloseTime: "24:00"},
		},
		Blackouts:        []*sessionv1.Blackout{{StartTime: timestamppb.New(at(7 * 24 * 60)), EndTime: timestamppb.New(at(7*24*60 + 120)), Reason: "设备检修"}},
		ChangeoverBuffer: durationpb.New(0),
		HostWeeklyHours:  2,
		RequiresApproval: true,
		NoShowGrace:      durationpb.New(10 * time.Minute),
		Etag:             "r0",
	}
	mask := &fieldmaskpb.FieldMask{Paths: []string{"*"}}
	_, err = s.api.UpdateStudioPolicy(as(k["base-y"]), &sessionv1.UpdateStudioPolicyRequest{Policy: policy, UpdateMask: mask})
	wantErr(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	got, err = s.api.UpdateStudioPolicy(as(k["base-x"]), &sessionv1.UpdateStudioPolicyRequest{Policy: policy, UpdateMask: mask})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetEtag() != "r1" || got.GetOpeningHours()[1].GetCloseTime() != "24:00" || got.GetOpeningHours()[1].GetDayOfWeek() != sessionv1.DayOfWeek_DAY_OF_WEEK_SUNDAY ||
		got.GetChangeoverBuffer() == nil || got.GetChangeoverBuffer().AsDuration() != 0 || got.GetNoShowGrace().AsDuration() != 10*time.Minute || !got.GetRequiresApproval() {
		t.Fatalf("the policy as stored: %v", got)
	}
	for _, c := range []struct {
		name  string
		edit  func(p *sessionv1.StudioPolicy)
		field string
	}{
		{"an opening time that is not HH:MM", func(p *sessionv1.StudioPolicy) { p.OpeningHours[0].OpenTime = "25:00" }, "policy.opening_hours[0].open_time"},
		{"a day that is not a day", func(p *sessionv1.StudioPolicy) { p.OpeningHours[0].DayOfWeek = 0 }, "policy.opening_hours[0].day_of_week"},
		{"a grace of less than a minute", func(p *sessionv1.StudioPolicy) { p.NoShowGrace = durationpb.New(time.Second) }, "policy.no_show_grace"},
		{"a name that is not a policy's", func(p *sessionv1.StudioPolicy) { p.Name = x1 }, "policy.name"},
	} {
		t.Run(c.name+" is INVALID_ARGUMENT", func(t *testing.T) {
			bad := &sessionv1.StudioPolicy{Name: x1Policy, OpeningHours: []*sessionv1.OpeningHours{{DayOfWeek: 1, OpenTime: "10:00", CloseTime: "12:00"}}}
			c.edit(bad)
			_, err := s.api.UpdateStudioPolicy(as(s.admin), &sessionv1.UpdateStudioPolicyRequest{Policy: bad, UpdateMask: mask})
			wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
			if !contains(err.Error(), c.field) {
				t.Fatalf("%v does not name %s", err, c.field)
			}
		})
	}

	// A host's own booking waits for the base; it cannot start, the host
	// cannot approve it, the base can.
	req := draft("host-c", x1, 120, 180) // Monday 18:00-19:00 Shanghai
	pending, err := s.api.CreateSession(as(k["host-c"]), &sessionv1.CreateSessionRequest{Session: req})
	if err != nil || pending.GetState() != sessionv1.SessionState_SESSION_STATE_PENDING_APPROVAL {
		t.Fatalf("a host's booking: %v, %v; want PENDING_APPROVAL", pending, err)
	}
	s.clock.Set(at(100))
	_, err = s.api.StartSession(as(k["host-c"]), &sessionv1.StartSessionRequest{Name: pending.GetName()})
	wantErr(t, err, codes.FailedPrecondition, "APPROVAL_REQUIRED")
	_, err = s.api.ApproveSession(as(k["host-c"]), &sessionv1.ApproveSessionRequest{Name: pending.GetName()})
	wantErr(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	approved, err := s.api.ApproveSession(as(k["base-x"]), &sessionv1.ApproveSessionRequest{Name: pending.GetName(), Etag: pending.GetEtag()})
	if err != nil || approved.GetState() != sessionv1.SessionState_SESSION_STATE_SCHEDULED {
		t.Fatalf("the base approves: %v, %v", approved, err)
	}
	// The quota of 2 hours a week: 1 is used, 1 is left.
	_, err = s.api.CreateSession(as(s.admin), &sessionv1.CreateSessionRequest{Session: draft("host-c", x1, 200, 320)})
	wantErr(t, err, codes.FailedPrecondition, "QUOTA_EXCEEDED")
	if md := grpcx.ErrorInfo(err).GetMetadata(); md["quota"] != "host_weekly_hours" || md["left"] != "1" || md["limit"] != "2" {
		t.Fatalf("quota metadata %v", md)
	}
	// Outside the opening hours (Monday 22:00), and inside the blackout
	// (next Monday 16:00-18:00).
	_, err = s.api.CreateSession(as(s.admin), &sessionv1.CreateSessionRequest{Session: draft("host-a", x1, 6*60, 7*60)})
	wantErr(t, err, codes.FailedPrecondition, "OUTSIDE_OPENING_HOURS")
	_, err = s.api.CreateSession(as(s.admin), &sessionv1.CreateSessionRequest{Session: draft("host-a", x1, 7*24*60+60, 7*24*60+120)})
	wantErr(t, err, codes.FailedPrecondition, "STUDIO_BLACKED_OUT")
	// A decline, by the base, says why.
	pending2, err := s.api.CreateSession(as(k["host-a"]), &sessionv1.CreateSessionRequest{Session: draft("host-a", x1, 190, 250)})
	if err != nil {
		t.Fatal(err)
	}
	declined, err := s.api.DeclineSession(as(k["base-x"]), &sessionv1.DeclineSessionRequest{Name: pending2.GetName(), Reason: "档期已满"})
	if err != nil || declined.GetState() != sessionv1.SessionState_SESSION_STATE_DECLINED || declined.GetDeclineReason() != "档期已满" {
		t.Fatalf("decline: %v, %v", declined, err)
	}
	// Slots honour the policy: the request-free hours of Monday evening
	// for host-a, in steps of an hour.
	slots, err := s.api.FindAvailableSlots(as(k["host-a"]), &sessionv1.FindAvailableSlotsRequest{Studio: x1, Host: "members/host-a",
		Duration: durationpb.New(time.Hour), Step: durationpb.New(time.Hour), WindowStart: timestamppb.New(at(0)), WindowEnd: timestamppb.New(at(8 * 60)), PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	var starts []string
	for _, sl := range slots.GetSlots() {
		starts = append(starts, sl.GetStartTime().AsTime().In(shanghaiZone(t)).Format("15:04"))
	}
	if got, want := fmt.Sprint(starts), "[19:00 20:00 21:00]"; got != want {
		t.Fatalf("slots %s, want %s: from 17:40 (the clock) on the hour, 18:00 is booked, 22:00 closed", got, want)
	}
}

func shanghaiZone(t *testing.T) *time.Location {
	t.Helper()
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestSeriesAndUtilisationOverGRPC(t *testing.T) {
	s := startSecured(t)
	k := s.keys
	template := draft("host-c", x2, 4*60, 6*60) // Monday 20:00-22:00 Shanghai
	_, err := s.api.CreateSession(as(s.admin), &sessionv1.CreateSessionRequest{Session: draft("host-a", x2, 7*24*60+4*60, 7*24*60+5*60)})
	if err != nil {
		t.Fatal(err)
	}
	req := &sessionv1.CreateSessionSeriesRequest{SeriesId: "monday-nights", AllowPartial: true, Series: &sessionv1.SessionSeries{
		Template:   template,
		Recurrence: &sessionv1.Recurrence{Frequency: sessionv1.Frequency_FREQUENCY_WEEKLY, DaysOfWeek: []sessionv1.DayOfWeek{sessionv1.DayOfWeek_DAY_OF_WEEK_MONDAY}, Count: 3},
	}}
	got, err := s.api.CreateSessionSeries(as(k["host-c"]), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.GetSessions()) != 2 || len(got.GetSkipped()) != 1 || got.GetSkipped()[0].GetReason() != "STUDIO_DOUBLE_BOOKED" ||
		got.GetSkipped()[0].GetCode() != "FAILED_PRECONDITION" || got.GetSeries().GetName() != "sessionSeries/monday-nights" ||
		got.GetSessions()[1].GetName() != "sessions/monday-nights-20300121" || got.GetSessions()[1].GetSeries() != "sessionSeries/monday-nights" {
		t.Fatalf("series: %v", got)
	}
	read, err := s.api.GetSessionSeries(as(k["host-a"]), &sessionv1.GetSessionSeriesRequest{Name: "sessionSeries/monday-nights"})
	if err != nil || len(read.GetSessions()) != 2 || read.GetRecurrence().GetCount() != 3 || read.GetTemplate().GetHost() != "members/host-c" {
		t.Fatalf("get: %v, %v", read, err)
	}
	_, err = s.api.CancelSessionSeries(as(k["host-a"]), &sessionv1.CancelSessionSeriesRequest{Name: "sessionSeries/monday-nights"})
	wantErr(t, err, codes.PermissionDenied, "PERMISSION_DENIED")
	cancelled, err := s.api.CancelSessionSeries(as(k["host-c"]), &sessionv1.CancelSessionSeriesRequest{Name: "sessionSeries/monday-nights", Reason: "停播"})
	if err != nil || len(cancelled.GetSessions()) != 2 || cancelled.GetSessions()[0].GetCancelReason() != "停播" {
		t.Fatalf("cancel: %v, %v", cancelled, err)
	}
	_, err = s.api.GetSessionSeries(as(s.admin), &sessionv1.GetSessionSeriesRequest{Name: "sessions/monday-nights"})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")

	// Utilisation of base-x over two days, read by a member: no opening
	// hours, so 48 hours open per studio; one hour booked in x2.
	u, err := s.api.GetStudioUtilisation(as(k["host-a"]), &sessionv1.GetStudioUtilisationRequest{Base: "members/base-x", StartDate: "2030-01-14", EndDate: "2030-01-16"})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.GetStudios()) != 2 || u.GetStudios()[1].GetStudio() != x2 || u.GetStudios()[1].GetBookedHours() != 1 || u.GetTotal().GetOpenHours() != 96 ||
		u.GetTotal().GetUtilisation() != 0 || u.GetTotal().GetStudio() != "" {
		t.Fatalf("utilisation %v", u)
	}
	_, err = s.api.GetStudioUtilisation(as(k["host-a"]), &sessionv1.GetStudioUtilisationRequest{Studio: x1, StartDate: "2030-01-16", EndDate: "2030-01-14"})
	wantErr(t, err, codes.InvalidArgument, "INVALID_ARGUMENT")
}
