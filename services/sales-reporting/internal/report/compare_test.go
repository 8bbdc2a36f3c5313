package report

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// naiveEarlier is the compared range and day, by plain calendar arithmetic.
func naiveEarlier(c Comparison, d, start, end time.Time) time.Time {
	if c == PreviousPeriod {
		return d.AddDate(0, 0, -int(end.Sub(start).Hours()/24))
	}
	last := time.Date(d.Year()-1, d.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return time.Date(d.Year()-1, d.Month(), min(d.Day(), last), 0, 0, 0, 0, time.UTC)
}

type comparedRow struct {
	Period, Keys string
	M            Metrics
	Prev         *Metrics
}

// naiveCompare recounts both ranges on their own and joins them: a current
// period is compared with the earlier row whose period holds its
// counterpart day.
func naiveCompare(w world, start, end time.Time, g Granularity, by []Dimension, f Filter, c Comparison) ([]comparedRow, Metrics, Metrics) {
	cur, curTot := naiveQuery(w, start, end, g, by, f)
	ps, pe := naiveEarlier(c, start, start, end), naiveEarlier(c, end, start, end)
	if c == PreviousPeriod {
		pe = start
	}
	prev, prevTot := naiveQuery(w, ps, pe, g, by, f)
	// Every period of the current range, from its days.
	var periods [][2]time.Time
	for d := start; d.Before(end); d = d.AddDate(0, 0, 1) {
		s := naivePeriodStart(g, d, start)
		e := naivePeriodEnd(g, s, end)
		s, e = maxTime(s, start), minTime(e, end)
		if len(periods) == 0 || !periods[len(periods)-1][0].Equal(s) {
			periods = append(periods, [2]time.Time{s, e})
		}
	}
	out := map[string]*comparedRow{}
	for _, r := range cur {
		out[r.Period+"#"+r.Keys] = &comparedRow{Period: r.Period, Keys: r.Keys, M: r.M}
	}
	for _, r := range prev {
		from, _ := time.Parse(time.DateOnly, r.Period[:10])
		to, _ := time.Parse(time.DateOnly, r.Period[11:])
		for _, p := range periods {
			x := naiveEarlier(c, p[0], start, end)
			if x.Before(from) || !x.Before(to) {
				continue
			}
			period := p[0].Format(time.DateOnly) + "/" + p[1].Format(time.DateOnly)
			k := period + "#" + r.Keys
			if out[k] == nil {
				out[k] = &comparedRow{Period: period, Keys: r.Keys}
			}
			m := r.M
			out[k].Prev = &m
		}
	}
	var rows []comparedRow
	for _, r := range out {
		rows = append(rows, *r)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Period != rows[j].Period {
			return rows[i].Period < rows[j].Period
		}
		return rows[i].Keys < rows[j].Keys
	})
	return rows, curTot, prevTot
}

// The comparisons equal a recount of each range on its own, joined by the
// calendar: random data over a year boundary and a leap day (2024-02-29),
// both comparisons, every granularity, groupings of session and product
// dimensions, and filters.
func TestComparisonsEqualANaiveRecount(t *testing.T) {
	for _, base := range []time.Time{time.Date(2020, 11, 20, 0, 0, 0, 0, shanghai(t)), time.Date(2023, 12, 1, 0, 0, 0, 0, shanghai(t))} {
		t.Run(base.Format("from 2006-01"), func(t *testing.T) {
			w := genWorldFrom(t, uint64(base.Year()), 3000, base)
			r := rand.New(rand.NewPCG(uint64(base.Year()), 3))
			engines := map[string]*Engine{"applied": applyInBatches(w, r), "loaded": loadCells(w)}
			y := base.Year()
			utc := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
			ranges := [][2]time.Time{
				{utc(y+1, 1, 1), utc(y+2, 1, 1)},    // a whole year against the year before (a leap year in 2024)
				{utc(y, 12, 20), utc(y+1, 1, 10)},   // across the year boundary
				{utc(y+1, 2, 27), utc(y+1, 3, 2)},   // a leap day, or the day after 28 February
				{utc(2024, 2, 29), utc(2024, 3, 1)}, // the leap day alone: compared with 28 February 2023
				{w.first, w.last.AddDate(0, 0, 1)},  // all of it
				{w.first.AddDate(0, 0, 40), w.last}, // a cut
			}
			groupings := [][]Dimension{nil, {DimDistrict}, {DimHost, DimPlatform}, {DimCategory}, {DimMerchant, DimBase}}
			some := w.deltas[0].Attr
			filters := []Filter{{}, {District: some.District}, {Category: some.Category}}
			n := 0
			for _, c := range []Comparison{PreviousPeriod, PreviousYear} {
				for _, rg := range ranges {
					for _, g := range allGrans {
						for _, by := range groupings {
							f := filters[r.IntN(len(filters))]
							wantRows, wantTot, wantPrev := naiveCompare(w, rg[0], rg[1], g, by, f, c)
							q := Query{Start: day(t, rg[0].Format(time.DateOnly)), End: day(t, rg[1].Format(time.DateOnly)), Granularity: g, GroupBy: by, Filter: f, Compare: c}
							for name, e := range engines {
								got, err := e.Query(q)
								if err != nil {
									t.Fatal(err)
								}
								var gotRows []comparedRow
								for _, row := range got.Rows {
									gotRows = append(gotRows, comparedRow{row.PeriodStart.String() + "/" + row.PeriodEnd.String(), strings.Join(row.Keys, "|"), row.Metrics, row.Previous})
								}
								if !reflect.DeepEqual(gotRows, wantRows) && !(len(gotRows) == 0 && len(wantRows) == 0) {
									t.Fatalf("%s: compare %d %v g=%d by=%v f=%+v:\n got %s\nwant %s", name, c, rg, g, by, f, show(gotRows), show(wantRows))
								}
								if got.Totals != wantTot || got.PreviousTotals == nil || *got.PreviousTotals != wantPrev {
									t.Fatalf("%s: compare %d %v: totals %+v / %+v, want %+v / %+v", name, c, rg, got.Totals, got.PreviousTotals, wantTot, wantPrev)
								}
							}
							if len(wantRows) > 0 {
								n++
							}
						}
					}
				}
			}
			if n < 60 {
				t.Fatalf("only %d comparisons had rows", n)
			}
		})
	}
}

