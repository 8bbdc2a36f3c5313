package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/suite/internal/dial"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The booking rules of issue 15 against the real processes, each raced by
// at least `clients` callers on connections of their own, all released at
// once; after each race the invariants are checked on what the scheduler
// holds: no two SCHEDULED, LIVE or PENDING_APPROVAL sessions of a studio
// closer than its buffer, none of a host overlapping, no quota exceeded,
// nothing booked inside a blackout.

const clients = 60

// rig is the suite with gRPC clients, the members of a race and their keys.
type rig struct {
	t     *testing.T
	s     *suite
	admin sessionv1.SessionSchedulerClient
	reg   memberv1.MemberRegistryClient
	base  string // members/{base}
	day   time.Time
}

func (s *suite) dialAs(t *testing.T, addr, key string) *grpc.ClientConn {
	t.Helper()
	cc, err := grpcx.Dial(addr, grpcx.DialOptions{Timeout: time.Minute, GRPC: []grpc.DialOption{dial.Bearer(key)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

func newRig(t *testing.T, s *suite, base string, studios int) *rig {
	t.Helper()
	r := &rig{t: t, s: s, base: "members/" + base,
		admin: sessionv1.NewSessionSchedulerClient(s.dialAs(t, s.addrs.SessionScheduling, s.adminKey)),
		reg:   memberv1.NewMemberRegistryClient(s.dialAs(t, s.addrs.MemberRegistry, s.adminKey))}
	now := time.Now().In(shanghai)
	r.day = time.Date(now.Year(), now.Month(), now.Day()+3, 0, 0, 0, 0, shanghai)
	m := &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_BASE, DisplayName: "竞速基地 " + base, District: "jiulongpo"}
	for i := range studios {
		m.Studios = append(m.Studios, &memberv1.Studio{StudioId: fmt.Sprintf("s%d", i+1), DisplayName: fmt.Sprintf("厅 %d", i+1)})
	}
	r.member(base, m)
	return r
}

func (r *rig) member(id string, m *memberv1.Member) {
	r.t.Helper()
	if _, err := r.reg.CreateMember(context.Background(), &memberv1.CreateMemberRequest{Member: m, MemberId: id}); err != nil {
		r.t.Fatalf("member %s: %v", id, err)
	}
}

// hosts registers n hosts prefix-000.. (of agency, when given), in parallel.
func (r *rig) hosts(prefix string, n int, agency string) []string {
	r.t.Helper()
	names := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		names[i] = fmt.Sprintf("members/%s-%03d", prefix, i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: names[i], District: "banan", Agency: agency}
			if _, err := r.reg.CreateMember(context.Background(), &memberv1.CreateMemberRequest{Member: m, MemberId: strings.TrimPrefix(names[i], "members/")}); err != nil {
				r.t.Errorf("host %s: %v", names[i], err)
			}
		}()
	}
	wg.Wait()
	return names
}

// key issues a member's API key.
func (r *rig) key(member string) string {
	r.t.Helper()
	k, err := r.reg.CreateApiKey(context.Background(), &memberv1.CreateApiKeyRequest{Member: member})
	if err != nil {
		r.t.Fatal(err)
	}
	return k.GetKey()
}

func (r *rig) studio(n int) string { return fmt.Sprintf("%s/studios/s%d", r.base, n) }

// at is hh:mm local on the rig's day plus days.
func (r *rig) at(days int, hhmm string) time.Time {
	t, err := time.ParseInLocation("15:04", hhmm, shanghai)
	if err != nil {
		panic(err)
	}
	return time.Date(r.day.Year(), r.day.Month(), r.day.Day()+days, t.Hour(), t.Minute(), 0, 0, shanghai)
}

func session(host, studio string, start time.Time, d time.Duration) *sessionv1.Session {
	return &sessionv1.Session{Title: "竞速", Host: host, Studio: studio, Platform: typev1.Platform_PLATFORM_DOUYIN,
		StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(d))}
}

func (r *rig) policy(studio string, p *sessionv1.StudioPolicy, cancel bool) (*sessionv1.StudioPolicy, error) {
	p.Name = studio + "/policy"
	return r.admin.UpdateStudioPolicy(context.Background(), &sessionv1.UpdateStudioPolicyRequest{Policy: p,
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}, CancelConflictingSessions: cancel})
}

