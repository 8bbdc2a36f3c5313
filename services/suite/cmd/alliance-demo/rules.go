package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The booking rules of members/yubei-base, a base that runs its studios
// the way a live-streaming base does. Its studio-1 is open from 10:00 to
// midnight every day, closed for maintenance tomorrow morning, books hosts
// from outside the base only with the base's approval, and has quotas; a
// weekly series of evening sessions fills it. Its studio-2 gives a host
// one minute's grace instead of fifteen, so that the demo can show a
// no-show without waiting a quarter of an hour.
const rulesBase = "members/yubei-base"

var (
	rulesStudio = rulesBase + "/studios/studio-1"
	graceStudio = rulesBase + "/studios/studio-2"
)

const seriesName = "sessionSeries/yubei-evening"

func (d *demo) loadRules(ctx context.Context) error {
	fmt.Printf("Booking rules of %s\n", rulesBase)
	local := d.now.In(d.zone)
	tomorrow := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, d.zone)
	for _, step := range []func(context.Context, time.Time) error{d.setPolicies, d.showRefusals, d.approvals, d.weeklySeries, d.noShow, d.printUtilisation} {
		if err := step(ctx, tomorrow); err != nil {
			return err
		}
	}
	return nil
}

// setPolicies gives the two studios their policies, once: a policy that
// was ever written has an update_time.
func (d *demo) setPolicies(ctx context.Context, tomorrow time.Time) error {
	var open []*sessionv1.OpeningHours
	for day := sessionv1.DayOfWeek_DAY_OF_WEEK_MONDAY; day <= sessionv1.DayOfWeek_DAY_OF_WEEK_SUNDAY; day++ {
		open = append(open, &sessionv1.OpeningHours{DayOfWeek: day, OpenTime: "10:00", CloseTime: "24:00"})
	}
	maintenance := tomorrow.Add(10 * time.Hour)
	for _, p := range []struct {
		policy *sessionv1.StudioPolicy
		paths  []string
		what   string
	}{
		{&sessionv1.StudioPolicy{
			Name: rulesStudio + "/policy", OpeningHours: open,
			Blackouts:        []*sessionv1.Blackout{{StartTime: timestamppb.New(maintenance), EndTime: timestamppb.New(maintenance.Add(4 * time.Hour)), Reason: "灯光设备检修"}},
			MinNotice:        durationpb.New(2 * time.Hour),
			ChangeoverBuffer: durationpb.New(30 * time.Minute),
			HostWeeklyHours:  12, AgencyDailySessions: 3, RequiresApproval: true,
		}, []string{"opening_hours", "blackouts", "min_notice", "changeover_buffer", "host_weekly_hours", "agency_daily_sessions", "requires_approval"},
			fmt.Sprintf("open 10:00-24:00, maintenance %s 10:00-14:00, 2 h notice, 30 min changeover, 12 h a week per host, 3 sessions a day per agency, outside hosts need approval", tomorrow.Format(time.DateOnly))},
		{&sessionv1.StudioPolicy{Name: graceStudio + "/policy", NoShowGrace: durationpb.New(time.Minute)},
			[]string{"no_show_grace"}, "a host not live 1 minute after the start is a no-show"},
	} {
		cur, err := d.sessions.GetStudioPolicy(ctx, &sessionv1.GetStudioPolicyRequest{Name: p.policy.GetName()})
		if err != nil {
			return fmt.Errorf("policy of %s: %w", p.policy.GetName(), err)
		}
		if cur.GetUpdateTime() != nil {
			fmt.Printf("  exists   %-44s (etag %s)\n", cur.GetName(), cur.GetEtag())
			continue
		}
		got, err := d.sessions.UpdateStudioPolicy(ctx, &sessionv1.UpdateStudioPolicyRequest{Policy: p.policy, UpdateMask: &fieldmaskpb.FieldMask{Paths: p.paths}})
		if err != nil {
			return fmt.Errorf("policy of %s: %w", p.policy.GetName(), err)
		}
		fmt.Printf("  policy   %-44s %s (etag %s)\n", got.GetName(), p.what, got.GetEtag())
	}
	return nil
}

// showRefusals asks for bookings the policy refuses: early tomorrow,
// before the studio opens, and inside the maintenance blackout while it
// is still ahead. Nothing is stored, so a rerun asks again.
func (d *demo) showRefusals(ctx context.Context, tomorrow time.Time) error {
	p, err := d.sessions.GetStudioPolicy(ctx, &sessionv1.GetStudioPolicyRequest{Name: rulesStudio + "/policy"})
	if err != nil {
		return fmt.Errorf("policy of %s: %w", rulesStudio, err)
	}
	asks := []time.Time{tomorrow.Add(8 * time.Hour)}
	for _, b := range p.GetBlackouts() {
		if at := b.GetStartTime().AsTime().Add(time.Hour); at.After(time.Now().Add(3 * time.Hour)) {
			asks = append(asks, at)
		}
	}
	for _, start := range asks {
		_, err := d.sessions.CreateSession(ctx, &sessionv1.CreateSessionRequest{Session: &sessionv1.Session{
			Title: "早场", Host: "members/campus-host", Studio: rulesStudio, Platform: douyin,
			StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(time.Hour)),
		}})
		if code(err) != codes.FailedPrecondition {
			return fmt.Errorf("a booking at %s that the policy of %s refuses: %v", start.In(d.zone).Format("2006-01-02 15:04"), rulesStudio, err)
		}
		fmt.Printf("  refused  %s %-27s %s\n", start.In(d.zone).Format("2006-01-02 15:04"), grpcx.Reason(err), status.Convert(err).Message())
	}
	return nil
}

