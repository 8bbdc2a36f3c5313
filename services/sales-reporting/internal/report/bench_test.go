package report

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// The benchmarks build a synthetic alliance year like Chongqing's 2020:
// 184,000 sessions, 500 hosts, 12 bases, 38 districts, 3,000 products; each
// session sells about 3 products over 1–2 days, and one in ten gets a refund
// weeks later. That is about 0.9M cells, which is what a report walks,
// whether they count 1M or 25M sales.
//
//	go test -run '^$' -bench . -benchtime 200x ./internal/report
//
// Each benchmark reports p50-ns and p99-ns from the duration of every
// operation, besides the mean ns/op.

const benchYear = 2020

type benchStore struct {
	e     *Engine
	cells int
}

var (
	benchMu     sync.Mutex
	benchStores = map[string]benchStore{}
)

type synth struct {
	r                             *rand.Rand
	loc                           *time.Location
	hosts, agencyOf, bases        []string
	baseDistrict, districts       []string
	platforms, merchants, cats    []string
	products, productMerchant     []string
	productCat, productOrigin     []string
	yearStart                     time.Time
	sessionAttr                   func(i int) Attribution
	sessionHost, sessionBase      []int
	sessionPlatform, sessionStart []int
	sessionProducts               [][]int
}

func newSynth(b testing.TB, sessions int) *synth {
	s := &synth{r: rand.New(rand.NewPCG(2020, 184000)), loc: shanghai(b)}
	for i := range 38 {
		s.districts = append(s.districts, fmt.Sprintf("district-%02d", i))
	}
	for i := range 12 {
		s.bases = append(s.bases, fmt.Sprintf("members/base-%02d", i))
		s.baseDistrict = append(s.baseDistrict, s.districts[s.r.IntN(38)])
	}
	for i := range 500 {
		s.hosts = append(s.hosts, fmt.Sprintf("members/host-%03d", i))
		agency := ""
		if s.r.IntN(10) < 7 {
			agency = fmt.Sprintf("members/agency-%02d", s.r.IntN(40))
		}
		s.agencyOf = append(s.agencyOf, agency)
	}
	s.platforms = []string{"TAOBAO_LIVE", "DOUYIN", "KUAISHOU", "WECHAT_CHANNELS", "JD", "PINDUODUO", "OTHER"}
	for i := range 600 {
		s.merchants = append(s.merchants, fmt.Sprintf("members/merchant-%03d", i))
	}
	for i := range 20 {
		s.cats = append(s.cats, fmt.Sprintf("category-%02d", i))
	}
	for i := range 3000 {
		m := s.r.IntN(len(s.merchants))
		s.products = append(s.products, fmt.Sprintf("%s/products/p%04d", s.merchants[m], i))
		s.productMerchant = append(s.productMerchant, s.merchants[m])
		s.productCat = append(s.productCat, s.cats[s.r.IntN(20)])
		s.productOrigin = append(s.productOrigin, s.districts[s.r.IntN(38)])
	}
	s.yearStart = time.Date(benchYear, 1, 1, 0, 0, 0, 0, s.loc)
	for range sessions {
		s.sessionHost = append(s.sessionHost, s.r.IntN(500))
		s.sessionBase = append(s.sessionBase, s.r.IntN(12))
		s.sessionPlatform = append(s.sessionPlatform, s.r.IntN(7))
		s.sessionStart = append(s.sessionStart, s.r.IntN(365))
		var ps []int
		for range 1 + s.r.IntN(5) {
			ps = append(ps, s.r.IntN(3000))
		}
		s.sessionProducts = append(s.sessionProducts, ps)
	}
	return s
}

func (s *synth) attr(sess, prod int) Attribution {
	h, bs := s.sessionHost[sess], s.sessionBase[sess]
	return Attribution{Host: s.hosts[h], Agency: s.agencyOf[h], Base: s.bases[bs], Studio: s.bases[bs] + "/studios/1",
		District: s.baseDistrict[bs], Platform: s.platforms[s.sessionPlatform[sess]],
		Merchant: s.productMerchant[prod], Category: s.productCat[prod], OriginDistrict: s.productOrigin[prod]}
}

