package report

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// QueryPage builds only a page's rows: every page, at every offset and
// size, is the same slice of the whole answer, with the whole answer's
// totals and row count, with or without a comparison.
func TestAPageIsTheSliceOfTheWholeAnswer(t *testing.T) {
	w := genWorld(t, 8, 2000)
	e := applyInBatches(w, rand.New(rand.NewPCG(8, 8)))
	y := func(yr int) Day { return civil(yr, time.January, 1) }
	for _, q := range []Query{
		{Start: y(2020), End: y(2022), Granularity: Daily, GroupBy: []Dimension{DimCategory}},
		{Start: y(2021), End: y(2022), Granularity: Monthly, GroupBy: []Dimension{DimHost, DimMerchant}},
		{Start: y(2021), End: y(2022), Granularity: Weekly, GroupBy: []Dimension{DimDistrict}, Compare: PreviousYear},
		{Start: y(2021), End: y(2022), Granularity: Yearly, GroupBy: []Dimension{DimPlatform}, Filter: Filter{Category: "tea"}},
	} {
		whole, err := e.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		n := len(whole.Rows)
		if n < 3 {
			t.Fatalf("%+v: %d rows, too few to page", q, n)
		}
		for _, limit := range []int{-1, 0, 1, 7, n - 1, n, n + 5} {
			for _, offset := range []int{-3, 0, 1, n / 2, n - 1, n, n + 10} {
				page, count, err := e.QueryPage(q, offset, limit)
				if err != nil {
					t.Fatal(err)
				}
				lo := min(max(offset, 0), n)
				hi := n
				if limit >= 0 {
					hi = min(lo+limit, n)
				}
				want := whole
				want.Rows = whole.Rows[lo:hi]
				if count != n || !reflect.DeepEqual(page, want) {
					t.Fatalf("%+v, offset %d, limit %d: page of %d rows (count %d), want rows [%d, %d) of %d", q, offset, limit, len(page.Rows), count, lo, hi, n)
				}
			}
		}
	}
}