// race runs fn for each of n clients, each with its own connection to the
// scheduler as key(i), released together; it returns the errors.
func (r *rig) race(n int, key func(i int) string, fn func(i int, api sessionv1.SessionSchedulerClient) error) []error {
	r.t.Helper()
	apis := make([]sessionv1.SessionSchedulerClient, n)
	for i := range n {
		apis[i] = sessionv1.NewSessionSchedulerClient(r.s.dialAs(r.t, r.s.addrs.SessionScheduling, key(i)))
		if _, err := apis[i].CountSessions(context.Background(), &sessionv1.CountSessionsRequest{State: 1}); err != nil {
			r.t.Fatalf("client %d: %v", i, err) // connected and authenticated before the gate opens
		}
	}
	errs := make([]error, n)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			errs[i] = fn(i, apis[i])
		}()
	}
	close(gate)
	wg.Wait()
	return errs
}

// all lists every session of the rig's base.
func (r *rig) all() []*sessionv1.Session {
	r.t.Helper()
	var out []*sessionv1.Session
	token := ""
	for {
		resp, err := r.admin.ListSessions(context.Background(), &sessionv1.ListSessionsRequest{Base: r.base, PageSize: 1000, PageToken: token})
		if err != nil {
			r.t.Fatal(err)
		}
		out = append(out, resp.GetSessions()...)
		if token = resp.GetNextPageToken(); token == "" {
			return out
		}
	}
}

func holds(s *sessionv1.Session) bool {
	switch s.GetState() {
	case sessionv1.SessionState_SESSION_STATE_SCHEDULED, sessionv1.SessionState_SESSION_STATE_LIVE, sessionv1.SessionState_SESSION_STATE_PENDING_APPROVAL:
		return true
	}
	return false
}

func confirmed(s *sessionv1.Session) bool {
	return s.GetState() == sessionv1.SessionState_SESSION_STATE_SCHEDULED || s.GetState() == sessionv1.SessionState_SESSION_STATE_LIVE
}

// checkInvariants checks what the scheduler holds for the rig's base
// against every studio's policy as it is now.
func (r *rig) checkInvariants(studios int) []*sessionv1.Session {
	r.t.Helper()
	all := r.all()
	policies := map[string]*sessionv1.StudioPolicy{}
	for i := range studios {
		p, err := r.admin.GetStudioPolicy(context.Background(), &sessionv1.GetStudioPolicyRequest{Name: r.studio(i+1) + "/policy"})
		if err != nil {
			r.t.Fatal(err)
		}
		policies[r.studio(i+1)] = p
	}
	span := func(s *sessionv1.Session) (time.Time, time.Time) {
		return s.GetStartTime().AsTime(), s.GetEndTime().AsTime()
	}
	var held []*sessionv1.Session
	for _, s := range all {
		if holds(s) {
			held = append(held, s)
		}
	}
	for i, a := range held {
		as, ae := span(a)
		for _, b := range held[i+1:] {
			bs, be := span(b)
			// Sessions that hold a studio never overlap; confirmed ones keep
			// the studio's buffer as it is now, while a request may have been
			// made under a shorter one (an approval holds it to today's).
			var buffer time.Duration
			if confirmed(a) && confirmed(b) {
				buffer = 15 * time.Minute
				if d := policies[a.GetStudio()].GetChangeoverBuffer(); d != nil {
					buffer = d.AsDuration()
				}
			}
			if a.GetStudio() == b.GetStudio() && as.Before(be.Add(buffer)) && bs.Before(ae.Add(buffer)) {
				r.t.Errorf("studio %s double-booked: %s %s and %s %s", a.GetStudio(), a.GetName(), a.GetState(), b.GetName(), b.GetState())
			}
			if a.GetHost() == b.GetHost() && as.Before(be) && bs.Before(ae) {
				r.t.Errorf("host %s double-booked: %s and %s", a.GetHost(), a.GetName(), b.GetName())
			}
		}
		for _, bo := range policies[a.GetStudio()].GetBlackouts() {
			if as.Before(bo.GetEndTime().AsTime()) && bo.GetStartTime().AsTime().Before(ae) {
				r.t.Errorf("%s (%s) lies in a blackout of %s", a.GetName(), a.GetState(), a.GetStudio())
			}
		}
	}
	// Quotas, counted as the scheduler counts them: the planned hours of
	// a host's sessions that hold or held their slot, per week; sessions
	// per agency per day.
	counts := func(s *sessionv1.Session) bool {
		return holds(s) || s.GetState() == sessionv1.SessionState_SESSION_STATE_ENDED
	}
	for studio, p := range policies {
		if p.GetHostWeeklyHours() > 0 {
			used := map[string]time.Duration{}
			for _, s := range all {
				if counts(s) {
					st, en := span(s)
					y, w := st.In(shanghai).ISOWeek()
					used[fmt.Sprint(s.GetHost(), y, w)] += en.Sub(st)
				}
			}
			for k, d := range used {
				if d > time.Duration(p.GetHostWeeklyHours())*time.Hour {
					r.t.Errorf("%s: %s booked for %s, over the quota of %d hours (%s)", studio, k, d, p.GetHostWeeklyHours(), studio)
				}
			}
		}
	}
	return all
}

