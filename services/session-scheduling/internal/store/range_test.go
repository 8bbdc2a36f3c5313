package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/timekey"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	bolt "go.etcd.io/bbolt"
)

// wrap is the last instant time.Time.UnixNano can carry; schema 1 keys
// wrapped just after it.
var wrap = time.Date(2262, 4, 11, 23, 47, 16, 854775807, time.UTC)

// records reads every session straight from its record, past the indexes.
func records(t *testing.T, st *Store) []*scheduling.Session {
	t.Helper()
	var out []*scheduling.Session
	err := st.s.DB.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).ForEach(func(id, raw []byte) error {
			s, err := decodeSession(string(id), raw)
			out = append(out, s)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// in reports whether x lies in [from, to); a zero bound is open.
func in(x, from, to time.Time) bool {
	return (from.IsZero() || !x.Before(from)) && (to.IsZero() || x.Before(to))
}

// checkAgainstRecords compares every scan and count of the store, for the
// given bounds, with what the records say.
func checkAgainstRecords(t *testing.T, st *Store, bounds []time.Time) {
	t.Helper()
	all := records(t, st)
	var studios, hosts []string
	for _, s := range all {
		if !slices.Contains(studios, s.Studio) {
			studios = append(studios, s.Studio)
		}
		if !slices.Contains(hosts, s.Host) {
			hosts = append(hosts, s.Host)
		}
	}
	bounds = append([]time.Time{{}}, bounds...)
	for _, from := range bounds {
		for _, to := range bounds {
			// Scans: every session, each studio, each host, in (start, id) order.
			queries := []scheduling.Scan{{From: from, To: to}}
			for _, s := range studios {
				queries = append(queries, scheduling.Scan{Studio: s, From: from, To: to})
			}
			for _, h := range hosts {
				queries = append(queries, scheduling.Scan{Host: h, From: from, To: to})
			}
			for _, q := range queries {
				var want, got []string
				sorted := slices.Clone(all)
				slices.SortFunc(sorted, func(a, b *scheduling.Session) int {
					if c := a.Start.Compare(b.Start); c != 0 {
						return c
					}
					return strings.Compare(a.ID, b.ID)
				})
				for _, s := range sorted {
					if (q.Studio == "" || s.Studio == q.Studio) && (q.Host == "" || s.Host == q.Host) && in(s.Start, from, to) {
						want = append(want, s.ID)
					}
				}
				if err := st.View(func(tx scheduling.Tx) error {
					return tx.Sessions(q, func(s *scheduling.Session) bool { got = append(got, s.ID); return true })
				}); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("Sessions(%+v) = %v, want %v", q, got, want)
				}
			}
			// Counts by state, by start and by actual end.
			for state := scheduling.StateUnspecified; state <= scheduling.StateCancelled; state++ {
				filters := []scheduling.CountFilter{{State: state, StartFrom: from, StartTo: to}}
				if !from.IsZero() || !to.IsZero() {
					filters = append(filters, scheduling.CountFilter{State: state, EndFrom: from, EndTo: to})
				}
				for _, f := range filters {
					var want int64
					for _, s := range all {
						byEnd := !f.EndFrom.IsZero() || !f.EndTo.IsZero()
						if state != 0 && s.State != state {
							continue
						}
						if (!byEnd && in(s.Start, f.StartFrom, f.StartTo)) || (byEnd && s.State == scheduling.StateEnded && in(s.ActualEnd, f.EndFrom, f.EndTo)) {
							want++
						}
					}
					var got int64
					if err := st.View(func(tx scheduling.Tx) error {
						var err error
						got, err = tx.Count(f)
						return err
					}); err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Fatalf("Count(%+v) = %d, want %d", f, got, want)
					}
				}
			}
		}
	}
}

// TestIndexesAgreeOverTheWholeRange stores sessions from 0001 to 9999,
// many around the instant where UnixNano wraps and on hour boundaries, and
// checks every scan and count against the records, for bounds at the
// limits of the range, at the wrap and in between.
func TestIndexesAgreeOverTheWholeRange(t *testing.T) {
	st := open(t)
	rng := rand.New(rand.NewPCG(3, 5))
	anyTime := func() time.Time {
		switch rng.IntN(4) {
		case 0: // anywhere in the Timestamp range, to the nanosecond
			span := timekey.Max.Unix() - timekey.Min.Unix()
			return time.Unix(timekey.Min.Unix()+1+rng.Int64N(span-1), rng.Int64N(1e9)).UTC()
		case 1: // on an hour, within three days of the wrap
			return wrap.Truncate(time.Hour).Add(time.Duration(rng.IntN(144)-72) * time.Hour)
		default: // within three days of the wrap
			return wrap.Add(time.Duration(rng.Int64N(int64(144*time.Hour))) - 72*time.Hour)
		}
	}
	for i := range 120 {
		start := anyTime()
		s := &scheduling.Session{ID: fmt.Sprintf("s%03d", i), Host: fmt.Sprintf("members/h%d", i%3), Studio: fmt.Sprintf("members/b/studios/s%d", i%4),
			Start: start, End: start.Add(time.Hour), State: scheduling.State(1 + rng.IntN(4))}
		if s.State == scheduling.StateEnded {
			s.ActualStart, s.ActualEnd = s.Start, s.Start.Add(time.Duration(rng.Int64N(int64(3*time.Hour))))
		}
		if err := st.Update(func(tx scheduling.Tx) error { return tx.PutSession(s) }); err != nil {
			t.Fatal(err)
		}
	}
	bounds := []time.Time{
		timekey.Min.Add(time.Nanosecond), // the first bound the API passes on (see rpc.timeOf)
		time.Date(1677, 9, 21, 0, 12, 43, 145224191, time.UTC),
		time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		wrap.Truncate(time.Hour), wrap, wrap.Add(time.Nanosecond), wrap.Add(90 * time.Minute),
		time.Date(5000, 6, 1, 12, 30, 0, 0, time.UTC),
		timekey.Max,
	}
	for range 4 {
		bounds = append(bounds, anyTime())
	}
	checkAgainstRecords(t, st, bounds)
}
