package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
)

// TestReportsEqualANaiveRecount ingests random sales (orders and refunds)
// over random sessions, members and days, many of them near midnight in
// Chongqing, then checks every granularity with no dimension, every
// dimension and every pair of dimensions against a recount of the stored
// sales, done here the slow and obvious way.
func TestReportsEqualANaiveRecount(t *testing.T) {
	e := newEnv(t)
	a := e.a
	rng := rand.New(rand.NewPCG(7, 2026))
	hosts := []string{a.Host, a.OfficialHost}
	studios := []string{a.Studio, a.Studio2}
	platforms := []typev1.Platform{typev1.Platform_PLATFORM_DOUYIN, typev1.Platform_PLATFORM_KUAISHOU}
	type ses struct {
		name       string
		platform   typev1.Platform
		start, end time.Time
	}
	var sessions []ses
	for i := range 14 {
		// 22:00 to 01:00 in Chongqing, on days from mid-December 2025 to April 2026
		start := time.Date(2025, 12, 14, 22, rng.IntN(60), 0, 0, shanghai).AddDate(0, 0, i*9+rng.IntN(5))
		s := a.Session(fmt.Sprintf("prop-%d", i), sessionv1.SessionState_SESSION_STATE_ENDED, start, start.Add(3*time.Hour))
		s.Host, s.Studio, s.Platform = hosts[rng.IntN(2)], studios[rng.IntN(2)], platforms[rng.IntN(2)]
		s.Merchants = []string{a.Merchant, a.Merchant2}
		e.sched.Put(s)
		sessions = append(sessions, ses{s.GetName(), s.GetPlatform(), start, start.Add(3 * time.Hour)})
	}
	products := []string{a.Tea, a.Hotpot, a.Noodles}
	var lines []*salesv1.Sale
	type orderLeft struct {
		sale        *salesv1.Sale
		qty, amount int64
	}
	var open []*orderLeft
	for i := range 3000 {
		if i%5 == 4 && len(open) > 0 {
			o := open[rng.IntN(len(open))]
			if o.qty == 0 {
				continue
			}
			q, amt := 1+rng.Int64N(o.qty), 1+rng.Int64N(o.amount)
			o.qty, o.amount = o.qty-q, o.amount-amt
			// a refund, counted on its own day: up to 40 days later
			at := o.sale.GetEventTime().AsTime().Add(time.Duration(rng.IntN(40*24)) * time.Hour)
			r := refund(o.sale.GetSession(), o.sale.GetProduct(), ext("pr", i), o.sale.GetExternalId(), q, amt, at)
			r.Platform = o.sale.GetPlatform()
			lines = append(lines, r)
			if o.amount == 0 {
				o.qty = 0
			}
			continue
		}
		s := sessions[rng.IntN(len(sessions))]
		// within [start, end+24h], often in the hour around midnight
		at := s.start.Add(time.Duration(rng.IntN(int(27*time.Hour/time.Second))) * time.Second)
		if rng.IntN(2) == 0 {
			at = s.start.Add(time.Duration(rng.IntN(int(3*time.Hour/time.Second))) * time.Second)
		}
		o := order(s.name, products[rng.IntN(3)], ext("po", i), 1+rng.Int64N(5), 1+rng.Int64N(100000), at)
		o.Platform = s.platform
		lines = append(lines, o)
		open = append(open, &orderLeft{sale: o, qty: o.GetQuantity(), amount: o.GetAmount().GetMinorUnits()})
	}
	// Judged after the last refund (up to 40 days after April's sessions):
	// no refund lies in the future.
	e.clock.Set(time.Date(2026, 7, 1, 0, 0, 0, 0, shanghai))
	r, err := e.importSales(lines)
	if err != nil || r.GetRejected() != 0 {
		t.Fatalf("import: %v %v", r.GetErrors(), err)
	}
	stored := e.allSales("")

	startDate, endDate := "2025-12-24", "2026-04-07" // a Wednesday to a Tuesday: every kind of period is clipped
	start, _ := time.ParseInLocation(time.DateOnly, startDate, shanghai)
	end, _ := time.ParseInLocation(time.DateOnly, endDate, shanghai)
	dims := []salesv1.Dimension{1, 2, 3, 4, 5, 6, 7, 8}
	var groupings [][]salesv1.Dimension
	groupings = append(groupings, nil)
	for i, d := range dims {
		groupings = append(groupings, []salesv1.Dimension{d})
		for _, d2 := range dims[i+1:] {
			groupings = append(groupings, []salesv1.Dimension{d, d2}, []salesv1.Dimension{d2, d})
		}
	}
	for g := salesv1.Granularity_GRANULARITY_DAY; g <= salesv1.Granularity_GRANULARITY_TOTAL; g++ {
		for _, gb := range groupings {
			want, wantTotal := recount(stored, g, gb, start, end)
			got := map[string]string{}
			var gotTotal string
			token := ""
			for {
				resp, err := e.sales.QuerySalesReport(context.Background(), &salesv1.QuerySalesReportRequest{
					StartDate: startDate, EndDate: endDate, Granularity: g, GroupBy: gb, PageSize: 1000, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				gotTotal = metricsString(resp.GetTotals())
				for _, row := range resp.GetRows() {
					k := []string{row.GetPeriodStart(), row.GetPeriodEnd()}
					for _, key := range row.GetKeys() {
						k = append(k, key.GetKey())
					}
					got[strings.Join(k, "|")] = metricsString(row.GetMetrics())
				}
				if token = resp.GetNextPageToken(); token == "" {
					break
				}
			}
			if gotTotal != wantTotal {
				t.Fatalf("%s by %v: totals %s, recount %s", g, gb, gotTotal, wantTotal)
			}
			if len(got) != len(want) {
				t.Fatalf("%s by %v: %d rows, recount has %d", g, gb, len(got), len(want))
			}
			for k, w := range want {
				if got[k] != w {
					t.Fatalf("%s by %v: row %s is %q, recount %q", g, gb, k, got[k], w)
				}
			}
		}
	}
}

type naive struct {
	sessions                     map[string]bool
	orders, units, gross, refund int64
}

func (n *naive) String() string {
	aov := int64(0)
	if n.orders > 0 {
		q, r := n.gross/n.orders, n.gross%n.orders
		if 2*r > n.orders || (2*r == n.orders && q%2 == 1) {
			q++
		}
		aov = q
	}
	return fmt.Sprintf("sessions=%d orders=%d units=%d gross=%d refunds=%d net=%d aov=%d",
		len(n.sessions), n.orders, n.units, n.gross, n.refund, n.gross-n.refund, aov)
}

func metricsString(m *salesv1.Metrics) string {
	return fmt.Sprintf("sessions=%d orders=%d units=%d gross=%d refunds=%d net=%d aov=%d",
		m.GetSessions(), m.GetOrders(), m.GetUnits(), m.GetGross().GetMinorUnits(), m.GetRefunds().GetMinorUnits(),
		m.GetNet().GetMinorUnits(), m.GetAverageOrderValue().GetMinorUnits())
}

// naivePeriod is the calendar period of g holding day, clipped to [start, end).
func naivePeriod(g salesv1.Granularity, day, start, end time.Time) (time.Time, time.Time) {
	y, m, d := day.Date()
	var ps, pe time.Time
	switch g {
	case salesv1.Granularity_GRANULARITY_DAY:
		ps, pe = day, day.AddDate(0, 0, 1)
	case salesv1.Granularity_GRANULARITY_WEEK:
		ps = time.Date(y, m, d-(int(day.Weekday())+6)%7, 0, 0, 0, 0, shanghai)
		pe = ps.AddDate(0, 0, 7)
	case salesv1.Granularity_GRANULARITY_MONTH:
		ps = time.Date(y, m, 1, 0, 0, 0, 0, shanghai)
		pe = ps.AddDate(0, 1, 0)
	case salesv1.Granularity_GRANULARITY_QUARTER:
		ps = time.Date(y, (m-1)/3*3+1, 1, 0, 0, 0, 0, shanghai)
		pe = ps.AddDate(0, 3, 0)
	case salesv1.Granularity_GRANULARITY_YEAR:
		ps = time.Date(y, 1, 1, 0, 0, 0, 0, shanghai)
		pe = ps.AddDate(1, 0, 0)
	default:
		ps, pe = start, end
	}
	if ps.Before(start) {
		ps = start
	}
	if pe.After(end) {
		pe = end
	}
	return ps, pe
}

func dimKey(s *salesv1.Sale, d salesv1.Dimension) string {
	at := s.GetAttribution()
	switch d {
	case salesv1.Dimension_DIMENSION_DISTRICT:
		return at.GetDistrict()
	case salesv1.Dimension_DIMENSION_ORIGIN_DISTRICT:
		return at.GetOriginDistrict()
	case salesv1.Dimension_DIMENSION_HOST:
		return at.GetHost()
	case salesv1.Dimension_DIMENSION_AGENCY:
		return at.GetAgency()
	case salesv1.Dimension_DIMENSION_BASE:
		return at.GetBase()
	case salesv1.Dimension_DIMENSION_MERCHANT:
		return at.GetMerchant()
	case salesv1.Dimension_DIMENSION_CATEGORY:
		return at.GetCategory()
	case salesv1.Dimension_DIMENSION_PLATFORM:
		return strings.TrimPrefix(s.GetPlatform().String(), "PLATFORM_")
	}
	return ""
}

func recount(sales []*salesv1.Sale, g salesv1.Granularity, gb []salesv1.Dimension, start, end time.Time) (map[string]string, string) {
	rows := map[string]*naive{}
	total := &naive{sessions: map[string]bool{}}
	for _, s := range sales {
		t := s.GetEventTime().AsTime().In(shanghai)
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, shanghai)
		if day.Before(start) || !day.Before(end) {
			continue
		}
		ps, pe := naivePeriod(g, day, start, end)
		k := []string{ps.Format(time.DateOnly), pe.Format(time.DateOnly)}
		for _, d := range gb {
			k = append(k, dimKey(s, d))
		}
		key := strings.Join(k, "|")
		n := rows[key]
		if n == nil {
			n = &naive{sessions: map[string]bool{}}
			rows[key] = n
		}
		for _, x := range []*naive{n, total} {
			if s.GetKind() == salesv1.SaleKind_SALE_KIND_ORDER {
				x.sessions[s.GetSession()] = true // by orders only: a refund alone does not count its session
				x.orders++
				x.units += s.GetQuantity()
				x.gross += s.GetAmount().GetMinorUnits()
			} else {
				x.refund += s.GetAmount().GetMinorUnits()
			}
		}
	}
	out := make(map[string]string, len(rows))
	for k, n := range rows {
		out[k] = n.String()
	}
	return out, total.String()
}