func show(rows []comparedRow) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "\n  %s %s net=%d", r.Period, r.Keys, r.M.Net)
		if r.Prev != nil {
			fmt.Fprintf(&b, " prev net=%d sessions=%d views=%d", r.Prev.Net, r.Prev.Sessions, r.Prev.Traffic.Views)
		}
	}
	return b.String()
}

// Top with a comparison ranks as Top does, and gives each entry its
// figures and rank in the earlier range, which Top over that range gives.
func TestTopComparedGivesTheEarlierRank(t *testing.T) {
	w := genWorld(t, 5, 3000)
	e := loadCells(w)
	start, end := day(t, "2021-06-01"), day(t, "2021-12-01")
	for _, c := range []Comparison{PreviousPeriod, PreviousYear} {
		got, _, err := e.TopCompared(DimHost, MetricNet, Filter{}, start, end, 3, c)
		if err != nil {
			t.Fatal(err)
		}
		plain, _, _ := e.Top(DimHost, MetricNet, Filter{}, start, end, 3)
		ps, pe := EarlierRange(c, start, end)
		before, _, _ := e.Top(DimHost, MetricNet, Filter{}, ps, pe, 100)
		if len(got) != len(plain) || len(before) == 0 {
			t.Fatalf("%d entries, want %d; %d before", len(got), len(plain), len(before))
		}
		for i := range got {
			if got[i].Key != plain[i].Key || got[i].Rank != plain[i].Rank || got[i].Metrics != plain[i].Metrics {
				t.Fatalf("entry %d: %+v, want %+v", i, got[i], plain[i])
			}
			var want *TopEntry
			for j := range before {
				if before[j].Key == got[i].Key {
					want = &before[j]
				}
			}
			switch {
			case want == nil && (got[i].Previous != nil || got[i].PreviousRank != 0):
				t.Fatalf("%s sold nothing before, got rank %d", got[i].Key, got[i].PreviousRank)
			case want != nil && (got[i].Previous == nil || *got[i].Previous != want.Metrics || got[i].PreviousRank != want.Rank):
				t.Fatalf("%s: previous rank %d, want %d", got[i].Key, got[i].PreviousRank, want.Rank)
			}
		}
	}
}

func TestEarlierRanges(t *testing.T) {
	for _, tc := range []struct {
		c                  Comparison
		start, end, ps, pe string
	}{
		{PreviousPeriod, "2021-01-01", "2021-02-01", "2020-12-01", "2021-01-01"},
		{PreviousPeriod, "2020-03-01", "2020-03-02", "2020-02-29", "2020-03-01"},
		{PreviousYear, "2021-01-01", "2022-01-01", "2020-01-01", "2021-01-01"},
		{PreviousYear, "2024-02-29", "2024-03-01", "2023-02-28", "2023-03-01"},
		{PreviousYear, "2025-02-28", "2025-03-01", "2024-02-28", "2024-03-01"},
	} {
		ps, pe := EarlierRange(tc.c, day(t, tc.start), day(t, tc.end))
		if ps.String() != tc.ps || pe.String() != tc.pe {
			t.Errorf("%d [%s, %s): [%s, %s), want [%s, %s)", tc.c, tc.start, tc.end, ps, pe, tc.ps, tc.pe)
		}
	}
}
