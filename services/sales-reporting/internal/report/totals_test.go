package report

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// The totals (totals.go) answer some queries without walking the records:
// every such query must answer exactly as the walk does, whether the
// engine was loaded from cells or fed batch by batch, and queries the
// totals cannot answer (filters, session dimensions, cut periods) must
// still walk.
func TestTotalsAnswerAsTheWalkDoes(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 20201231} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 11))
			w := genWorld(t, seed, 3000)
			applied, loaded, walked := applyInBatches(w, r), loadCells(w), loadCells(w)
			walked.noTotals = true

			d := func(y int, m time.Month, dd int) Day { return civil(y, m, dd) }
			type span struct{ start, end Day }
			var spans []span
			for y := 2019; y <= 2022; y++ {
				spans = append(spans, span{d(y, 1, 1), d(y+1, 1, 1)})
			}
			spans = append(spans, span{d(2020, 1, 1), d(2023, 1, 1)}, span{d(2020, 11, 15), d(2021, 12, 10)})
			for m := time.October; m <= time.December+14; m++ {
				spans = append(spans, span{d(2020, m, 1), d(2020, m+1, 1)}, span{d(2020, m, 1), d(2020, m+3, 1)})
			}
			first, last := DayOf(w.first, time.UTC), DayOf(w.last, time.UTC)
			for range 25 {
				x := first + Day(r.IntN(int(last-first)+1))
				spans = append(spans, span{x, x + 1}, span{x, x + 1 + Day(r.IntN(60))})
			}
			groupings := [][]Dimension{nil, {DimCategory, DimDistrict}, {DimHost, DimMerchant}}
			for _, d := range allDims {
				groupings = append(groupings, []Dimension{d})
			}
			some := w.deltas[0].Attr
			filters := []Filter{{}, {Category: some.Category}, {Platform: some.Platform}}
			answered, tried := 0, 0
			for _, sp := range spans {
				for _, g := range allGrans {
					for _, by := range groupings {
						for _, f := range filters {
							for _, c := range []Comparison{NoComparison, PreviousPeriod, PreviousYear} {
								if c != NoComparison && (f != Filter{} || r.IntN(4) != 0) {
									continue
								}
								q := Query{Start: sp.start, End: sp.end, Granularity: g, GroupBy: by, Filter: f, Compare: c}
								want, err := walked.Query(q)
								if err != nil {
									t.Fatalf("%+v: %v", q, err)
								}
								for name, e := range map[string]*Engine{"applied": applied, "loaded": loaded} {
									if got, err := e.Query(q); err != nil || !reflect.DeepEqual(got, want) {
										t.Fatalf("%+v, %s engine: the totals answer\n%+v (%v)\nthe walk answers\n%+v", q, name, got, err, want)
									}
								}
								tried++
								if usesTotals(applied, q) {
									answered++
								}
							}
						}
					}
				}
				if got, want := applied.Overview(sp.start, sp.end), walked.Overview(sp.start, sp.end); !reflect.DeepEqual(got, want) {
					t.Fatalf("Overview(%s..%s): from the totals\n%+v\nfrom the walk\n%+v", sp.start, sp.end, got, want)
				}
				for _, dim := range allDims {
					for _, m := range []Metric{MetricNet, MetricOrders} {
						want, _, err := walked.Top(dim, m, Filter{}, sp.start, sp.end, 100)
						if err != nil {
							t.Fatal(err)
						}
						if got, _, err := applied.Top(dim, m, Filter{}, sp.start, sp.end, 100); err != nil || !reflect.DeepEqual(got, want) {
							t.Fatalf("Top(%d, %d, %s..%s): the totals rank\n%+v\nthe walk ranks\n%+v", dim, m, sp.start, sp.end, got, want)
						}
					}
				}
			}
			// The property means something only if the totals answered
			// many of the queries, and not all of them.
			if answered < tried/20 || answered == tried {
				t.Fatalf("the totals answered %d of %d queries", answered, tried)
			}
		})
	}
}

// usesTotals reports whether e answers q's current range from its totals.
func usesTotals(e *Engine, q Query) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	a := aggregate{end: q.End}
	a.makePeriods(q.Granularity, q.Start, q.End)
	return e.fromTotals(&a, q.Start, q.End, q.Granularity, q.GroupBy, q.Filter, nil)
}
