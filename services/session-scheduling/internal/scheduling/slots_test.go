package scheduling_test

import (
	"slices"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
)

// slotWorld is a studio with every rule of a policy on, and sessions
// around it: s1 open Tuesday 10:00-22:00, closed 14:00-15:00, booked at
// least 20h and at most 27h ahead (the clock is Monday 18:00: from
// Tuesday 14:00 to 21:00), with a buffer of 30 minutes and a quota of 4
// hours a week per host; the other host in s1 16:00-17:00, a request of
// the third host waiting for 20:00-21:00, the host itself in another base
// 19:00-20:00 and for 3 hours in s2 on Wednesday.
func slotWorld(t *testing.T) *fixture {
	f := newFixture(t)
	f.setPolicy(t, s1, slotPolicy(4))
	f.book(t, lasting("members/other-host", s1, local(0, "16:00"), time.Hour))
	f.request(t, "members/third-host", local(0, "20:00"))
	f.book(t, lasting("members/host", o1, local(0, "19:00"), time.Hour))
	f.book(t, lasting("members/host", s2, local(1, "10:00"), 3*time.Hour))
	return f
}

func slotPolicy(hostWeeklyHours int) scheduling.Policy {
	return scheduling.Policy{RequiresApproval: true,
		OpeningHours: []scheduling.OpeningHours{{Day: time.Tuesday, Open: 10 * 60, Close: 22 * 60}},
		Blackouts:    []scheduling.Blackout{{Start: local(0, "14:00"), End: local(0, "15:00"), Reason: "保洁"}},
		MinNotice:    20 * time.Hour, MaxAdvance: 27 * time.Hour, Buffer: minutes(30), HostWeeklyHours: hostWeeklyHours,
	}
}

func slotStarts(list []scheduling.Slot) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.Start.In(shanghai).Format("15:04")+" "+s.Studio[len("members/base/studios/"):])
	}
	return out
}