func (s *synth) day(sess, offset int) (Day, time.Time) {
	at := s.yearStart.AddDate(0, 0, s.sessionStart[sess]+offset).Add(20 * time.Hour)
	return DayOf(at, s.loc), at
}

// loadedStore is a year of n sessions loaded as cells, as at start-up.
func loadedStore(b *testing.B, n int) benchStore {
	return cachedStore(fmt.Sprintf("load-%d", n), func() benchStore { return loadStore(b, n) })
}

func loadStore(b *testing.B, n int) benchStore {
	s := newSynth(b, n)
	e := New(s.loc)
	cells := 0
	for i := range n {
		days := 1 + s.r.IntN(2)
		for _, p := range s.sessionProducts[i] {
			for off := range days {
				d, at := s.day(i, off)
				orders := 1 + s.r.Int64N(200)
				e.Load(Cell{Session: fmt.Sprintf("sessions/s%06d", i), Product: s.products[p], Attr: s.attr(i, p), Day: d,
					Orders: orders, Units: orders * 2, Gross: orders * 4990, FirstEvent: at, LastEvent: at.Add(time.Hour)})
				cells++
			}
		}
		if s.r.IntN(10) == 0 {
			p := s.sessionProducts[i][0]
			d, at := s.day(i, 7+s.r.IntN(30))
			e.Load(Cell{Session: fmt.Sprintf("sessions/s%06d", i), Product: s.products[p], Attr: s.attr(i, p), Day: d,
				Refunds: 4990, RefundLines: 1, FirstEvent: at, LastEvent: at})
			cells++
		}
	}
	e.Compact() // as start-up does; it builds the pair totals
	return benchStore{e, cells}
}

// appliedStore is a year of 184,000 sessions fed with the given number of
// sales through Apply in batches of 1,000, as ingestion does.
func appliedStore(b *testing.B, sales int) benchStore {
	return cachedStore(fmt.Sprintf("apply-%d", sales), func() benchStore { return applyStore(b, sales) })
}

func applyStore(b *testing.B, sales int) benchStore {
	const n = 184000
	s := newSynth(b, n)
	e := New(s.loc)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("sessions/s%06d", i)
	}
	batch := make([]Delta, 0, 1000)
	for k := range sales {
		i := k % n // every session sells, then sells again
		ps := s.sessionProducts[i]
		p := ps[s.r.IntN(len(ps))]
		d, at := s.day(i, s.r.IntN(2))
		delta := Delta{Session: names[i], Product: s.products[p], Attr: s.attr(i, p), Day: d, EventTime: at, Kind: Order, Quantity: 1, Amount: 4990}
		if s.r.IntN(20) == 0 {
			delta.Kind = Refund
			delta.Day, delta.EventTime = s.day(i, 7+s.r.IntN(30))
		}
		batch = append(batch, delta)
		if len(batch) == cap(batch) {
			e.Apply(batch)
			batch = batch[:0]
		}
	}
	e.Apply(batch)
	return benchStore{e, e.counts[kindCell]}
}

// cachedStore is the store of key, which build makes on first use; the
// stores are kept for the other benchmarks of the run. build runs under
// benchMu, and the garbage of building is collected before the store is
// handed out: it is no part of a query's time.
func cachedStore(key string, build func() benchStore) benchStore {
	benchMu.Lock()
	defer benchMu.Unlock()
	if st, ok := benchStores[key]; ok {
		return st
	}
	st := build()
	benchStores[key] = st
	runtime.GC()
	return st
}

// report names the size of the store (after timed, which resets metrics).
func (st benchStore) report(b *testing.B) {
	st.e.mu.RLock()
	defer st.e.mu.RUnlock()
	b.ReportMetric(float64(st.cells), "cells")
	b.ReportMetric(float64(st.e.counts[kindDay]), "dayrecs")
	b.ReportMetric(float64(st.e.counts[kindMonth]), "monthrecs")
	b.ReportMetric(float64(st.e.counts[kindMCell]), "monthcells")
}

