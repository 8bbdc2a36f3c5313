package report

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// The property test checks the engine against a recount written apart from
// it: it loops over the raw deltas, buckets them with plain time arithmetic
// on the local date of their event time, and counts distinct sessions with
// maps (a session counts in a row by an ORDER there, never by a refund alone). Nothing of the engine but ParseDay/String (tested on their own) is
// used to compute the expected answers.

var allDims = []Dimension{DimDistrict, DimOriginDistrict, DimHost, DimAgency, DimBase, DimMerchant, DimCategory, DimPlatform}
var allGrans = []Granularity{Daily, Weekly, Monthly, Quarterly, Yearly, Total}

type world struct {
	loc    *time.Location
	deltas []Delta
	// traffic: every snapshot sent, in sending order (as_of shuffled
	// across sessions), and the latest of each session, which counts.
	traffic, latest []Traffic
	local           []time.Time // local date of each delta's event, as a UTC midnight
	// first and last local dates with sales, as UTC midnights
	first, last time.Time
}

// genWorld makes random sales over random sessions, members, products,
// platforms and days. A third of the event times sit within a second of
// local midnight, and refunds come up to 40 days after the session.
func genWorld(t testing.TB, seed uint64, nDeltas int) world {
	return genWorldFrom(t, seed, nDeltas, time.Date(2020, 11, 20, 0, 0, 0, 0, shanghai(t)))
}

// genWorldFrom is genWorld with its sessions over the 14 months from base.
func genWorldFrom(t testing.TB, seed uint64, nDeltas int, base time.Time) world {
	loc := shanghai(t)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	districts := []string{"yuzhong", "jiulongpo", "banan", "dazu", "wanzhou"}
	hosts := []string{"members/h1", "members/h2", "members/h3", "members/h4", "members/h5", "members/h6"}
	agencies := []string{"", "members/a1", "members/a2"}
	bases := []string{"members/b1", "members/b2", "members/b3"}
	platforms := []string{"DOUYIN", "TAOBAO_LIVE", "KUAISHOU", "JD"}
	merchants := []string{"members/m1", "members/m2", "members/m3", "members/m4"}
	categories := []string{"tea", "agri-food", "apparel"}

	type product struct{ name, merchant, category, origin string }
	products := make([]product, 12)
	for i := range products {
		m := pick(merchants)
		products[i] = product{fmt.Sprintf("%s/products/p%d", m, i), m, pick(categories), pick(districts)}
	}
	// Sessions over about 14 months around a year boundary, each with a
	// fixed attribution and a few products.
	type session struct {
		name     string
		attr     Attribution
		mixed    bool
		start    time.Time
		products []product
	}
	sessions := make([]session, 30)
	for i := range sessions {
		b := pick(bases)
		s := session{
			name:  fmt.Sprintf("sessions/s%02d", i),
			attr:  Attribution{Host: pick(hosts), Agency: pick(agencies), Base: b, Studio: b + "/studios/1", District: pick(districts), Platform: pick(platforms), Official: r.IntN(4) == 0},
			start: base.AddDate(0, 0, r.IntN(420)),
			mixed: i%5 == 0,
		}
		for _, j := range r.Perm(len(products))[:1+r.IntN(7)] { // up to 7 rows a period: more than inlineSlots
			s.products = append(s.products, products[j])
		}
		sessions[i] = s
	}
	w := world{loc: loc}
	// Traffic for two sessions in three, one to three snapshots each; the
	// newest as_of counts, whatever the order they arrive in.
	for _, s := range sessions {
		if r.IntN(3) == 0 {
			continue
		}
		var snaps []Traffic
		// Counters only grow from one snapshot to the next, as ingestion
		// holds them (METRICS_DECREASED); the view duration may fall.
		var last Traffic
		for k := range 1 + r.IntN(3) {
			v := last.Views + 1 + r.Int64N(100000)
			last = Traffic{Session: s.name, Day: DayOf(s.start, loc), Attr: s.attr,
				AsOf: s.start.Add(time.Duration(k+1) * time.Hour), Views: v, Viewers: last.Viewers + 1 + r.Int64N(v-last.Views),
				PeakConcurrentViewers: last.PeakConcurrentViewers + r.Int64N(5000), ProductImpressions: last.ProductImpressions + 3000 + r.Int64N(50000),
				ProductClicks:       last.ProductClicks + r.Int64N(3000),
				AverageViewDuration: time.Duration(r.Int64N(int64(10 * time.Minute))).Truncate(time.Millisecond)}
			snaps = append(snaps, last)
		}
		w.latest = append(w.latest, snaps[len(snaps)-1])
		for _, j := range r.Perm(len(snaps)) {
			w.traffic = append(w.traffic, snaps[j])
		}
	}
	r.Shuffle(len(w.traffic), func(i, j int) { w.traffic[i], w.traffic[j] = w.traffic[j], w.traffic[i] })
	for range nDeltas {
		s := sessions[r.IntN(len(sessions))]
		p := s.products[r.IntN(len(s.products))]
		kind := Order
		days := r.IntN(2)
		if r.IntN(4) == 0 {
			kind = Refund
			days = r.IntN(40)
		}
		dayStart := time.Date(s.start.Year(), s.start.Month(), s.start.Day()+days, 0, 0, 0, 0, loc)
		var at time.Time
		switch r.IntN(6) {
		case 0:
			at = dayStart
		case 1:
			at = dayStart.Add(-time.Second)
		default:
			at = dayStart.Add(time.Duration(r.Int64N(int64(24 * time.Hour))))
		}
		attr := s.attr
		attr.Merchant, attr.Category, attr.OriginDistrict = p.merchant, p.category, p.origin
		if s.mixed {
			// The host changed agency while the session was live: its
			// products carry different session attributions.
			attr.Agency = agencies[len(p.name)%len(agencies)]
			if p.category == "tea" {
				attr.Host = hosts[0]
			}
		}
		d := Delta{Session: s.name, Product: p.name, Attr: attr, Day: DayOf(at, loc), EventTime: at,
			Kind: kind, Quantity: 1 + r.Int64N(5), Amount: 1 + r.Int64N(100000)}
		w.deltas = append(w.deltas, d)
		ld := localDate(at, loc)
		w.local = append(w.local, ld)
		if w.first.IsZero() || ld.Before(w.first) {
			w.first = ld
		}
		if ld.After(w.last) {
			w.last = ld
		}
	}
	return w
}

