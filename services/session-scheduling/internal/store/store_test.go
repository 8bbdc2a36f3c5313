package store

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
)

func open(t *testing.T) *Store {
	t.Helper()
	st, err := Open(filepath.Join(t.TempDir(), "session.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// TestCountAgreesWithTheSessions writes random sessions, many on exact
// hour boundaries, moves and re-states some of them (so index entries and
// counters must move too), and checks Count against a brute-force count
// for random ranges, on and off the hour.
func TestCountAgreesWithTheSessions(t *testing.T) {
	st := open(t)
	rng := rand.New(rand.NewPCG(7, 11))
	base := time.Date(2030, 3, 1, 0, 0, 0, 0, time.UTC)
	randTime := func() time.Time {
		h := time.Duration(rng.IntN(72)) * time.Hour
		if rng.IntN(2) == 0 {
			return base.Add(h) // on the hour
		}
		return base.Add(h + time.Duration(rng.IntN(3600))*time.Second)
	}
	sessions := map[string]*scheduling.Session{}
	put := func(s *scheduling.Session) {
		if err := st.Update(func(tx scheduling.Tx) error { return tx.PutSession(s) }); err != nil {
			t.Fatal(err)
		}
		c := *s
		sessions[s.ID] = &c
	}
	for i := range 300 {
		start := randTime()
		put(&scheduling.Session{ID: fmt.Sprintf("s%03d", i), Host: "members/h", Studio: "members/b/studios/s",
			Start: start, End: start.Add(time.Hour), State: scheduling.StateScheduled})
	}
	// Rewrite in id order, so the run is the same every time.
	for i := range 300 {
		c := *sessions[fmt.Sprintf("s%03d", i)]
		switch rng.IntN(4) {
		case 0:
			c.Start = randTime()
			c.End = c.Start.Add(30 * time.Minute)
		case 1:
			c.State, c.ActualEnd = scheduling.StateEnded, randTime()
		case 2:
			c.State = scheduling.StateCancelled
		}
		if rng.IntN(5) == 0 && c.State == scheduling.StateEnded {
			c.ActualEnd = randTime() // an ENDED session rewritten keeps one count
		}
		put(&c)
	}
	in := func(x, from, to time.Time) bool {
		return !x.IsZero() && (from.IsZero() || !x.Before(from)) && (to.IsZero() || x.Before(to))
	}
	for range 400 {
		var from, to time.Time
		if rng.IntN(6) > 0 {
			from = randTime()
		}
		if rng.IntN(6) > 0 {
			to = randTime()
		}
		state := scheduling.State(rng.IntN(5))
		for _, byEnd := range []bool{false, true} {
			f := scheduling.CountFilter{State: state}
			if byEnd {
				f.EndFrom, f.EndTo = from, to
				if from.IsZero() && to.IsZero() {
					continue
				}
			} else {
				f.StartFrom, f.StartTo = from, to
			}
			var want int64
			for _, s := range sessions {
				x := s.Start
				if byEnd {
					x = s.ActualEnd
					if s.State != scheduling.StateEnded {
						x = time.Time{}
					}
				}
				if (state == 0 || s.State == state) && in(x, from, to) {
					want++
				}
			}
			var got int64
			err := st.View(func(tx scheduling.Tx) error {
				var err error
				got, err = tx.Count(f)
				return err
			})
			if err != nil || got != want {
				t.Fatalf("Count(%+v) = %d, %v; want %d", f, got, err, want)
			}
		}
	}
}

func TestSessionsWalksOneIndexInStartOrder(t *testing.T) {
	st := open(t)
	t0 := time.Date(2030, 3, 1, 10, 0, 0, 0, time.UTC)
	mk := func(id, host, studio string, min int) {
		s := &scheduling.Session{ID: id, Host: host, Studio: studio, Start: t0.Add(time.Duration(min) * time.Minute),
			End: t0.Add(time.Duration(min+30) * time.Minute), State: scheduling.StateScheduled}
		if err := st.Update(func(tx scheduling.Tx) error { return tx.PutSession(s) }); err != nil {
			t.Fatal(err)
		}
	}
	mk("b", "members/h1", "members/x/studios/s1", 0)
	mk("a", "members/h2", "members/x/studios/s1", 0)
	mk("c", "members/h1", "members/x/studios/s10", 60)
	mk("d", "members/h10", "members/x/studios/s1", 120)
	walk := func(q scheduling.Scan) string {
		var out string
		_ = st.View(func(tx scheduling.Tx) error {
			return tx.Sessions(q, func(s *scheduling.Session) bool { out += s.ID; return true })
		})
		return out
	}
	cases := []struct {
		name string
		q    scheduling.Scan
		want string
	}{
		{"all, by start then id", scheduling.Scan{}, "abcd"},
		{"one studio; s1 is not a prefix match of s10", scheduling.Scan{Studio: "members/x/studios/s1"}, "abd"},
		{"one host; h1 is not a prefix match of h10", scheduling.Scan{Host: "members/h1"}, "bc"},
		{"from is inclusive, to exclusive", scheduling.Scan{From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)}, "c"},
		{"after a cursor", scheduling.Scan{After: scheduling.Cursor{Start: t0, ID: "a"}}, "bcd"},
		{"after a cursor inside a studio", scheduling.Scan{Studio: "members/x/studios/s1", After: scheduling.Cursor{Start: t0, ID: "b"}}, "d"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := walk(c.q); got != c.want {
				t.Fatalf("walk = %q, want %q", got, c.want)
			}
		})
	}
}
