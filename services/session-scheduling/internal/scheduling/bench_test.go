package scheduling_test

import (
	"context"
	"fmt"
	"github.com/cqlive/alliance/services/kit/members"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"github.com/cqlive/alliance/services/session-scheduling/internal/store"
)

// fakeMembers answers every member check with yes, so the benchmark
// measures the scheduler and its store, not the network. Benchmark only:
// the tests use a real registry.
type fakeMembers struct{}

func (fakeMembers) BatchGet(_ context.Context, names []string) ([]scheduling.Member, error) {
	out := make([]scheduling.Member, 0, len(names))
	for _, n := range names {
		m := scheduling.Member{Name: n, Kind: members.Host, State: members.Active}
		if strings.HasPrefix(n, "members/base") {
			m.Kind = members.Base
			for s := range benchStudios {
				m.Studios = append(m.Studios, fmt.Sprintf("s%d", s))
			}
		}
		out = append(out, m)
	}
	return out, nil
}

func (fakeMembers) Product(context.Context, string) (*scheduling.Product, error) { return nil, nil }

const (
	benchSessions = 200_000
	benchStudios  = 100
	benchHosts    = 500
	benchEvery    = 3 * time.Hour // one 1-hour session per studio every 3 hours
)

var benchStart = time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)

// slot is the k-th session slot of studio s and the host booked into it;
// at any one slot the 100 studios have 100 different hosts.
func slot(k, s int) (studio, host string, start time.Time) {
	return fmt.Sprintf("members/base-bench/studios/s%d", s), fmt.Sprintf("members/h%d", (k*benchStudios+s)%benchHosts), benchStart.Add(time.Duration(k) * benchEvery)
}

// fill writes n sessions straight through the store, in transactions of
// 20,000. The file is opened with NoSync for this set-up only; the
// benchmark reopens it with fsync on.
func fill(b *testing.B, path string, n int, ended bool) {
	st, err := store.Open(path, boltdb.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	for lo := 0; lo < n; lo += 20_000 {
		err := st.Update(func(tx scheduling.Tx) error {
			for i := lo; i < min(lo+20_000, n); i++ {
				studio, host, start := slot(i/benchStudios, i%benchStudios)
				s := &scheduling.Session{ID: fmt.Sprintf("p%07d", i), Title: "filler", Host: host, Studio: studio,
					Platform: 2, Start: start, End: start.Add(time.Hour), State: scheduling.StateScheduled,
					CreateTime: benchStart, UpdateTime: benchStart, Revision: 1}
				if ended {
					s.State, s.ActualStart, s.ActualEnd = scheduling.StateEnded, start, start.Add(time.Hour+time.Duration(i%50)*time.Minute)
				}
				if err := tx.PutSession(s); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateSession measures CreateSession (validation, member checks
// against an in-process fake, the conflict check and the fsynced write)
// on an empty store and on one holding 200,000 sessions. Each new session
// goes into the 90-minute gap between two stored sessions of its studio,
// and its host has a stored session in the slot before, so both index scans
// find neighbours. If the check scanned, /200k would be thousands of times
// slower than /empty.
func BenchmarkCreateSession(b *testing.B) {
	dir := b.TempDir()
	fill(b, filepath.Join(dir, "full", "session.db"), benchSessions, false)
	fill(b, filepath.Join(dir, "empty", "session.db"), 0, false)
	for _, c := range []struct{ name, dir string }{{"empty", "empty"}, {"200k", "full"}} {
		st, err := store.Open(filepath.Join(dir, c.dir, "session.db"), boltdb.Options{})
		if err != nil {
			b.Fatal(err)
		}
		now := func() time.Time { return benchStart.Add(-24 * time.Hour) }
		svc := scheduling.NewService(st, fakeMembers{}, scheduling.DefaultRules, now)
		next := 0 // bookings made so far in this store, across runs
		b.Run(c.name, func(b *testing.B) {
			ctx := scheduling.WithCaller(context.Background(), scheduling.Caller{Trusted: true})
			for b.Loop() {
				k, s := next/benchStudios, next%benchStudios
				studio, host, start := slot(k, s)
				start = start.Add(90 * time.Minute)
				_, err := svc.CreateSession(ctx, scheduling.Session{Title: "bench", Host: host, Studio: studio,
					Platform: 2, Start: start, End: start.Add(30 * time.Minute)}, "", "")
				if err != nil {
					b.Fatalf("booking %d: %v", next, err)
				}
				next++
			}
		})
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCountSessions is sales reporting's question for the alliance
// overview: how many sessions ENDED in a year, over 200,000 ENDED sessions
// (they span 2031-2033). The whole hours come from counters, so the cost
// follows the hours in the range, not the sessions in it.
func BenchmarkCountSessions(b *testing.B) {
	path := filepath.Join(b.TempDir(), "session.db")
	fill(b, path, benchSessions, true)
	st, err := store.Open(path, boltdb.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	svc := scheduling.NewService(st, fakeMembers{}, scheduling.DefaultRules, nil)
	from := time.Date(2031, 3, 1, 7, 30, 0, 0, time.UTC) // partial hours at both edges
	f := scheduling.CountFilter{State: scheduling.StateEnded, EndFrom: from, EndTo: from.AddDate(1, 0, 0)}
	var n int64
	for b.Loop() {
		if n, err = svc.CountSessions(f); err != nil {
			b.Fatal(err)
		}
	}
	if n == 0 || n >= benchSessions {
		b.Fatalf("counted %d sessions in a year; want some, not all", n)
	}
	b.ReportMetric(float64(n), "sessions")
}