// localDate is the local calendar date of t as a UTC midnight.
func localDate(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func naivePeriodStart(g Granularity, d, start time.Time) time.Time {
	y, m, _ := d.Date()
	switch g {
	case Daily:
		return d
	case Weekly:
		back := (int(d.Weekday()) + 6) % 7 // days since Monday
		return d.AddDate(0, 0, -back)
	case Monthly:
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	case Quarterly:
		return time.Date(y, time.Month((int(m)-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
	case Yearly:
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return start
}

func naivePeriodEnd(g Granularity, ps, end time.Time) time.Time {
	switch g {
	case Daily:
		return ps.AddDate(0, 0, 1)
	case Weekly:
		return ps.AddDate(0, 0, 7)
	case Monthly:
		return ps.AddDate(0, 1, 0)
	case Quarterly:
		return ps.AddDate(0, 3, 0)
	case Yearly:
		return ps.AddDate(1, 0, 0)
	}
	return end
}

func attrKey(a Attribution, d Dimension) string {
	switch d {
	case DimDistrict:
		return a.District
	case DimOriginDistrict:
		return a.OriginDistrict
	case DimHost:
		return a.Host
	case DimAgency:
		return a.Agency
	case DimBase:
		return a.Base
	case DimMerchant:
		return a.Merchant
	case DimCategory:
		return a.Category
	case DimPlatform:
		return a.Platform
	}
	panic("dimension")
}

func naiveMatch(a Attribution, f Filter) bool {
	for _, c := range [][2]string{{f.District, a.District}, {f.OriginDistrict, a.OriginDistrict}, {f.Host, a.Host},
		{f.Agency, a.Agency}, {f.Base, a.Base}, {f.Merchant, a.Merchant}, {f.Category, a.Category}, {f.Platform, a.Platform}} {
		if c[0] != "" && c[0] != c[1] {
			return false
		}
	}
	return true
}

type naiveAcc struct {
	ps, pe   time.Time
	keys     []string
	m        Metrics
	sessions map[string]bool
	traffic  TrafficMetrics
}

func (a *naiveAcc) addTraffic(t Traffic) {
	tr := &a.traffic
	tr.Sessions++
	tr.Views += t.Views
	tr.Viewers += t.Viewers
	tr.PeakConcurrentViewers = max(tr.PeakConcurrentViewers, t.PeakConcurrentViewers)
	tr.ProductImpressions += t.ProductImpressions
	tr.ProductClicks += t.ProductClicks
	tr.ViewMillis += t.Views * t.AverageViewDuration.Milliseconds()
}

func (a *naiveAcc) add(d Delta) {
	if d.Kind == Order {
		a.m.Orders++
		a.m.Units += d.Quantity
		a.m.Gross += d.Amount
		a.sessions[d.Session] = true // a session counts by its orders only
	} else {
		a.m.Refunds += d.Amount
	}
}

func (a *naiveAcc) metrics() Metrics {
	m := a.m
	m.Sessions = int64(len(a.sessions))
	m.Traffic = a.traffic
	m.Net = m.Gross - m.Refunds
	if m.Orders > 0 {
		m.AverageOrderValue = int64(math.RoundToEven(float64(m.Gross) / float64(m.Orders)))
	}
	return m
}

// naiveRow is a Row with its dates as text, comparable across both sides.
type naiveRow struct {
	Period string
	Keys   string
	M      Metrics
}

func naiveQuery(w world, start, end time.Time, g Granularity, groupBy []Dimension, f Filter) ([]naiveRow, Metrics) {
	type rowID struct {
		ps     int64
		k0, k1 string
	}
	rows := map[rowID]*naiveAcc{}
	// row is the row of the local date ld and attribution at: its period
	// (cut to the query's range) and its group keys.
	row := func(ld time.Time, at Attribution) *naiveAcc {
		ps := naivePeriodStart(g, ld, start)
		pe := naivePeriodEnd(g, ps, end)
		ps, pe = maxTime(ps, start), minTime(pe, end)
		id := rowID{ps: ps.Unix()}
		if len(groupBy) > 0 {
			id.k0 = attrKey(at, groupBy[0])
		}
		if len(groupBy) > 1 {
			id.k1 = attrKey(at, groupBy[1])
		}
		a := rows[id]
		if a == nil {
			a = &naiveAcc{ps: ps, pe: pe, keys: []string{id.k0, id.k1}[:len(groupBy)], sessions: map[string]bool{}}
			rows[id] = a
		}
		return a
	}
	total := &naiveAcc{sessions: map[string]bool{}}
	for i, d := range w.deltas {
		ld := w.local[i]
		if ld.Before(start) || !ld.Before(end) || !naiveMatch(d.Attr, f) {
			continue
		}
		row(ld, d.Attr).add(d)
		total.add(d)
	}
	// Traffic: each session's latest snapshot on the day it started, in
	// reports of session dimensions only.
	productDims := f.Merchant != "" || f.Category != "" || f.OriginDistrict != ""
	for _, g := range groupBy {
		productDims = productDims || g == DimMerchant || g == DimCategory || g == DimOriginDistrict
	}
	for _, tr := range w.latest {
		if productDims {
			break
		}
		ld, _ := time.Parse(time.DateOnly, tr.Day.String())
		if ld.Before(start) || !ld.Before(end) || !naiveMatch(tr.Attr, f) {
			continue
		}
		row(ld, tr.Attr).addTraffic(tr)
		total.addTraffic(tr)
	}
	var out []*naiveAcc
	for _, a := range rows {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].ps.Equal(out[j].ps) {
			return out[i].ps.Before(out[j].ps)
		}
		return slices.Compare(out[i].keys, out[j].keys) < 0
	})
	var res []naiveRow
	for _, a := range out {
		res = append(res, naiveRow{a.ps.Format(time.DateOnly) + "/" + a.pe.Format(time.DateOnly), strings.Join(a.keys, "|"), a.metrics()})
	}
	return res, total.metrics()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func engineRows(r Result) []naiveRow {
	var res []naiveRow
	for _, row := range r.Rows {
		res = append(res, naiveRow{row.PeriodStart.String() + "/" + row.PeriodEnd.String(), strings.Join(row.Keys, "|"), row.Metrics})
	}
	return res
}

type queryCase struct {
	start, end time.Time
	g          Granularity
	groupBy    []Dimension
	f          Filter
}

func (c queryCase) String() string {
	return fmt.Sprintf("%s..%s g=%d by=%v filter=%+v", c.start.Format(time.DateOnly), c.end.Format(time.DateOnly), c.g, c.groupBy, c.f)
}

func (c queryCase) query(t testing.TB) Query {
	return Query{Start: day(t, c.start.Format(time.DateOnly)), End: day(t, c.end.Format(time.DateOnly)),
		Granularity: c.g, GroupBy: c.groupBy, Filter: c.f}
}

// cases: every granularity × (no grouping, every dimension, every ordered
// pair), over the whole range and over a random sub-range that cuts periods;
// then every filter field with a value that occurs, one that does not, and
// two filters at once.
func cases(w world, r *rand.Rand) []queryCase {
	full := []time.Time{w.first.AddDate(0, 0, -3), w.last.AddDate(0, 0, 5)}
	span := int(w.last.Sub(w.first).Hours() / 24)
	sub := func() (time.Time, time.Time) {
		a := r.IntN(span)
		b := a + 1 + r.IntN(span-a)
		return w.first.AddDate(0, 0, a), w.first.AddDate(0, 0, b)
	}
	var groupings [][]Dimension
	groupings = append(groupings, nil)
	for _, d := range allDims {
		groupings = append(groupings, []Dimension{d})
	}
	for _, a := range allDims {
		for _, b := range allDims {
			if a != b {
				groupings = append(groupings, []Dimension{a, b})
			}
		}
	}
	var out []queryCase
	for _, g := range allGrans {
		for _, by := range groupings {
			out = append(out, queryCase{start: full[0], end: full[1], g: g, groupBy: by})
			s, e := sub()
			out = append(out, queryCase{start: s, end: e, g: g, groupBy: by})
		}
	}
	// Forty years by day and two dimensions is a grid beyond denseLimit:
	// rows are then found through a map.
	for _, by := range [][]Dimension{{DimHost, DimMerchant}, {DimMerchant, DimAgency}} {
		out = append(out, queryCase{start: w.first.AddDate(-20, 0, 0), end: w.last.AddDate(20, 0, 0), g: Daily, groupBy: by})
	}
	some := w.deltas[r.IntN(len(w.deltas))].Attr
	filters := []Filter{
		{District: some.District}, {OriginDistrict: some.OriginDistrict}, {Host: some.Host},
		{Agency: some.Agency}, {Base: some.Base}, {Merchant: some.Merchant}, {Category: some.Category},
		{Platform: some.Platform}, {Host: "members/nobody"},
		{District: some.District, Category: some.Category}, {Platform: some.Platform, Merchant: some.Merchant},
	}
	for _, f := range filters {
		for _, g := range []Granularity{Monthly, Weekly} {
			out = append(out, queryCase{start: full[0], end: full[1], g: g, f: f})
			for _, d := range allDims {
				s, e := sub()
				out = append(out, queryCase{start: s, end: e, g: g, groupBy: []Dimension{d}, f: f})
			}
		}
	}
	return out
}

// applyInBatches feeds the deltas to a new engine in random batches.
func applyInBatches(w world, r *rand.Rand) *Engine {
	e := New(w.loc)
	for i := 0; i < len(w.deltas); {
		n := min(1+r.IntN(60), len(w.deltas)-i)
		e.Apply(w.deltas[i : i+n])
		i += n
		if len(w.traffic) > 0 && r.IntN(3) == 0 {
			n := min(1+r.IntN(5), len(w.traffic))
			e.ApplyTraffic(w.traffic[:n])
			w.traffic = w.traffic[n:]
		}
	}
	e.ApplyTraffic(w.traffic)
	return e
}

// cellsOf folds deltas into the cells the store keeps, one per session,
// product and day, with Cell.Add as the store does, in the order each cell
// first meets a delta.
func cellsOf(deltas []Delta) []Cell {
	type key struct {
		s, p string
		d    Day
	}
	at := map[key]int{}
	var cells []Cell
	for _, d := range deltas {
		k := key{d.Session, d.Product, d.Day}
		i, ok := at[k]
		if !ok {
			i = len(cells)
			at[k] = i
			cells = append(cells, Cell{})
		}
		cells[i].Add(d)
	}
	return cells
}

// TestCellsOfFoldsOneCellPerSessionProductAndDay holds the helper the
// loaded engines of these tests are built with to the store's keying.
func TestCellsOfFoldsOneCellPerSessionProductAndDay(t *testing.T) {
	d1, d2 := day(t, "2020-06-01"), day(t, "2020-06-02")
	delta := func(session, product string, d Day, k Kind, amount int64) Delta {
		return Delta{Session: session, Product: product, Day: d, Kind: k, Quantity: 1, Amount: amount}
	}
	type want struct {
		session, product string
		day              Day
		orders, gross    int64
		refunds          int64
	}
	for _, c := range []struct {
		name   string
		deltas []Delta
		want   []want
	}{
		{"no deltas, no cells", nil, nil},
		{"an order and its refund on one day share a cell",
			[]Delta{delta("sessions/a", "p/1", d1, Order, 300), delta("sessions/a", "p/1", d1, Refund, 100)},
			[]want{{"sessions/a", "p/1", d1, 1, 300, 100}}},
		{"another day is another cell",
			[]Delta{delta("sessions/a", "p/1", d1, Order, 300), delta("sessions/a", "p/1", d2, Order, 200)},
			[]want{{"sessions/a", "p/1", d1, 1, 300, 0}, {"sessions/a", "p/1", d2, 1, 200, 0}}},
		{"another product or session is another cell, in the order first met",
			[]Delta{delta("sessions/b", "p/1", d1, Order, 1), delta("sessions/a", "p/2", d1, Order, 2),
				delta("sessions/a", "p/1", d1, Order, 3), delta("sessions/b", "p/1", d1, Order, 4)},
			[]want{{"sessions/b", "p/1", d1, 2, 5, 0}, {"sessions/a", "p/2", d1, 1, 2, 0}, {"sessions/a", "p/1", d1, 1, 3, 0}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []want
			for _, cell := range cellsOf(c.deltas) {
				got = append(got, want{cell.Session, cell.Product, cell.Day, cell.Orders, cell.Gross, cell.Refunds})
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("cells %+v, want %+v", got, c.want)
			}
		})
	}
}

// loadCells loads the world's deltas, as the store's cells, into a new
// engine.
func loadCells(w world) *Engine {
	cells := cellsOf(w.deltas)
	e := New(w.loc)
	for i, c := range cells {
		e.Load(c)
		if i == len(cells)/2 {
			e.Compact() // records added after compacting land as well
		}
	}
	e.Compact() // as start-up does: compacting changes no answer
	for _, t := range w.latest {
		e.LoadTraffic(t)
	}
	return e
}

func TestReportsEqualANaiveRecount(t *testing.T) {
	for _, seed := range []uint64{1, 2, 20201231} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			w := genWorld(t, seed, 3000)
			applied := applyInBatches(w, r)
			loaded := loadCells(w)
			var dataThrough time.Time
			for _, d := range w.deltas {
				if d.EventTime.After(dataThrough) {
					dataThrough = d.EventTime
				}
			}
			nonEmpty := 0
			for _, c := range cases(w, r) {
				wantRows, wantTotals := naiveQuery(w, c.start, c.end, c.g, c.groupBy, c.f)
				got, err := applied.Query(c.query(t))
				if err != nil {
					t.Fatalf("%s: %v", c, err)
				}
				if gotRows := engineRows(got); !reflect.DeepEqual(gotRows, wantRows) {
					t.Fatalf("%s: rows differ from the recount\n got %v\nwant %v", c, gotRows, wantRows)
				}
				if got.Totals != wantTotals {
					t.Fatalf("%s: totals %+v, recount %+v", c, got.Totals, wantTotals)
				}
				if !got.DataThrough.Equal(dataThrough) {
					t.Fatalf("data_through %v, want %v", got.DataThrough, dataThrough)
				}
				fromCells, err := loaded.Query(c.query(t))
				if err != nil || !reflect.DeepEqual(fromCells, got) {
					t.Fatalf("%s: Load of the cells answers differently from Apply\nload  %+v\napply %+v", c, fromCells, got)
				}
				if len(wantRows) > 0 {
					nonEmpty++
				}
			}
			if nonEmpty < 400 {
				t.Fatalf("only %d queries had rows: the generator is too sparse to test anything", nonEmpty)
			}

			// Totals over all time equal the sum of the raw deltas.
			all, _ := applied.Query(Query{Start: day(t, "2000-01-01"), End: day(t, "2040-01-01"), Granularity: Total})
			sum := naiveAcc{sessions: map[string]bool{}}
			for _, d := range w.deltas {
				sum.add(d)
			}
			for _, x := range w.latest {
				sum.addTraffic(x)
			}
			if want := sum.metrics(); all.Totals != want {
				t.Fatalf("all-time totals %+v, sum of the deltas %+v", all.Totals, want)
			}

			checkTop(t, w, r, applied, loaded)
			checkOverview(t, w, r, applied, loaded)
			checkSessionSummaries(t, w, applied, loaded)
		})
	}
}

func checkTop(t *testing.T, w world, r *rand.Rand, engines ...*Engine) {
	t.Helper()
	for _, d := range allDims {
		for _, m := range []Metric{MetricNet, MetricGross, MetricOrders, MetricUnits} {
			start, end := w.first.AddDate(0, 0, r.IntN(30)), w.last.AddDate(0, 0, -r.IntN(30))
			limit := []int{0, 1, 3, 500}[r.IntN(4)]
			// The filters a member's ranking is held to, or none.
			some := w.deltas[r.IntN(len(w.deltas))].Attr
			f := []Filter{{}, {Host: some.Host}, {Base: some.Base}, {Agency: some.Agency}, {Merchant: some.Merchant}, {District: some.District}}[r.IntN(6)]
			rows, _ := naiveQuery(w, start, end, Total, []Dimension{d}, f)
			var want []TopEntry
			for _, row := range rows {
				if row.Keys == "" || row.M.Orders == 0 && row.M.Refunds == 0 { // traffic alone ranks nobody
					continue
				}
				want = append(want, TopEntry{Key: row.Keys, Value: metricValue(&row.M, m), Metrics: row.M})
			}
			sort.SliceStable(want, func(i, j int) bool {
				if want[i].Value != want[j].Value {
					return want[i].Value > want[j].Value
				}
				return want[i].Key < want[j].Key
			})
			n := map[int]int{0: 10, 500: 100}[limit]
			if n == 0 {
				n = limit
			}
			want = want[:min(n, len(want))]
			for i := range want {
				want[i].Rank = i + 1
			}
			for _, e := range engines {
				got, _, err := e.Top(d, m, f, day(t, start.Format(time.DateOnly)), day(t, end.Format(time.DateOnly)), limit)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
					t.Fatalf("Top(%d, %d, %+v, limit %d):\n got %+v\nwant %+v", d, m, f, limit, got, want)
				}
			}
		}
	}
}

