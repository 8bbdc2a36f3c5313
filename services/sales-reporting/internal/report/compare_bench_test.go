package report

import (
	"fmt"
	"testing"
	"time"
)

// trafficStore is loadedStore(184000) with a traffic snapshot for every
// session (about 20–100 views per order), as the 2020 replay makes.
func trafficStore(b *testing.B) benchStore {
	st := loadedStore(b, 184000)
	return cachedStore("traffic", func() benchStore { return withTraffic(b, st) })
}

// withTraffic adds the snapshots to st, which is loadedStore(184000).
func withTraffic(b *testing.B, st benchStore) benchStore {
	s := newSynth(b, 184000) // the same sessions as loadedStore's
	e := st.e
	// The engine is this store's now: loadedStore makes a fresh one.
	delete(benchStores, "load-184000")
	for i := range 184000 {
		d, at := s.day(i, 0)
		views := int64(2000 + s.r.IntN(20000))
		e.ApplyTraffic([]Traffic{{Session: fmt.Sprintf("sessions/s%06d", i), Day: d, Attr: s.attr(i, s.sessionProducts[i][0]), AsOf: at.Add(3 * time.Hour),
			Views: views, Viewers: views / 2, PeakConcurrentViewers: views / 20, ProductImpressions: views, ProductClicks: views / 10,
			AverageViewDuration: 90 * time.Second}})
	}
	return benchStore{e, st.cells}
}

// BenchmarkCompareTo is MONTH × DISTRICT over the second half of 2020,
// without a comparison and with PREVIOUS_PERIOD (the first half), on the
// same store in the same run: the target is at most 2× the cost.
func BenchmarkCompareTo(b *testing.B) {
	st := loadedStore(b, 184000)
	for _, c := range []struct {
		name string
		c    Comparison
	}{{"plain", NoComparison}, {"previous_period", PreviousPeriod}, {"previous_year", PreviousYear}} {
		for _, by := range [][]Dimension{{DimDistrict}, {DimCategory}} {
			b.Run(fmt.Sprintf("%s/by=%d", c.name, by[0]), func(b *testing.B) {
				q := Query{Start: day(b, "2020-07-01"), End: day(b, "2021-01-01"), Granularity: Monthly, GroupBy: by, Compare: c.c}
				timed(b, func() {
					if res, err := st.e.Query(q); err != nil || len(res.Rows) == 0 {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

// BenchmarkTrafficInReports is MONTH × DISTRICT and the overview over the
// year on the same cells without traffic and then with a snapshot for
// every session: what traffic adds to a report.
func BenchmarkTrafficInReports(b *testing.B) {
	for _, with := range []bool{false, true} {
		b.Run(fmt.Sprintf("traffic=%v", with), func(b *testing.B) {
			st := loadedStore(b, 184000)
			if with {
				st = trafficStore(b)
			}
			q := yearQuery
			q.Start, q.End = yearRange(b)
			timed(b, func() {
				if res, err := st.e.Query(q); err != nil || len(res.Rows) == 0 || with != (res.Totals.Traffic.Views > 0) {
					b.Fatal(err)
				}
			})
		})
	}
}