// approvals: an outside host books studio-1 with its own key, twice; its
// requests wait, holding their slots, until the base approves one and
// declines the other.
func (d *demo) approvals(ctx context.Context, tomorrow time.Time) error {
	const host = "members/campus-host"
	var hostCtx context.Context // made on first use: a key is issued only when a request is made
	for _, r := range []struct {
		id      string
		at      time.Duration
		title   string
		decline string
	}{
		{"demo-" + tomorrow.Format("20060102") + "-request-1", 15 * time.Hour, "大学生助农 渝北专场", ""},
		{"demo-" + tomorrow.Format("20060102") + "-request-2", 18 * time.Hour, "大学生夜场", "与基地晚间系列冲突，请改约其他时段"},
	} {
		name := "sessions/" + r.id
		if s, err := d.sessions.GetSession(ctx, &sessionv1.GetSessionRequest{Name: name}); err == nil {
			fmt.Printf("  exists   %-44s %s\n", name, s.GetState())
			continue
		} else if code(err) != codes.NotFound {
			return fmt.Errorf("get %s: %w", name, err)
		}
		if hostCtx == nil {
			k, err := d.members.CreateApiKey(ctx, &memberv1.CreateApiKeyRequest{Parent: host, ApiKey: &memberv1.ApiKey{DisplayName: "渝北基地预约"}})
			if err != nil {
				return fmt.Errorf("a key for %s: %w", host, err)
			}
			hostCtx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+k.GetKey())
		}
		start := tomorrow.Add(r.at)
		s, err := d.sessions.CreateSession(hostCtx, &sessionv1.CreateSessionRequest{SessionId: r.id, RequestId: "demo-" + r.id, Session: &sessionv1.Session{
			Title: r.title, Host: host, Studio: rulesStudio, Platform: kuaishou,
			StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(time.Hour)),
		}})
		if code(err) == codes.FailedPrecondition {
			fmt.Printf("  skipped  %-44s %s: %s\n", name, grpcx.Reason(err), status.Convert(err).Message())
			continue
		}
		if err != nil {
			return fmt.Errorf("request %s as %s: %w", name, host, err)
		}
		fmt.Printf("  request  %-44s %s, %s, by the host's own key\n", s.GetName(), s.GetState(), start.Format("2006-01-02 15:04"))
		if r.decline == "" {
			s, err = d.sessions.ApproveSession(ctx, &sessionv1.ApproveSessionRequest{Name: name, Etag: s.GetEtag()})
		} else {
			s, err = d.sessions.DeclineSession(ctx, &sessionv1.DeclineSessionRequest{Name: name, Reason: r.decline, Etag: s.GetEtag()})
		}
		if err != nil {
			return fmt.Errorf("decide %s: %w", name, err)
		}
		fmt.Printf("  decided  %-44s %s %s\n", name, s.GetState(), s.GetDeclineReason())
	}
	return nil
}

// weeklySeries books studio-1 every Tuesday and Thursday at 20:00 for
// three weeks, from the first of those days after tomorrow.
func (d *demo) weeklySeries(ctx context.Context, tomorrow time.Time) error {
	if s, err := d.sessions.GetSessionSeries(ctx, &sessionv1.GetSessionSeriesRequest{Name: seriesName}); err == nil {
		fmt.Printf("  exists   %-44s %d sessions\n", s.GetName(), len(s.GetSessions()))
		return nil
	} else if code(err) != codes.NotFound {
		return fmt.Errorf("get %s: %w", seriesName, err)
	}
	first := tomorrow.AddDate(0, 0, 1)
	for first.Weekday() != time.Tuesday && first.Weekday() != time.Thursday {
		first = first.AddDate(0, 0, 1)
	}
	start := first.Add(20 * time.Hour)
	merchants, prods := productNames([]string{"banan-tea-farm/yinzhen-green-tea", "banan-tea-farm/yinzhen-gift-box"})
	r, err := d.sessions.CreateSessionSeries(ctx, &sessionv1.CreateSessionSeriesRequest{
		SeriesId: strings.TrimPrefix(seriesName, "sessionSeries/"), RequestId: "demo-series-yubei-evening", AllowPartial: true,
		Series: &sessionv1.SessionSeries{
			Template: &sessionv1.Session{Title: "巴南银针 晚间茶课", Host: "members/banan-district-head", Studio: rulesStudio,
				Merchants: merchants, Products: prods, Platform: taobao,
				StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(2 * time.Hour))},
			Recurrence: &sessionv1.Recurrence{Frequency: sessionv1.Frequency_FREQUENCY_WEEKLY, Count: 6,
				DaysOfWeek: []sessionv1.DayOfWeek{sessionv1.DayOfWeek_DAY_OF_WEEK_TUESDAY, sessionv1.DayOfWeek_DAY_OF_WEEK_THURSDAY}},
		},
	})
	if err != nil {
		return fmt.Errorf("series %s: %w", seriesName, err)
	}
	fmt.Printf("  series   %-44s %d sessions, Tuesdays and Thursdays 20:00-22:00 from %s\n", r.GetSeries().GetName(), len(r.GetSessions()), first.Format(time.DateOnly))
	for _, s := range r.GetSkipped() {
		fmt.Printf("           skipped %s: %s\n", s.GetStartTime().AsTime().In(d.zone).Format("2006-01-02 15:04"), s.GetReason())
	}
	return nil
}