func checkOverview(t *testing.T, w world, r *rand.Rand, engines ...*Engine) {
	t.Helper()
	for range 10 {
		start, end := w.first.AddDate(0, 0, r.IntN(200)), w.last.AddDate(0, 0, -r.IntN(200))
		if !start.Before(end) {
			continue
		}
		var want Overview
		sum := naiveAcc{sessions: map[string]bool{}}
		hosts, bases, agencies := map[string]bool{}, map[string]bool{}, map[string]bool{}
		for i, d := range w.deltas {
			ld := w.local[i]
			if ld.Before(start) || !ld.Before(end) {
				continue
			}
			hosts[d.Attr.Host], bases[d.Attr.Base] = true, true
			if d.Attr.Agency != "" {
				agencies[d.Attr.Agency] = true
			}
			sum.add(d)
			if d.EventTime.After(want.DataThrough) {
				want.DataThrough = d.EventTime
			}
		}
		m := sum.metrics()
		want.Orders, want.Units, want.Gross, want.Refunds, want.Net = m.Orders, m.Units, m.Gross, m.Refunds, m.Net
		want.SessionsWithSales, want.ActiveHosts, want.ActiveBases, want.ActiveAgencies =
			m.Sessions, int64(len(hosts)), int64(len(bases)), int64(len(agencies))
		rows, tot := naiveQuery(w, start, end, Total, []Dimension{DimDistrict}, Filter{})
		want.Traffic = tot.Traffic
		for _, row := range rows {
			if row.M.Orders == 0 && row.M.Refunds == 0 {
				continue
			}
			want.TopDistricts = append(want.TopDistricts, TopEntry{Key: row.Keys, Value: row.M.Net, Metrics: row.M})
		}
		sort.SliceStable(want.TopDistricts, func(i, j int) bool {
			a, b := want.TopDistricts[i], want.TopDistricts[j]
			return a.Value > b.Value || a.Value == b.Value && a.Key < b.Key
		})
		want.TopDistricts = want.TopDistricts[:min(5, len(want.TopDistricts))]
		for i := range want.TopDistricts {
			want.TopDistricts[i].Rank = i + 1
		}
		for _, e := range engines {
			got := e.Overview(day(t, start.Format(time.DateOnly)), day(t, end.Format(time.DateOnly)))
			// data_through is the newest sale held, not the newest in range.
			got.DataThrough = want.DataThrough
			if len(got.TopDistricts) == 0 && len(want.TopDistricts) == 0 {
				got.TopDistricts = want.TopDistricts
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Overview [%s, %s):\n got %+v\nwant %+v", start, end, got, want)
			}
		}
	}
}

func checkSessionSummaries(t *testing.T, w world, engines ...*Engine) {
	t.Helper()
	want := map[string]*SessionSummary{}
	for _, d := range w.deltas {
		s := want[d.Session]
		if s == nil {
			s = &SessionSummary{FirstEvent: d.EventTime, LastEvent: d.EventTime}
			want[d.Session] = s
		}
		if d.Kind == Order {
			s.Orders++
			s.Units += d.Quantity
			s.Gross += d.Amount
		} else {
			s.Refunds += d.Amount
			s.RefundLines++
		}
		if d.EventTime.Before(s.FirstEvent) {
			s.FirstEvent = d.EventTime
		}
		if d.EventTime.After(s.LastEvent) {
			s.LastEvent = d.EventTime
		}
	}
	for _, e := range engines {
		for name, s := range want {
			got, ok := e.SessionSummary(name)
			if !ok || got != *s {
				t.Fatalf("SessionSummary(%s) = %+v, %v; want %+v", name, got, ok, *s)
			}
		}
		if _, ok := e.SessionSummary("sessions/none"); ok {
			t.Fatal("a session without sales has a summary")
		}
	}
}