// timed runs op b.N times and reports the median and 99th percentile.
func timed(b *testing.B, op func()) {
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		op()
		durs = append(durs, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(durs[(len(durs)*99)/100].Nanoseconds()), "p99-ns")
}

var yearQuery = Query{Granularity: Monthly, GroupBy: []Dimension{DimDistrict}}

func yearRange(b *testing.B) (Day, Day) {
	return day(b, "2020-01-01"), day(b, "2021-01-01")
}

func stores(b *testing.B, run func(b *testing.B, st benchStore)) {
	for _, n := range []int{46000, 92000, 184000} {
		b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
			st := loadedStore(b, n)
			run(b, st)
			st.report(b)
		})
	}
	for _, sales := range []int{1_000_000, 10_000_000} {
		b.Run(fmt.Sprintf("sessions=184000/sales=%dM", sales/1_000_000), func(b *testing.B) {
			st := appliedStore(b, sales)
			run(b, st)
			st.report(b)
		})
	}
}

// BenchmarkQueryMonthByDistrict is QuerySalesReport MONTH × DISTRICT over a
// year: the target is p99 ≤ 10 ms, flat as sales grow.
func BenchmarkQueryMonthByDistrict(b *testing.B) {
	stores(b, func(b *testing.B, st benchStore) {
		q := yearQuery
		q.Start, q.End = yearRange(b)
		timed(b, func() {
			res, err := st.e.Query(q)
			if err != nil || len(res.Rows) == 0 {
				b.Fatal(err, len(res.Rows))
			}
		})
	})
}

// BenchmarkOverview is GetAllianceOverview over a year (same target).
func BenchmarkOverview(b *testing.B) {
	stores(b, func(b *testing.B, st benchStore) {
		start, end := yearRange(b)
		timed(b, func() {
			if o := st.e.Overview(start, end); o.Orders == 0 {
				b.Fatal("empty overview")
			}
		})
	})
}

// BenchmarkQueryMonthByCategory groups by a product dimension, which walks
// every cell instead of the per-(session, day) records.
func BenchmarkQueryMonthByCategory(b *testing.B) {
	st := loadedStore(b, 184000)
	q := Query{Granularity: Monthly, GroupBy: []Dimension{DimCategory}}
	q.Start, q.End = yearRange(b)
	timed(b, func() {
		if _, err := st.e.Query(q); err != nil {
			b.Fatal(err)
		}
	})
	st.report(b)
}

// BenchmarkQueryPairs groups a year by two dimensions, a product one among
// them: from the pair totals (pairs.go), and by the walk of the month
// cells that answered them before, alternately.
func BenchmarkQueryPairs(b *testing.B) {
	st := loadedStore(b, 184000)
	start, end := yearRange(b)
	for _, c := range []struct {
		name string
		q    Query
	}{
		{"YEAR×DISTRICT×CATEGORY", Query{Start: start, End: end, Granularity: Yearly, GroupBy: []Dimension{DimDistrict, DimCategory}}},
		{"TOTAL×MERCHANT×CATEGORY", Query{Start: start, End: end, Granularity: Total, GroupBy: []Dimension{DimMerchant, DimCategory}}},
	} {
		for _, walk := range []bool{false, true} {
			name := c.name + "/pairs"
			if walk {
				name = c.name + "/walk"
			}
			b.Run(name, func(b *testing.B) {
				byWalk(b, st.e, walk)
				timed(b, func() {
					if res, err := st.e.Query(c.q); err != nil || len(res.Rows) == 0 {
						b.Fatal(err)
					}
				})
			})
		}
	}
}