// TestFindAvailableSlotsHonoursEveryRule: the slots found are exactly the
// candidates of the grid that a booking of the host would be admitted to,
// tried one by one (and cancelled again), so the finder and the booking
// agree on every rule.
func TestFindAvailableSlotsHonoursEveryRule(t *testing.T) {
	f := slotWorld(t)
	q := scheduling.SlotQuery{Studio: s1, Host: "members/host", Duration: time.Hour, Step: 30 * time.Minute,
		From: local(0, "00:00"), To: local(1, "00:00"), Limit: 1000}
	got, err := f.svc.FindAvailableSlots(staff, q)
	if err != nil {
		t.Fatal(err)
	}
	// 14:00-15:00 blackout; 15:00 and 15:30 meet 16:00-17:00 within the
	// buffer, as do 16:00-17:00 and 17:00; 18:30-20:00 meets the host's
	// 19:00 elsewhere, 19:30 and later the request at 20:00 (and 21:00 is
	// the last start of the advance).
	if want := []string{"17:30 s1", "18:00 s1"}; !slices.Equal(slotStarts(got), want) {
		t.Fatalf("slots %v, want %v", slotStarts(got), want)
	}
	for t0 := q.From; t0.Before(q.To); t0 = t0.Add(q.Step) {
		found := slices.ContainsFunc(got, func(s scheduling.Slot) bool { return s.Start.Equal(t0) })
		s, err := f.svc.CreateSession(staff, lasting("members/host", s1, t0, time.Hour), "", "")
		if (err == nil) != found {
			t.Fatalf("%s: found %v, but booking it: %v", t0.In(shanghai).Format("15:04"), found, err)
		}
		if err == nil {
			if _, err := f.svc.CancelSession(staff, s.ID, "", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Run("every slot is exactly the duration long", func(t *testing.T) {
		for _, s := range got {
			if s.End.Sub(s.Start) != q.Duration {
				t.Fatalf("slot %v lasts %s", s, s.End.Sub(s.Start))
			}
		}
	})
	t.Run("a quota the host has used up leaves it no slot", func(t *testing.T) {
		f.setPolicy(t, s1, slotPolicy(3))
		defer f.setPolicy(t, s1, slotPolicy(4))
		if got, err := f.svc.FindAvailableSlots(staff, q); err != nil || len(got) != 0 {
			t.Fatalf("%v, %v; want none", slotStarts(got), err)
		}
		q := q
		q.Host = ""
		if got, err := f.svc.FindAvailableSlots(staff, q); err != nil || len(got) == 0 {
			t.Fatalf("without a host: %v, %v; want some", slotStarts(got), err)
		}
	})
	t.Run("a no-show's slot is free again", func(t *testing.T) {
		f.clock.Set(local(0, "16:20")) // the other host has not started its 16:00
		f.setPolicy(t, s1, scheduling.Policy{Buffer: minutes(0)})
		got, err := f.svc.FindAvailableSlots(staff, scheduling.SlotQuery{Studio: s1, Duration: 30 * time.Minute, Step: 30 * time.Minute,
			From: local(0, "16:00"), To: local(0, "17:00"), Limit: 10})
		if err != nil || !slices.Equal(slotStarts(got), []string{"16:30 s1"}) {
			t.Fatalf("%v, %v; want the rest of the no-show's hour", slotStarts(got), err)
		}
	})
}

func TestFindAvailableSlotsOfABase(t *testing.T) {
	f := newFixture(t)
	f.book(t, lasting("members/other-host", s2, local(0, "10:00"), time.Hour))
	q := scheduling.SlotQuery{Base: "members/base", Duration: time.Hour, Step: time.Hour, From: local(0, "09:00"), To: local(0, "12:00"), Limit: 50}
	got, err := f.svc.FindAvailableSlots(staff, q)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"09:00 s1", "09:00 s3", "10:00 s1", "10:00 s3", "11:00 s1", "11:00 s3"}; !slices.Equal(slotStarts(got), want) {
		t.Fatalf("slots %v, want %v: by start, then studio", slotStarts(got), want)
	}
	q.Limit = 3
	if got, _ := f.svc.FindAvailableSlots(staff, q); !slices.Equal(slotStarts(got), []string{"09:00 s1", "09:00 s3", "10:00 s1"}) {
		t.Fatalf("capped: %v, want the first 3", slotStarts(got))
	}
	for _, bad := range []scheduling.SlotQuery{
		{Base: "members/base", Duration: time.Hour, Step: time.Minute, From: q.From, To: q.To, Limit: 5},
		{Base: "members/base", Duration: time.Hour, Step: 90 * time.Second, From: q.From, To: q.To, Limit: 5},
		{Base: "members/base", Duration: time.Hour, Step: 25 * time.Hour, From: q.From, To: q.To, Limit: 5},
	} {
		if _, err := f.svc.FindAvailableSlots(staff, bad); fault.ReasonOf(err) != fault.ReasonInvalidArgument {
			t.Fatalf("step %s: %v, want INVALID_ARGUMENT", bad.Step, err)
		}
	}
}

func TestStudioUtilisation(t *testing.T) {
	f := newFixture(t)
	f.setPolicy(t, s1, scheduling.Policy{
		OpeningHours: []scheduling.OpeningHours{{Day: time.Tuesday, Open: 10 * 60, Close: 22 * 60}, {Day: time.Wednesday, Open: 10 * 60, Close: 22 * 60}},
		Blackouts:    []scheduling.Blackout{{Start: local(1, "12:00"), End: local(1, "14:00"), Reason: "检修"}},
	})
	a := f.book(t, lasting("members/host", s1, local(0, "10:00"), 2*time.Hour))
	f.book(t, lasting("members/other-host", s1, local(0, "14:00"), time.Hour)) // a no-show
	c := f.book(t, lasting("members/host", s1, local(0, "16:00"), time.Hour))
	d := f.book(t, lasting("members/host", s1, local(1, "16:00"), 2*time.Hour))
	e := f.book(t, lasting("members/other-host", s2, local(0, "18:00"), time.Hour))
	step := func(at time.Time, do func() error) {
		t.Helper()
		f.clock.Set(at)
		if err := do(); err != nil {
			t.Fatal(err)
		}
	}
	start := func(s *scheduling.Session) func() error {
		return func() error { _, err := f.svc.StartSession(staff, s.ID, ""); return err }
	}
	end := func(s *scheduling.Session) func() error {
		return func() error { _, err := f.svc.EndSession(staff, s.ID, ""); return err }
	}
	step(local(0, "09:00"), func() error { _, err := f.svc.CancelSession(staff, c.ID, "", ""); return err })
	step(local(0, "10:05"), start(a))
	step(local(0, "11:50"), end(a))
	step(local(0, "18:00"), start(e))
	step(local(0, "19:00"), end(e))
	step(local(1, "16:00"), start(d))
	f.clock.Set(local(1, "17:00"))
	list, total, err := f.svc.GetStudioUtilisation(staff, scheduling.UtilisationQuery{Base: "members/base", From: "2031-05-06", To: "2031-05-08"})
	if err != nil {
		t.Fatal(err)
	}
	h := func(x float64) time.Duration { return time.Duration(x * float64(time.Hour)) }
	want := []scheduling.Utilisation{
		// 12h + 10h open; booked 2 + 1 (no-show) + 2; live 1:45 + 1 (LIVE until now).
		{Studio: s1, Open: h(22), Booked: h(5), Live: h(2.75), NoShows: 1, Held: 2, Cancellations: 1},
		{Studio: s2, Open: h(48), Booked: h(1), Live: h(1), Held: 1},
		{Studio: s3, Open: h(48)},
	}
	if !slices.Equal(list, want) {
		t.Fatalf("studios\n%+v\nwant\n%+v", list, want)
	}
	if total != (scheduling.Utilisation{Open: h(118), Booked: h(6), Live: h(3.75), NoShows: 1, Held: 3, Cancellations: 1}) {
		t.Fatalf("total %+v", total)
	}
	if r := list[0].NoShowRate(); r != 1.0/3 {
		t.Fatalf("no-show rate %v, want 1/3", r)
	}
	if r := list[0].Rate(); r != 2.75/22 {
		t.Fatalf("utilisation %v, want 2.75/22", r)
	}
	t.Run("a period counts the part of a session inside it", func(t *testing.T) {
		list, _, err := f.svc.GetStudioUtilisation(staff, scheduling.UtilisationQuery{Studio: s1, From: "2031-05-07", To: "2031-05-08"})
		if err != nil || len(list) != 1 || list[0] != (scheduling.Utilisation{Studio: s1, Open: h(10), Booked: h(2), Live: h(1), Held: 1}) {
			t.Fatalf("%+v, %v", list, err)
		}
	})
	for _, bad := range []scheduling.UtilisationQuery{
		{Studio: s1, From: "2031-05-08", To: "2031-05-08"},
		{Studio: s1, From: "2031-05-06", To: "2032-05-08"},
		{Studio: s1, From: "6 May", To: "2031-05-08"},
		{From: "2031-05-06", To: "2031-05-08"},
	} {
		if _, _, err := f.svc.GetStudioUtilisation(staff, bad); fault.ReasonOf(err) != fault.ReasonInvalidArgument {
			t.Fatalf("%+v: %v, want INVALID_ARGUMENT", bad, err)
		}
	}
}

// TestUtilisationCountsASessionThatRanPastItsPlan: live time counts by the
// actual times, and a session may go on air past its planned end (an
// import up to scheduling.ActualSlack past it; EndSession has no bound). A
// session planned for 21:00-22:00 on Tuesday that was ended at 02:00 on
// Wednesday was on air two hours of Wednesday, one still LIVE at 20:00
// twenty; the period's scan looked back only the longest planned length
// from its start, found neither, and counted no live time at all. And one
// planned for 00:10 on Wednesday that went on air at 23:50 (EarlyStart)
// was ten minutes of Tuesday, which the scan, ending at the period's end,
// missed.
func TestUtilisationCountsASessionThatRanPastItsPlan(t *testing.T) {
	f := newFixture(t)
	late := f.book(t, lasting("members/host", s1, local(0, "21:00"), time.Hour))
	still := f.book(t, lasting("members/other-host", s2, local(0, "21:00"), time.Hour))
	early := f.book(t, lasting("members/host", s3, local(1, "00:10"), time.Hour))
	for _, s := range []*scheduling.Session{late, still} {
		f.clock.Set(local(0, "21:00"))
		if _, err := f.svc.StartSession(staff, s.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Set(local(0, "23:50")) // 20 minutes early: 10 of them on Tuesday
	if _, err := f.svc.StartSession(staff, early.ID, ""); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(local(1, "01:10"))
	if _, err := f.svc.EndSession(staff, early.ID, ""); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(local(1, "02:00"))
	if _, err := f.svc.EndSession(staff, late.ID, ""); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(local(1, "20:00")) // Wednesday 20:00: still LIVE, 22 hours past its plan
	h := func(x float64) time.Duration { return time.Duration(x * float64(time.Hour)) }
	for _, c := range []struct {
		studio, from, to string
		live             time.Duration
	}{
		{s1, "2031-05-06", "2031-05-07", h(3)},
		{s1, "2031-05-07", "2031-05-08", h(2)},
		{s1, "2031-05-06", "2031-05-08", h(5)},
		{s2, "2031-05-06", "2031-05-07", h(3)},
		{s2, "2031-05-07", "2031-05-08", h(20)},
		{s3, "2031-05-06", "2031-05-07", h(1.0 / 6)},
		{s3, "2031-05-07", "2031-05-08", h(7.0 / 6)},
	} {
		list, _, err := f.svc.GetStudioUtilisation(staff, scheduling.UtilisationQuery{Studio: c.studio, From: c.from, To: c.to})
		if err != nil || len(list) != 1 || list[0].Live != c.live {
			t.Errorf("%s from %s to %s: %+v, %v; want live %s", c.studio, c.from, c.to, list, err, c.live)
		}
	}
}
