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
			restarted := loadThenApply(w, r)
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
			whole := len(spans) // the spans above are whole months and years
			first, last := DayOf(w.first, time.UTC), DayOf(w.last, time.UTC)
			for range 25 {
				x := first + Day(r.IntN(int(last-first)+1))
				spans = append(spans, span{x, x + 1}, span{x, x + 1 + Day(r.IntN(60))})
			}
			groupings := [][]Dimension{nil}
			for i, d := range allDims {
				groupings = append(groupings, []Dimension{d})
				// Every pair, in one order or the other (the pair totals
				// keep each in one).
				for _, d2 := range allDims[i+1:] {
					if r.IntN(2) == 0 {
						groupings = append(groupings, []Dimension{d, d2})
					} else {
						groupings = append(groupings, []Dimension{d2, d})
					}
				}
			}
			some := w.deltas[0].Attr
			filters := []Filter{{}, {Category: some.Category}, {Platform: some.Platform}}
			answered, tried, pairs := 0, 0, 0
			for si, sp := range spans {
				for _, g := range allGrans {
					for _, by := range groupings {
						for _, f := range filters {
							for _, c := range []Comparison{NoComparison, PreviousPeriod, PreviousYear} {
								if c != NoComparison && (f != Filter{} || r.IntN(4) != 0) {
									continue
								}
								// Two dimensions: the granularities the pair
								// totals answer, and a few others that walk.
								if len(by) == 2 && (si >= whole || g == Daily || g == Weekly || g == Quarterly || f != Filter{}) && r.IntN(8) != 0 {
									continue
								}
								q := Query{Start: sp.start, End: sp.end, Granularity: g, GroupBy: by, Filter: f, Compare: c}
								want, err := walked.Query(q)
								if err != nil {
									t.Fatalf("%+v: %v", q, err)
								}
								for name, e := range map[string]*Engine{"applied": applied, "loaded": loaded, "loaded, then applied": restarted} {
									if got, err := e.Query(q); err != nil || !reflect.DeepEqual(got, want) {
										t.Fatalf("%+v, %s engine: the totals answer\n%+v (%v)\nthe walk answers\n%+v", q, name, got, err, want)
									}
								}
								tried++
								if usesTotals(applied, q) {
									answered++
									if len(by) == 2 {
										pairs++
									}
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
			if answered < tried/20 || answered == tried || pairs < tried/50 {
				t.Fatalf("the totals answered %d of %d queries, the pair totals %d", answered, tried, pairs)
			}
			t.Logf("the totals answered %d of %d queries, the pair totals %d", answered, tried, pairs)
		})
	}
}

// loadThenApply is a service restarted halfway: the first half of the
// deltas loaded as cells (the pair totals built at the load's end), the
// rest applied in batches after it (the pair totals kept by the merge).
func loadThenApply(w world, r *rand.Rand) *Engine {
	half := w
	half.deltas = w.deltas[:len(w.deltas)/2]
	half.latest = nil
	e := loadCells(half)
	rest := w
	rest.deltas = w.deltas[len(w.deltas)/2:]
	for i := 0; i < len(rest.deltas); {
		n := min(1+r.IntN(60), len(rest.deltas)-i)
		e.Apply(rest.deltas[i : i+n])
		i += n
	}
	e.ApplyTraffic(w.traffic)
	return e
}

// usesTotals reports whether e answers q's current range from its totals.
func usesTotals(e *Engine, q Query) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	a := aggregate{end: q.End}
	a.makePeriods(q.Granularity, q.Start, q.End)
	return e.fromTotals(&a, q.Start, q.End, q.Granularity, q.GroupBy, q.Filter, nil)
}

// A session's traffic can move to another day (its start corrected) or to
// another attribution: a day's totals cannot take the old peak back, so
// such a day answers by the walk, and every other total stays right.
func TestTotalsFollowTrafficThatMoves(t *testing.T) {
	w := genWorld(t, 5, 3000)
	r := rand.New(rand.NewPCG(5, 5))
	applied, walked := applyInBatches(w, r), applyInBatches(w, rand.New(rand.NewPCG(5, 5)))
	walked.noTotals = true
	var moves []Traffic
	for i, x := range w.latest {
		x.AsOf = x.AsOf.Add(time.Hour)
		x.Views, x.PeakConcurrentViewers = x.Views+10, x.PeakConcurrentViewers+1
		switch i % 3 {
		case 0:
			x.Day++ // its start was corrected
		case 1:
			x.Attr.Host = "members/h-moved" // its host changed
		}
		moves = append(moves, x)
	}
	applied.ApplyTraffic(moves)
	walked.ApplyTraffic(moves)
	d := func(y int, m time.Month, dd int) Day { return civil(y, m, dd) }
	first := DayOf(w.first, time.UTC)
	type span struct{ start, end Day }
	spans := []span{{d(2020, 1, 1), d(2021, 1, 1)}, {d(2021, 1, 1), d(2022, 1, 1)}, {d(2020, 11, 1), d(2021, 3, 1)}, {first, first + 400}}
	for _, tr := range moves[:min(len(moves), 10)] {
		spans = append(spans, span{tr.Day - 1, tr.Day + 2}, span{tr.Day, tr.Day + 1})
	}
	for _, sp := range spans {
		for _, g := range []Granularity{Daily, Monthly, Yearly, Total} {
			for _, by := range [][]Dimension{nil, {DimHost}, {DimDistrict}, {DimCategory}, {DimHost, DimMerchant}, {DimCategory, DimDistrict}} {
				q := Query{Start: sp.start, End: sp.end, Granularity: g, GroupBy: by}
				want, _ := walked.Query(q)
				if got, _ := applied.Query(q); !reflect.DeepEqual(got, want) {
					t.Fatalf("%+v after the moves: the totals answer\n%+v\nthe walk answers\n%+v", q, got, want)
				}
			}
		}
		if got, want := applied.Overview(sp.start, sp.end), walked.Overview(sp.start, sp.end); !reflect.DeepEqual(got, want) {
			t.Fatalf("Overview(%s..%s) after the moves: from the totals\n%+v\nfrom the walk\n%+v", sp.start, sp.end, got, want)
		}
	}
}

func TestTrafficBeforeAnySaleIsInTheTotals(t *testing.T) {
	loc := shanghai(t)
	at := time.Date(2021, 3, 5, 20, 0, 0, 0, loc)
	tr := Traffic{Session: "sessions/early", Day: DayOf(at, loc), AsOf: at.Add(time.Hour), Views: 900, Viewers: 300, PeakConcurrentViewers: 40,
		Attr: Attribution{Host: "members/h", Base: "members/b", District: "dazu", Platform: "DOUYIN"}}
	sale := Delta{Session: "sessions/early", Product: "members/m/products/p", Day: DayOf(at, loc), EventTime: at, Kind: Order, Quantity: 1, Amount: 500,
		Attr: Attribution{Host: "members/h", Base: "members/b", District: "dazu", Platform: "DOUYIN", Merchant: "members/m", Category: "tea"}}
	totals, walk := New(loc), New(loc)
	walk.noTotals = true
	for _, e := range []*Engine{totals, walk} {
		e.ApplyTraffic([]Traffic{tr}) // no sale, no product attribution yet
	}
	check := func(when string) {
		for _, by := range [][]Dimension{nil, {DimHost}, {DimCategory}, {DimPlatform, DimCategory}} {
			for _, g := range []Granularity{Daily, Monthly, Yearly} {
				q := Query{Start: civil(2021, 1, 1), End: civil(2022, 1, 1), Granularity: g, GroupBy: by}
				got, err := totals.Query(q)
				want, _ := walk.Query(q)
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Fatalf("%s, %+v: the totals answer\n%+v (%v)\nthe walk answers\n%+v", when, q, got, err, want)
				}
			}
		}
	}
	check("traffic alone")
	for _, e := range []*Engine{totals, walk} {
		e.Apply([]Delta{sale})
	}
	check("then a sale")
}
