package report

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Each batch sells one product and refunds it in full on a later day, in
// another period: a query that saw half a batch would find gross ≠ refunds.
func TestQueriesNeverSeeHalfABatch(t *testing.T) {
	loc := shanghai(t)
	e := New(loc)
	start, end := day(t, "2020-01-01"), day(t, "2021-01-01")
	// Writers go on until the readers have checked often enough, so that
	// the test does not depend on how the goroutines are scheduled.
	const writers, batches, minChecks = 2, 300, 30
	var done atomic.Bool
	var written, checks atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := 0; i < batches || checks.Load() < minChecks; i++ {
				at := time.Date(2020, time.Month(1+i%11), 1+i%28, 23, 59, 59, 0, loc)
				later := at.AddDate(0, 1, 0).Add(time.Second)
				s := fmt.Sprintf("sessions/w%d-%d", w, i)
				attr := Attribution{Host: fmt.Sprintf("members/h%d", i%7), Base: "members/b", District: fmt.Sprintf("d%d", i%5), Platform: "DOUYIN", Merchant: "members/m", Category: "tea"}
				amount := int64(100 + i)
				e.Apply([]Delta{
					{Session: s, Product: "members/m/products/p", Attr: attr, Day: DayOf(at, loc), EventTime: at, Kind: Order, Quantity: 2, Amount: amount},
					{Session: s, Product: "members/m/products/p", Attr: attr, Day: DayOf(later, loc), EventTime: later, Kind: Refund, Quantity: 2, Amount: amount},
				})
				written.Add(1)
			}
		})
	}
	fail := make(chan string, 8)
	var readers sync.WaitGroup
	for r := range 3 {
		readers.Go(func() {
			var lastOrders int64
			for !done.Load() {
				switch r {
				case 0:
					res, err := e.Query(Query{Start: start, End: end, Granularity: Monthly, GroupBy: []Dimension{DimDistrict, DimCategory}})
					if err != nil {
						fail <- err.Error()
						return
					}
					if res.Totals.Gross != res.Totals.Refunds || res.Totals.Net != 0 || res.Totals.Units != 2*res.Totals.Orders {
						fail <- fmt.Sprintf("query saw half a batch: %+v", res.Totals)
						return
					}
					if res.Totals.Orders < lastOrders {
						fail <- "orders went backwards"
						return
					}
					lastOrders = res.Totals.Orders
				case 1:
					o := e.Overview(start, end)
					if o.Gross != o.Refunds || o.Net != 0 {
						fail <- fmt.Sprintf("overview saw half a batch: %+v", o)
						return
					}
				case 2:
					top, _, err := e.Top(DimHost, MetricNet, Filter{}, start, end, 0)
					if err != nil {
						fail <- err.Error()
						return
					}
					for _, te := range top {
						if te.Metrics.Net != 0 {
							fail <- fmt.Sprintf("top saw half a batch: %+v", te)
							return
						}
					}
				}
				checks.Add(1)
			}
		})
	}
	wg.Wait()
	done.Store(true)
	readers.Wait()
	close(fail)
	for msg := range fail {
		t.Fatal(msg)
	}
	res, _ := e.Query(Query{Start: start, End: end, Granularity: Total})
	if n := written.Load(); res.Totals.Orders != n || res.Totals.Sessions != n {
		t.Fatalf("after all batches: %+v, want %d orders and sessions", res.Totals, n)
	}
	if checks.Load() < minChecks {
		t.Fatalf("only %d checks ran while writing", checks.Load())
	}
}