// noShow books studio-2 as late as the scheduler lets (its start in the
// last minute), waits out the studio's grace of one minute, and reads the
// session: NO_SHOW. The studio is free for the rest of the interval, and
// a walk-in session takes it, goes live and ends.
func (d *demo) noShow(ctx context.Context, _ time.Time) error {
	day := d.now.In(d.zone).Format("20060102")
	id, walkIn := "demo-"+day+"-no-show", "demo-"+day+"-walk-in"
	missed, err := d.sessions.GetSession(ctx, &sessionv1.GetSessionRequest{Name: "sessions/" + id})
	if code(err) == codes.NotFound {
		start := time.Now().Add(-50 * time.Second).Truncate(time.Second)
		missed, err = d.getOrCreateSession(ctx, id, sessionPlan{title: "无人到场的场次", host: "tea-host", studio: graceStudio, platform: wechat}, start, start.Add(time.Hour))
		if err != nil || missed == nil {
			return err
		}
		fmt.Printf("  booked   %-44s %s at %s; waiting for its grace of 1 minute to pass\n", missed.GetName(), missed.GetState(), start.In(d.zone).Format("15:04:05"))
		time.Sleep(time.Until(start.Add(time.Minute + time.Second)))
		missed, err = d.sessions.GetSession(ctx, &sessionv1.GetSessionRequest{Name: missed.GetName()})
	}
	if err != nil {
		return fmt.Errorf("the no-show %s: %w", id, err)
	}
	fmt.Printf("  no-show  %-44s %s (nobody went live; the studio is free for the rest of the hour)\n", missed.GetName(), missed.GetState())
	if _, err := d.sessions.GetSession(ctx, &sessionv1.GetSessionRequest{Name: "sessions/" + walkIn}); err == nil {
		fmt.Printf("  exists   %-44s\n", "sessions/"+walkIn)
		return nil
	} else if code(err) != codes.NotFound {
		return err
	}
	start := missed.GetStartTime().AsTime().Add(20 * time.Minute)
	s, err := d.getOrCreateSession(ctx, walkIn, sessionPlan{title: "临时加场 江津花椒", host: "fengjie-county-head", studio: graceStudio, platform: douyin,
		products: []string{"city-supermarket/jiangjin-pepper"}}, start, missed.GetEndTime().AsTime())
	if err != nil || s == nil {
		return err
	}
	if s, err = d.sessions.StartSession(ctx, &sessionv1.StartSessionRequest{Name: s.GetName()}); err != nil {
		return fmt.Errorf("start %s: %w", walkIn, err)
	}
	if s, err = d.sessions.EndSession(ctx, &sessionv1.EndSessionRequest{Name: s.GetName()}); err != nil {
		return fmt.Errorf("end %s: %w", walkIn, err)
	}
	fmt.Printf("  walk-in  %-44s %s, booked into the no-show's hour\n", s.GetName(), s.GetState())
	return nil
}

func (d *demo) printUtilisation(ctx context.Context, tomorrow time.Time) error {
	from, to := tomorrow.AddDate(0, 0, -1).Format(time.DateOnly), tomorrow.AddDate(0, 0, 21).Format(time.DateOnly)
	u, err := d.sessions.GetStudioUtilisation(ctx, &sessionv1.GetStudioUtilisationRequest{Base: rulesBase, StartDate: from, EndDate: to})
	if err != nil {
		return fmt.Errorf("utilisation of %s: %w", rulesBase, err)
	}
	fmt.Printf("  utilisation %s .. %s (end exclusive)\n", from, to)
	for _, s := range append(u.GetStudios(), u.GetTotal()) {
		name := s.GetStudio()
		if name == "" {
			name = "total"
		}
		fmt.Printf("    %-34s open %6.1f h, booked %5.1f h, live %4.1f h, no-shows %d (%.0f%%), cancellations %d, utilisation %.1f%%\n",
			name, s.GetOpenHours(), s.GetBookedHours(), s.GetLiveHours(), s.GetNoShows(), 100*s.GetNoShowRate(), s.GetCancellations(), 100*s.GetUtilisation())
	}
	return nil
}
