package store

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
)

// TestRecordsRoundTrip: what the store writes it reads back as it was
// given, every field: a session of every field, a policy with each rule
// (a buffer of 0 kept apart from none), a series with its recurrence and
// what it skipped.
func TestRecordsRoundTrip(t *testing.T) {
	st := open(t)
	t0 := time.Date(2031, 5, 6, 10, 0, 0, 123456789, time.UTC)
	zero := time.Duration(0)
	sess := &scheduling.Session{ID: "s-1", Title: "巴南银针", Host: "members/h", Studio: "members/b/studios/s1",
		Merchants: []string{"members/m"}, Products: []string{"members/m/products/p"}, Platform: 4, PlatformRoomID: "r-9",
		Start: t0, End: t0.Add(time.Hour), State: scheduling.StateDeclined, ActualStart: t0.Add(time.Minute), ActualEnd: t0.Add(2 * time.Minute),
		CancelReason: "c", DeclineReason: "档期已满", Agency: "members/a", Series: "tea", Asked: t0.Add(-time.Hour), CreateTime: t0, UpdateTime: t0.Add(time.Second), Revision: 7}
	policies := []*scheduling.Policy{
		{Studio: "members/b/studios/s1",
			OpeningHours: []scheduling.OpeningHours{{Day: time.Sunday, Open: 0, Close: 1440}, {Day: time.Monday, Open: 600, Close: 1320}},
			Blackouts:    []scheduling.Blackout{{Start: t0, End: t0.Add(time.Hour), Reason: "检修"}},
			MinNotice:    time.Hour, MaxAdvance: 48 * time.Hour, Buffer: &zero, HostWeeklyHours: 20, AgencyDailySessions: 3,
			RequiresApproval: true, NoShowGrace: 5 * time.Minute, UpdateTime: t0, Revision: 3},
		{Studio: "members/b/studios/s2", Revision: 1},
	}
	series := &scheduling.Series{ID: "tea", Template: scheduling.Session{Title: "t", Host: "members/h", Studio: "members/b/studios/s1", Platform: 2,
		Start: t0, End: t0.Add(time.Hour), Agency: "members/a", Series: "tea"},
		Recurrence: scheduling.Recurrence{Frequency: scheduling.Weekly, Days: []time.Weekday{time.Tuesday, time.Sunday}, Interval: 2, Count: 5},
		SessionIDs: []string{"tea-20310506", "tea-20310511"},
		Skipped:    []scheduling.Skipped{{Start: t0.Add(24 * time.Hour), Code: "FAILED_PRECONDITION", Reason: "STUDIO_DOUBLE_BOOKED", Message: "m"}},
		CreateTime: t0, CancelReason: "r"}
	err := st.Update(func(tx scheduling.Tx) error {
		if err := tx.PutSession(sess); err != nil {
			return err
		}
		for _, p := range policies {
			if err := tx.PutPolicy(p); err != nil {
				return err
			}
		}
		return tx.PutSeries(series)
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = st.View(func(tx scheduling.Tx) error {
		if got, err := tx.Session("s-1"); err != nil || !reflect.DeepEqual(got, sess) {
			t.Errorf("session:\n got %+v, %v\nwant %+v", got, err, sess)
		}
		for _, p := range policies {
			if got, err := tx.Policy(p.Studio); err != nil || !reflect.DeepEqual(got, p) {
				t.Errorf("policy:\n got %+v, %v\nwant %+v", got, err, p)
			}
		}
		if got, err := tx.Policy("members/b/studios/s3"); got != nil || err != nil {
			t.Errorf("a studio without a policy: %+v, %v", got, err)
		}
		if got, err := tx.Series("tea"); err != nil || !reflect.DeepEqual(got, series) {
			t.Errorf("series:\n got %+v, %v\nwant %+v", got, err, series)
		}
		return nil
	})
}

// TestOpenHoldsTheSessionsASweepMayMove: the index of open sessions holds
// exactly the SCHEDULED and PENDING_APPROVAL ones, in start order, and
// follows each change of state; the agency index follows its sessions.
func TestOpenHoldsTheSessionsASweepMayMove(t *testing.T) {
	st := open(t)
	t0 := time.Date(2031, 5, 6, 10, 0, 0, 0, time.UTC)
	put := func(id string, min int, state scheduling.State) {
		s := &scheduling.Session{ID: id, Host: "members/h", Studio: "members/b/studios/s1", Agency: "members/a",
			Start: t0.Add(time.Duration(min) * time.Minute), End: t0.Add(time.Duration(min+30) * time.Minute), State: state}
		if err := st.Update(func(tx scheduling.Tx) error { return tx.PutSession(s) }); err != nil {
			t.Fatal(err)
		}
	}
	put("c", 20, scheduling.StateScheduled)
	put("a", 0, scheduling.StatePendingApproval)
	put("b", 10, scheduling.StateLive)
	put("d", 30, scheduling.StateScheduled)
	put("e", 40, scheduling.StateNoShow)
	put("d", 30, scheduling.StateNoShow) // lapsed: leaves the index
	walk := func(before time.Time, q *scheduling.Scan) []string {
		var out []string
		_ = st.View(func(tx scheduling.Tx) error {
			fn := func(s *scheduling.Session) bool { out = append(out, s.ID); return true }
			if q != nil {
				return tx.Sessions(*q, fn)
			}
			return tx.Open(before, fn)
		})
		return out
	}
	if got := walk(t0.Add(time.Hour), nil); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("open %v, want [a c]", got)
	}
	if got := walk(t0.Add(20*time.Minute), nil); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("open before 10:20 %v, want [a]: the bound is exclusive", got)
	}
	if got := walk(time.Time{}, &scheduling.Scan{Agency: "members/a", From: t0.Add(10 * time.Minute), To: t0.Add(40 * time.Minute)}); !slices.Equal(got, []string{"b", "c", "d"}) {
		t.Fatalf("the agency's sessions %v, want [b c d]", got)
	}
}
