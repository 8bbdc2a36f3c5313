package report

import (
	"fmt"
	"math"
	"math/big"
	"testing"
	"time"
)

func TestCheckedAndSaturatedAddition(t *testing.T) {
	for _, c := range []struct {
		name   string
		a, b   int64
		fits   bool
		satSum int64
	}{
		{"small numbers add exactly", 2, 3, true, 5},
		{"the largest int64 is reached exactly", math.MaxInt64 - 1, 1, true, math.MaxInt64},
		{"one past the largest overflows", math.MaxInt64, 1, false, math.MaxInt64},
		{"two large positives overflow", math.MaxInt64, math.MaxInt64, false, math.MaxInt64},
		{"the smallest int64 is reached exactly", math.MinInt64 + 1, -1, true, math.MinInt64},
		{"one below the smallest overflows", math.MinInt64, -1, false, math.MinInt64},
		{"opposite signs never overflow", math.MaxInt64, math.MinInt64, true, -1},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, fits := CheckedAdd(c.a, c.b)
			want := new(big.Int).Add(big.NewInt(c.a), big.NewInt(c.b))
			if fits != c.fits || (fits && big.NewInt(got).Cmp(want) != 0) {
				t.Fatalf("CheckedAdd(%d, %d) = %d, %v; want fits=%v (exact sum %s)", c.a, c.b, got, fits, c.fits, want)
			}
			if s := SatAdd(c.a, c.b); s != c.satSum {
				t.Fatalf("SatAdd(%d, %d) = %d, want %d", c.a, c.b, s, c.satSum)
			}
		})
	}
}

func TestACellRefusesADeltaThatWouldOverflowIt(t *testing.T) {
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	c := Cell{}
	if !c.Add(Delta{Session: "sessions/a", Product: "members/m/products/p", Day: 7, EventTime: at, Kind: Order, Quantity: 1, Amount: math.MaxInt64 - 10}) {
		t.Fatal("the first order was refused")
	}
	before := c
	for _, d := range []Delta{
		{EventTime: at.Add(time.Hour), Kind: Order, Quantity: 1, Amount: 11},
		{EventTime: at.Add(time.Hour), Kind: Refund, Quantity: 1, Amount: math.MaxInt64},
	} {
		c2 := c
		if d.Kind == Refund {
			c2.Refunds = 1 // a refund's sum overflows from here
		}
		saved := c2
		if c2.Add(d) {
			t.Fatalf("delta %+v accepted into %+v: %+v", d, saved, c2)
		}
		if c2 != saved {
			t.Fatalf("a refused delta changed the cell: %+v, want %+v", c2, saved)
		}
	}
	if !c.Add(Delta{EventTime: at.Add(time.Hour), Kind: Order, Quantity: 1, Amount: 10}) || c.Gross != math.MaxInt64 || c.Orders != 2 {
		t.Fatalf("an order up to the limit: %+v (from %+v)", c, before)
	}
}

func TestAverageOrderValueAtTheEdgesOfInt64(t *testing.T) {
	for _, c := range []struct {
		gross, orders, want int64
	}{
		{math.MaxInt64, 1, math.MaxInt64},
		{math.MaxInt64, 2, math.MaxInt64/2 + 1}, // .5 rounds to the even neighbour
		{math.MinInt64, 1, math.MinInt64},
		{math.MinInt64, 3, -3074457345618258603}, // 3074457345618258602.67 rounds up in magnitude
		{5, 2, 2},
		{7, 2, 4},
		{-5, 2, -2},
		{100, 0, 0},
	} {
		t.Run(fmt.Sprintf("%d over %d", c.gross, c.orders), func(t *testing.T) {
			if got := AverageOrderValue(c.gross, c.orders); got != c.want {
				t.Fatalf("got %d, want %d", got, c.want)
			}
		})
	}
}

// TestNoFigureWraps loads cells whose figures are each near the largest
// int64 (a file from before ingestion bounded the sums): every report
// total, session summary and overview stops at the largest int64 instead
// of turning negative.
func TestNoFigureWraps(t *testing.T) {
	loc := shanghai(t)
	e := New(loc)
	d := day(t, "2026-03-10")
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	const big = math.MaxInt64 - 1
	for i := range 3 {
		for p := range 2 {
			e.Load(Cell{Session: "sessions/a", Product: fmt.Sprintf("members/m/products/p%d-%d", i, p), Day: d + Day(i),
				Attr:   Attribution{Host: "members/h", Base: "members/b", District: "banan", Merchant: "members/m", Category: "tea", Platform: "DOUYIN"},
				Orders: big, Units: big, Gross: big, Refunds: big / 2, RefundLines: big, FirstEvent: at, LastEvent: at})
		}
	}
	e.Compact() // the pair totals are built from the cells
	res, err := e.Query(Query{Start: d, End: d + 40, Granularity: Total})
	if err != nil {
		t.Fatal(err)
	}
	tot := res.Totals
	if tot.Orders != math.MaxInt64 || tot.Units != math.MaxInt64 || tot.Gross != math.MaxInt64 || tot.Refunds != math.MaxInt64 || tot.Net != 0 || tot.AverageOrderValue != 1 {
		t.Fatalf("totals %+v, want every sum saturated at the largest int64", tot)
	}
	for _, g := range []Granularity{Daily, Monthly, Yearly} {
		for _, by := range [][]Dimension{nil, {DimCategory}, {DimDistrict, DimCategory}, {DimMerchant, DimCategory}} {
			res, err := e.Query(Query{Start: d, End: d + 40, Granularity: g, GroupBy: by})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rows) == 0 {
				t.Fatalf("granularity %d by %v: no rows", g, by)
			}
			for _, r := range append(res.Rows, Row{Metrics: res.Totals}) {
				if m := r.Metrics; m.Orders < 0 || m.Units < 0 || m.Gross < 0 || m.Refunds < 0 || m.AverageOrderValue < 0 {
					t.Fatalf("granularity %d by %v: a figure wrapped: %+v", g, by, m)
				}
			}
		}
	}
	sum, _ := e.SessionSummary("sessions/a")
	if sum.Orders != math.MaxInt64 || sum.Gross != math.MaxInt64 || sum.RefundLines != math.MaxInt64 {
		t.Fatalf("session summary %+v, want saturated sums", sum)
	}
	if o := e.Overview(d, d+40); o.Gross != math.MaxInt64 || o.Orders != math.MaxInt64 || o.Net < 0 {
		t.Fatalf("overview %+v, want saturated sums", o)
	}
	top, _, err := e.Top(DimHost, MetricGross, Filter{}, d, d+40, 1)
	if err != nil || len(top) != 1 || top[0].Value != math.MaxInt64 {
		t.Fatalf("top %+v %v, want the host at the largest int64", top, err)
	}
}
