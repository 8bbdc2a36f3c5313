package ingest_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"github.com/cqlive/alliance/services/sales-reporting/internal/store"
)

// A group of an import's size is judged in one transaction that commits
// sales.db itself; each line's outcome is still what recording the lines
// one at a time gives: new sales with their own payload and id, repeats in
// the group, refunds of orders earlier in it, and refusals among them.
func TestALargeGroupJudgesEachLineAsLinesOneAtATime(t *testing.T) {
	live := "sessions/live"
	in := t0.Add(-30 * time.Minute)
	var lines []ingest.Sale
	for i := range 3000 {
		id := fmt.Sprintf("g-%05d", i)
		switch i % 10 {
		case 3: // a refund of the order before it
			lines = append(lines, refund(live, tea, id, fmt.Sprintf("g-%05d", i-1), 1, 50, in.Add(time.Minute)))
		case 5: // an identical repeat of the line two before
			lines = append(lines, lines[i-2])
		case 6: // the external id of an order with another payload
			l := lines[i-6]
			l.Amount++
			lines = append(lines, l)
		case 7: // a session nobody knows
			lines = append(lines, order("sessions/nope", tea, id, 1, 100, in))
		case 8: // a bad shape
			lines = append(lines, order(live, tea, id, 0, 100, in))
		default:
			lines = append(lines, order(live, tea, id, int64(1+i%4), int64(100+i), in))
		}
	}
	one := newService(t)
	var want []ingest.Outcome
	for _, l := range lines {
		s, dup, err := one.Record(staff, l)
		want = append(want, ingest.Outcome{Sale: s, Duplicate: dup, Err: err})
	}
	tk, err := newService(t).Submit(staff, lines)
	if err != nil {
		t.Fatal(err)
	}
	got := tk.Wait()
	stored := 0
	for i := range lines {
		g, w := got[i], want[i]
		if fault.ReasonOf(g.Err) != fault.ReasonOf(w.Err) || g.Duplicate != w.Duplicate || (g.Sale == nil) != (w.Sale == nil) {
			t.Fatalf("line %d (%s): in the group %+v, one at a time %+v", i, lines[i].ExternalID, g, w)
		}
		if g.Sale != nil && !reflect.DeepEqual(*g.Sale, *w.Sale) {
			t.Fatalf("line %d: the group stored\n%+v\none at a time\n%+v", i, *g.Sale, *w.Sale)
		}
		if g.Sale != nil && !g.Duplicate {
			stored++
		}
	}
	if stored < 1500 {
		t.Fatalf("only %d lines stored: the group must be of an import's size", stored)
	}
}

// The engine takes a committed group beside the next group's judging, but
// a caller is answered only once its sales are in the reports, and so is
// every sale answered before: 16 callers at once, each reading the
// session's summary after every answer.
func TestAnAnsweredSaleIsInTheReports(t *testing.T) {
	svc, engine := serviceAndEngine(t)
	var answered atomic.Int64
	var wg sync.WaitGroup
	for c := range 16 {
		wg.Go(func() {
			for i := range 40 {
				if _, _, err := svc.Record(staff, order("sessions/live", tea, fmt.Sprintf("c%d-%d", c, i), 1, 100, t0.Add(-time.Minute))); err != nil {
					t.Error(err)
					return
				}
				n := answered.Add(1)
				if sum, _ := engine.SessionSummary("sessions/live"); sum.Orders < n {
					t.Errorf("%d sales answered, the reports hold %d", n, sum.Orders)
					return
				}
			}
		})
	}
	wg.Wait()
}

// Each committed group's deltas reach the engine as they were judged, while
// the groups after it reuse the slices the engine is done with: many large
// groups at once, and the session's figures in the reports are the sums of
// every line.
func TestEveryGroupOfManyCountsInTheReportsAsJudged(t *testing.T) {
	svc, engine := serviceAndEngine(t)
	// More lines than two commits hold (MaxCommit), so that groups follow
	// each other while the engine applies the one before.
	const groups = 40
	var units, gross atomic.Int64
	var wg sync.WaitGroup
	for g := range groups {
		wg.Go(func() {
			var lines []ingest.Sale
			for i := range 2500 {
				qty, amt := int64(1+(g+i)%5), int64(100+g*7+i)
				lines = append(lines, order("sessions/live", tea, fmt.Sprintf("g%d-%05d", g, i), qty, amt, t0.Add(-time.Minute)))
				units.Add(qty)
				gross.Add(amt)
			}
			tk, err := svc.Submit(staff, lines)
			if err != nil {
				t.Error(err)
				return
			}
			for i, o := range tk.Wait() {
				if o.Err != nil || o.Duplicate {
					t.Errorf("group %d line %d: %+v", g, i, o)
					return
				}
			}
		})
	}
	wg.Wait()
	sum, _ := engine.SessionSummary("sessions/live")
	if sum.Orders != groups*2500 || sum.Units != units.Load() || sum.Gross != gross.Load() {
		t.Fatalf("the reports hold %d orders, %d units, %d gross; want %d, %d, %d", sum.Orders, sum.Units, sum.Gross, groups*2500, units.Load(), gross.Load())
	}
}

// serviceAndEngine is a service over a real store, and its engine.
func serviceAndEngine(t *testing.T) (*ingest.Service, *report.Engine) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "sales.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	engine := report.New(time.UTC)
	svc := ingest.NewService(st, directory{}, engine, ingest.Config{Currency: "CNY", Location: time.UTC, Now: func() time.Time { return t0 }})
	t.Cleanup(func() {
		svc.Close()
		st.Close()
	})
	return svc, engine
}
