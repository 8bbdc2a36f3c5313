package report

import (
	"testing"
	"time"
)

// A row's sessions are the sessions with at least one ORDER in the row. A
// refund counts against the row's net, but it does not make its day (or its
// district, its category) one on which the session ran: a day with 11
// sessions and 15 refunds of last week's orders has 11 sessions, not 26.
func TestSessionsCountByOrdersNotByRefunds(t *testing.T) {
	loc := shanghai(t)
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	attr := func(district, category string) Attribution {
		return Attribution{Host: "members/h", Base: "members/b", Studio: "members/b/studios/1", District: district,
			Merchant: "members/m", Category: category, OriginDistrict: district, Platform: "DOUYIN"}
	}
	sale := func(session, product string, a Attribution, when string, k Kind) Delta {
		ts := at(when)
		return Delta{Session: session, Product: product, Attr: a, Day: DayOf(ts, loc), EventTime: ts, Kind: k, Quantity: 1, Amount: 100}
	}
	tea, veg := attr("yuzhong", "tea"), attr("yuzhong", "agri-food")
	for _, tc := range []struct {
		name   string
		sales  []Delta
		q      Query
		rows   []int64 // sessions of each row, in order
		totals int64
	}{
		{
			name: "a refund today of last week's order does not count last week's session today",
			sales: []Delta{
				sale("sessions/old", "members/m/products/p", tea, "2020-06-01 20:00", Order),
				sale("sessions/old", "members/m/products/p", tea, "2020-06-08 10:00", Refund),
				sale("sessions/new", "members/m/products/p", tea, "2020-06-08 20:00", Order),
			},
			q:    Query{Start: day(t, "2020-06-08"), End: day(t, "2020-06-09"), Granularity: Daily},
			rows: []int64{1}, totals: 1,
		},
		{
			name: "a day with only refunds has a row of refunds and no session",
			sales: []Delta{
				sale("sessions/old", "members/m/products/p", tea, "2020-06-01 20:00", Order),
				sale("sessions/old", "members/m/products/p", tea, "2020-06-08 10:00", Refund),
			},
			q:    Query{Start: day(t, "2020-06-08"), End: day(t, "2020-06-09"), Granularity: Daily},
			rows: []int64{0}, totals: 0,
		},
		{
			name: "an order after a refund on the same day counts the session once",
			sales: []Delta{
				sale("sessions/s", "members/m/products/p", tea, "2020-06-01 20:00", Order),
				sale("sessions/s", "members/m/products/p", tea, "2020-06-02 10:00", Refund),
				sale("sessions/s", "members/m/products/p", tea, "2020-06-02 11:00", Order),
			},
			q:    Query{Start: day(t, "2020-06-01"), End: day(t, "2020-06-03"), Granularity: Daily},
			rows: []int64{1, 1}, totals: 1,
		},
		{
			name: "a month with only refunds of the month before counts no session (month records)",
			sales: []Delta{
				sale("sessions/s", "members/m/products/p", tea, "2020-05-30 20:00", Order),
				sale("sessions/s", "members/m/products/p", tea, "2020-06-02 10:00", Refund),
				sale("sessions/s", "members/m/products/p", tea, "2020-06-20 10:00", Refund),
			},
			q:    Query{Start: day(t, "2020-05-01"), End: day(t, "2020-07-01"), Granularity: Monthly},
			rows: []int64{1, 0}, totals: 1,
		},
		{
			name: "by category: a refund of a tea order beside a vegetable order counts the session under vegetables only",
			sales: []Delta{
				sale("sessions/s", "members/m/products/tea", tea, "2020-06-01 20:00", Order),
				sale("sessions/s", "members/m/products/tea", tea, "2020-06-03 10:00", Refund),
				sale("sessions/s", "members/m/products/veg", veg, "2020-06-03 20:00", Order),
			},
			q:    Query{Start: day(t, "2020-06-03"), End: day(t, "2020-06-04"), Granularity: Daily, GroupBy: []Dimension{DimCategory}},
			rows: []int64{1, 0}, totals: 1, // agri-food, tea
		},
		{
			name: "by category over months: the refunded category's month has no session",
			sales: []Delta{
				sale("sessions/s", "members/m/products/tea", tea, "2020-05-20 20:00", Order),
				sale("sessions/s", "members/m/products/tea", tea, "2020-06-03 10:00", Refund),
				sale("sessions/s", "members/m/products/veg", veg, "2020-06-03 20:00", Order),
			},
			q:    Query{Start: day(t, "2020-06-01"), End: day(t, "2020-07-01"), Granularity: Monthly, GroupBy: []Dimension{DimCategory}},
			rows: []int64{1, 0}, totals: 1,
		},
		{
			name: "a session whose products carry two attributions (counted without links) still counts by orders",
			sales: []Delta{
				sale("sessions/s", "members/m/products/tea", tea, "2020-06-01 20:00", Order),
				sale("sessions/s", "members/m/products/tea", tea, "2020-06-03 10:00", Refund),
				sale("sessions/s", "members/m/products/veg", Attribution{Host: "members/h", Agency: "members/a", Base: "members/b",
					District: "yuzhong", Merchant: "members/m", Category: "agri-food", Platform: "DOUYIN"}, "2020-06-02 20:00", Order),
			},
			q:    Query{Start: day(t, "2020-06-03"), End: day(t, "2020-06-04"), Granularity: Daily, GroupBy: []Dimension{DimAgency}},
			rows: []int64{0}, totals: 0,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			applied, loaded := New(loc), New(loc)
			applied.Apply(tc.sales)
			// The same sales as the store's cells, loaded as at start-up.
			for _, c := range cellsOf(tc.sales) {
				loaded.Load(c)
			}
			for name, e := range map[string]*Engine{"applied": applied, "loaded": loaded} {
				res, err := e.Query(tc.q)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, r := range res.Rows {
					got = append(got, r.Metrics.Sessions)
				}
				if len(got) != len(tc.rows) || res.Totals.Sessions != tc.totals {
					t.Fatalf("%s: sessions per row %v, totals %d; want %v, %d", name, got, res.Totals.Sessions, tc.rows, tc.totals)
				}
				for i := range got {
					if got[i] != tc.rows[i] {
						t.Fatalf("%s: sessions per row %v, totals %d; want %v, %d", name, got, res.Totals.Sessions, tc.rows, tc.totals)
					}
				}
				if o := e.Overview(tc.q.Start, tc.q.End); o.SessionsWithSales != tc.totals {
					t.Fatalf("%s: overview's sessions_with_sales %d, want %d", name, o.SessionsWithSales, tc.totals)
				}
			}
		})
	}
}