// BenchmarkQueryWalk is MONTH × DISTRICT (the walk of the per-session
// records) and MONTH × CATEGORY (the walk of the month cells) over a year
// answered by the walk, with the totals turned off: the hot loops of
// query.go that a filtered report runs.
func BenchmarkQueryWalk(b *testing.B) {
	st := loadedStore(b, 184000)
	start, end := yearRange(b)
	byWalk(b, st.e, true)
	for _, c := range []struct {
		name string
		d    Dimension
	}{{"MONTH×DISTRICT", DimDistrict}, {"MONTH×CATEGORY", DimCategory}} {
		b.Run(c.name, func(b *testing.B) {
			q := Query{Start: start, End: end, Granularity: Monthly, GroupBy: []Dimension{c.d}}
			timed(b, func() {
				if res, err := st.e.Query(q); err != nil || len(res.Rows) == 0 {
					b.Fatal(err)
				}
			})
		})
	}
}

// byWalk has e answer every query by the walk (walk true) or from the
// totals where they can (false) until b ends.
func byWalk(b *testing.B, e *Engine, walk bool) {
	e.mu.Lock()
	e.noTotals = walk
	e.mu.Unlock()
	b.Cleanup(func() {
		e.mu.Lock()
		e.noTotals = false
		e.mu.Unlock()
	})
}

// BenchmarkTopHosts is ListTopPerformers HOST by NET over a year.
func BenchmarkTopHosts(b *testing.B) {
	st := loadedStore(b, 184000)
	start, end := yearRange(b)
	timed(b, func() {
		if top, _, err := st.e.Top(DimHost, MetricNet, Filter{}, start, end, 10); err != nil || len(top) != 10 {
			b.Fatal(err)
		}
	})
}

// BenchmarkQueryOneDay is the baseline of the query benchmarks: the
// cheapest report on the same store, one day TOTAL ungrouped.
func BenchmarkQueryOneDay(b *testing.B) {
	st := loadedStore(b, 184000)
	d := day(b, "2020-06-15")
	timed(b, func() {
		if _, err := st.e.Query(Query{Start: d, End: d + 1, Granularity: Total}); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkBaselineSum is a machine baseline: summing 1M int64s, to turn
// the figures into ratios that survive a noisy or slower machine.
func BenchmarkBaselineSum(b *testing.B) {
	xs := make([]int64, 1<<20)
	for i := range xs {
		xs[i] = int64(i)
	}
	var sink int64
	timed(b, func() {
		var s int64
		for _, x := range xs {
			s += x
		}
		sink += s
	})
	if sink == 0 {
		b.Fatal("no sum")
	}
}

// BenchmarkApply is the cost of counting one sale in memory after a commit
// (batches of 1,000 deltas into a store of a year).
func BenchmarkApply(b *testing.B) {
	s := newSynth(b, 184000)
	e := New(s.loc)
	names := make([]string, 184000)
	for i := range names {
		names[i] = fmt.Sprintf("sessions/s%06d", i)
	}
	batch := make([]Delta, 1000)
	for i := range batch {
		sess := s.r.IntN(184000)
		p := s.sessionProducts[sess][0]
		d, at := s.day(sess, 0)
		batch[i] = Delta{Session: names[sess], Product: s.products[p], Attr: s.attr(sess, p), Day: d, EventTime: at, Kind: Order, Quantity: 1, Amount: 100}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += len(batch) {
		e.Apply(batch[:min(len(batch), b.N-i)])
	}
}

// BenchmarkApplyBySession is BenchmarkApply with a batch as ingestion
// receives one from a live session or an import: a session's lines
// together (100 sessions of 10 lines, over their products).
func BenchmarkApplyBySession(b *testing.B) {
	s := newSynth(b, 184000)
	e := New(s.loc)
	batch := make([]Delta, 0, 1000)
	for range 100 {
		sess := s.r.IntN(184000)
		name := fmt.Sprintf("sessions/s%06d", sess)
		for range 10 {
			ps := s.sessionProducts[sess]
			p := ps[s.r.IntN(len(ps))]
			d, at := s.day(sess, 0)
			batch = append(batch, Delta{Session: name, Product: s.products[p], Attr: s.attr(sess, p), Day: d, EventTime: at, Kind: Order, Quantity: 1, Amount: 100})
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += len(batch) {
		e.Apply(batch[:min(len(batch), b.N-i)])
	}
}