func code(err error) string {
	if err == nil {
		return "OK"
	}
	return grpcx.Reason(err)
}

// allowed is nil for an error whose reason is one of reasons (an outcome
// the race permits), and err otherwise.
func allowed(err error, reasons ...string) error {
	if err != nil && slices.Contains(reasons, code(err)) {
		return nil
	}
	return err
}

// settled fails the test on the first client whose error is not one of
// reasons.
func (r *rig) settled(errs []error, reasons ...string) {
	r.t.Helper()
	for i, err := range errs {
		if err := allowed(err, reasons...); err != nil {
			r.t.Fatalf("client %d: %v", i, err)
		}
	}
}

func tally(errs []error) map[string]int {
	out := map[string]int{}
	for _, err := range errs {
		out[code(err)]++
	}
	return out
}

func TestBookingRulesHoldUnderRaces(t *testing.T) {
	s := startSuite(t)

	t.Run("single bookings against a series covering the same slots", func(t *testing.T) {
		r := newRig(t, s, "race-series", 2)
		hosts := r.hosts("race-series-h", clients+2, "")
		seriesHost, partialHost := hosts[clients], hosts[clients+1]
		const days = 10
		// Client 0 books an all-or-nothing daily series in s1 and client 1 a
		// partial one in s2, 20:00-22:00 on ten days; the others book one
		// session each into one of those evenings, 20:30-21:30.
		series := func(host, studio, id string, partial bool) *sessionv1.CreateSessionSeriesRequest {
			return &sessionv1.CreateSessionSeriesRequest{SeriesId: id, AllowPartial: partial, Series: &sessionv1.SessionSeries{
				Template:   session(host, studio, r.at(0, "20:00"), 2*time.Hour),
				Recurrence: &sessionv1.Recurrence{Frequency: sessionv1.Frequency_FREQUENCY_DAILY, Count: days}}}
		}
		var partial *sessionv1.CreateSessionSeriesResponse
		errs := r.race(clients, func(int) string { return s.adminKey }, func(i int, api sessionv1.SessionSchedulerClient) error {
			switch i {
			case 0:
				_, err := api.CreateSessionSeries(context.Background(), series(seriesHost, r.studio(1), "whole", false))
				return err
			case 1:
				var err error
				partial, err = api.CreateSessionSeries(context.Background(), series(partialHost, r.studio(2), "partial", true))
				return err
			}
			_, err := api.CreateSession(context.Background(), &sessionv1.CreateSessionRequest{
				Session: session(hosts[i], r.studio(1+i%2), r.at(i/2%days, "20:30"), time.Hour)})
			return err
		})
		r.settled(errs, "STUDIO_DOUBLE_BOOKED")
		all := r.checkInvariants(2)
		whole, partials, singles := 0, 0, map[string]int{}
		for _, x := range all {
			switch {
			case x.GetSeries() == "sessionSeries/whole":
				whole++
			case x.GetSeries() == "sessionSeries/partial":
				partials++
			case x.GetSeries() == "":
				singles[x.GetStudio()]++
			}
		}
		// A partial series that found every evening taken books nothing and
		// says why, as the first occurrence's refusal (a loaded machine can
		// run it after all the single bookings).
		if errs[1] != nil && (partials != 0 || singles[r.studio(2)] != days) {
			t.Fatalf("the partial series: %v, with %d of its sessions and %d single bookings in s2", errs[1], partials, singles[r.studio(2)])
		}
		// All or nothing: the whole series has every evening or none, and
		// then each evening went to one single booking.
		if !(errs[0] == nil && whole == days && singles[r.studio(1)] == 0 || errs[0] != nil && whole == 0 && singles[r.studio(1)] == days) {
			t.Fatalf("the whole series: %v with %d sessions, and %d single bookings in s1", errs[0], whole, singles[r.studio(1)])
		}
		// Partial: what it skipped is exactly what a single booking took.
		if errs[1] == nil {
			if len(partial.GetSessions()) != partials || partials+len(partial.GetSkipped()) != days || len(partial.GetSkipped()) != singles[r.studio(2)] {
				t.Fatalf("the partial series booked %d (%d stored) and skipped %d; %d single bookings in s2",
					len(partial.GetSessions()), partials, len(partial.GetSkipped()), singles[r.studio(2)])
			}
			for _, k := range partial.GetSkipped() {
				if k.GetReason() != "STUDIO_DOUBLE_BOOKED" || k.GetCode() != "FAILED_PRECONDITION" {
					t.Fatalf("skipped: %v", k)
				}
			}
		}
		t.Logf("series: whole %v, partial %v, skipped %d; clients %v", errs[0] == nil, errs[1], len(partial.GetSkipped()), tally(errs))
	})

	t.Run("two approvals of overlapping pending requests", func(t *testing.T) {
		r := newRig(t, s, "race-approve", 1)
		const pairs = 10
		hosts := r.hosts("race-approve-h", 2*pairs, "")
		baseKey := r.key(r.base)
		studio := r.studio(1)
		if _, err := r.policy(studio, &sessionv1.StudioPolicy{RequiresApproval: true, ChangeoverBuffer: durationpb.New(0)}, false); err != nil {
			t.Fatal(err)
		}
		// Pairs of requests, each made by its host, back to back: apart
		// under a buffer of 0, too close under the buffer of 30 minutes the
		// base sets before it approves; an hour between pairs.
		var requests [pairs][2]string
		for p := range pairs {
			for k := range 2 {
				host := hosts[2*p+k]
				api := sessionv1.NewSessionSchedulerClient(s.dialAs(t, s.addrs.SessionScheduling, r.key(host)))
				got, err := api.CreateSession(context.Background(), &sessionv1.CreateSessionRequest{
					Session: session(host, studio, r.at(0, "08:00").Add(time.Duration(3*p+k)*time.Hour), time.Hour)})
				if err != nil || got.GetState() != sessionv1.SessionState_SESSION_STATE_PENDING_APPROVAL {
					t.Fatalf("request: %v, %v", got, err)
				}
				requests[p][k] = got.GetName()
			}
		}
		if _, err := r.policy(studio, &sessionv1.StudioPolicy{RequiresApproval: true, ChangeoverBuffer: durationpb.New(30 * time.Minute)}, false); err != nil {
			t.Fatal(err)
		}
		// Every client approves every pair, half of them the first request
		// first, half the second, as the base.
		errs := r.race(clients, func(int) string { return baseKey }, func(i int, api sessionv1.SessionSchedulerClient) error {
			for p := range pairs {
				for k := range 2 {
					name := requests[p][(i+k)%2]
					_, err := api.ApproveSession(context.Background(), &sessionv1.ApproveSessionRequest{Name: name})
					if err := allowed(err, "STUDIO_DOUBLE_BOOKED", "INVALID_STATE_TRANSITION"); err != nil {
						return err
					}
				}
			}
			return nil
		})
		r.settled(errs)
		all := r.checkInvariants(1)
		state := map[string]sessionv1.SessionState{}
		for _, x := range all {
			state[x.GetName()] = x.GetState()
		}
		approved := 0
		for p, pair := range requests {
			a, b := state[pair[0]], state[pair[1]]
			if (a == sessionv1.SessionState_SESSION_STATE_SCHEDULED) == (b == sessionv1.SessionState_SESSION_STATE_SCHEDULED) {
				t.Fatalf("pair %d: %s and %s; want exactly one approved", p, a, b)
			}
			approved++
		}
		if approved != pairs {
			t.Fatalf("%d pairs settled", approved)
		}
	})

	t.Run("a blackout added while bookings arrive", func(t *testing.T) {
		r := newRig(t, s, "race-blackout", 1)
		hosts := r.hosts("race-blackout-h", clients, "")
		studio := r.studio(1)
		if _, err := r.policy(studio, &sessionv1.StudioPolicy{ChangeoverBuffer: durationpb.New(0)}, false); err != nil {
			t.Fatal(err)
		}
		blackout := &sessionv1.Blackout{StartTime: timestamppb.New(r.at(0, "12:00")), EndTime: timestamppb.New(r.at(0, "18:00")), Reason: "消防检查"}
		// Client 0 sets the blackout (cancelling what is in its way) once
		// the others have started booking 15-minute sessions across the day.
		errs := r.race(clients, func(int) string { return s.adminKey }, func(i int, api sessionv1.SessionSchedulerClient) error {
			if i == 0 {
				time.Sleep(20 * time.Millisecond)
				_, err := api.UpdateStudioPolicy(context.Background(), &sessionv1.UpdateStudioPolicyRequest{
					Policy:     &sessionv1.StudioPolicy{Name: studio + "/policy", ChangeoverBuffer: durationpb.New(0), Blackouts: []*sessionv1.Blackout{blackout}},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}, CancelConflictingSessions: true})
				return err
			}
			for k := range 4 { // four slots each, from 10:00 to 20:00
				start := r.at(0, "10:00").Add(time.Duration((i*4+k)%40) * 15 * time.Minute)
				_, err := api.CreateSession(context.Background(), &sessionv1.CreateSessionRequest{Session: session(hosts[i], studio, start, 15*time.Minute)})
				if err := allowed(err, "STUDIO_DOUBLE_BOOKED", "STUDIO_BLACKED_OUT", "HOST_DOUBLE_BOOKED"); err != nil {
					return err
				}
			}
			return nil
		})
		r.settled(errs)
		all := r.checkInvariants(1)
		cancelled, booked := 0, 0
		for _, x := range all {
			switch {
			case x.GetState() == sessionv1.SessionState_SESSION_STATE_CANCELLED:
				if x.GetCancelReason() != "消防检查" {
					t.Fatalf("%s cancelled with %q", x.GetName(), x.GetCancelReason())
				}
				cancelled++
			case holds(x):
				booked++
			}
		}
		if booked == 0 || booked > 16 { // 10:00-12:00 and 18:00-20:00: 16 slots of 15 minutes
			t.Fatalf("%d sessions hold the studio, want 1 to 16 outside the blackout", booked)
		}
		t.Logf("blackout: %d booked outside it, %d cancelled by it", booked, cancelled)
	})

	t.Run("a quota's last hour and an agency's last session taken by many at once", func(t *testing.T) {
		r := newRig(t, s, "race-quota", clients)
		r.member("race-quota-mcn", &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_AGENCY, DisplayName: "竞速机构", District: "yubei"})
		hosts := r.hosts("race-quota-h", clients, "members/race-quota-mcn")
		for i := range clients {
			if _, err := r.policy(r.studio(i+1), &sessionv1.StudioPolicy{HostWeeklyHours: 3, AgencyDailySessions: 5}, false); err != nil {
				t.Fatal(err)
			}
		}
		keys := map[string]string{hosts[0]: r.key(hosts[0]), "agency": r.key("members/race-quota-mcn"), "base": r.key(r.base)}
		// A Monday, so that the day and the one after lie in one week.
		for r.day.Weekday() != time.Monday {
			r.day = r.day.AddDate(0, 0, 1)
		}
		// hosts[0] has 2.5 of its 3 hours; the agency 4 of its 5 sessions
		// on the next day.
		if _, err := r.admin.CreateSession(context.Background(), &sessionv1.CreateSessionRequest{Session: session(hosts[0], r.studio(1), r.at(0, "05:00"), 150*time.Minute)}); err != nil {
			t.Fatal(err)
		}
		for k := range 4 {
			if _, err := r.admin.CreateSession(context.Background(), &sessionv1.CreateSessionRequest{Session: session(hosts[1+k], r.studio(1+k), r.at(1, "08:00"), time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
		// Half the clients book hosts[0] for its last half hour, each at
		// another time of the day and in another studio, as the host, its
		// agency, the base or the admin; the other half book one session
		// each for another host of the agency on the next day, each in a
		// studio of its own.
		who := []string{keys[hosts[0]], keys["agency"], keys["base"], s.adminKey}
		errs := r.race(clients, func(i int) string {
			if i%2 == 0 {
				return who[i/2%len(who)]
			}
			return keys["agency"]
		}, func(i int, api sessionv1.SessionSchedulerClient) error {
			var req *sessionv1.Session
			if i%2 == 0 {
				req = session(hosts[0], r.studio(1+i), r.at(0, "08:00").Add(time.Duration(i/2)*30*time.Minute), 30*time.Minute)
			} else {
				req = session(hosts[i], r.studio(1+i), r.at(1, "12:00"), time.Hour)
			}
			got, err := api.CreateSession(context.Background(), &sessionv1.CreateSessionRequest{Session: req})
			if err == nil && got.GetState() != sessionv1.SessionState_SESSION_STATE_SCHEDULED {
				return fmt.Errorf("booked as %s", got.GetState())
			}
			return err
		})
		won := map[int]int{}
		for i, err := range errs {
			switch c := code(err); {
			case c == "OK":
				won[i%2]++
			case c != "QUOTA_EXCEEDED":
				t.Fatalf("client %d: %v", i, err)
			default:
				if st, _ := status.FromError(err); st.Code() != codes.FailedPrecondition || !strings.Contains(st.Message(), "left") {
					t.Fatalf("client %d: %v", i, err)
				}
			}
		}
		if won[0] != 1 || won[1] != 1 {
			t.Fatalf("the host's last hour went to %d bookings and the agency's last session to %d; want one each (%v)", won[0], won[1], tally(errs))
		}
		all := r.checkInvariants(clients)
		perAgencyDay := map[string]int{}
		for _, x := range all {
			if holds(x) && x.GetHost() != hosts[0] {
				perAgencyDay[x.GetStartTime().AsTime().In(shanghai).Format(time.DateOnly)]++
			}
		}
		for day, n := range perAgencyDay {
			if n > 5 {
				t.Fatalf("the agency has %d sessions on %s, over its quota of 5", n, day)
			}
		}
	})
}

// TestAStudioWithARequestStays: the registry asks the scheduler before a
// studio is removed, and a request waiting for approval holds the studio
// as a booked session does.
func TestAStudioWithARequestStays(t *testing.T) {
	s := startSuite(t)
	r := newRig(t, s, "race-remove", 2)
	host := r.hosts("race-remove-h", 1, "")[0]
	if _, err := r.policy(r.studio(2), &sessionv1.StudioPolicy{RequiresApproval: true}, false); err != nil {
		t.Fatal(err)
	}
	api := sessionv1.NewSessionSchedulerClient(s.dialAs(t, s.addrs.SessionScheduling, r.key(host)))
	req, err := api.CreateSession(context.Background(), &sessionv1.CreateSessionRequest{Session: session(host, r.studio(2), r.at(0, "20:00"), time.Hour)})
	if err != nil || req.GetState() != sessionv1.SessionState_SESSION_STATE_PENDING_APPROVAL {
		t.Fatalf("%v, %v", req, err)
	}
	_, err = r.reg.UpdateMember(context.Background(), &memberv1.UpdateMemberRequest{
		Member:     &memberv1.Member{Name: r.base, Studios: []*memberv1.Studio{{StudioId: "s1", DisplayName: "厅 1"}}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"studios"}}})
	if status.Code(err) != codes.FailedPrecondition || grpcx.Reason(err) != "STUDIO_HAS_SESSIONS" || grpcx.ErrorInfo(err).GetMetadata()["session"] != req.GetName() {
		t.Fatalf("removing a studio with a request in it: %v", err)
	}
}
