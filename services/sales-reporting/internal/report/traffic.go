package report

import (
	"math"
	"math/bits"
	"time"
)

// Traffic in reports. A session's traffic is its latest snapshot (views,
// viewers, peak, view duration, product impressions and clicks), counted
// once, on the local day of the session's actual start, under the
// session's attribution (host, agency, base, district, platform). Traffic
// is a figure of the session, not of its products, so rows grouped or
// filtered by a product dimension (MERCHANT, CATEGORY, ORIGIN_DISTRICT)
// carry none. The derived measures of a row are ratios of the row's sums
// (never averages of ratios), and absent where their denominator is 0.

// Traffic is the latest snapshot of one session, placed for the reports.
type Traffic struct {
	Session                               string
	Day                                   Day         // local day of the session's actual start
	Attr                                  Attribution // the session's part (product fields unused)
	AsOf                                  time.Time
	Views, Viewers, PeakConcurrentViewers int64
	ProductImpressions, ProductClicks     int64
	AverageViewDuration                   time.Duration
}

// TrafficMetrics are the traffic sums of a row.
type TrafficMetrics struct {
	Sessions              int64 // sessions with traffic in the row
	Views, Viewers        int64
	PeakConcurrentViewers int64 // the largest of the row's sessions
	ProductImpressions    int64
	ProductClicks         int64
	// ViewMillis is Σ views × average view duration (ms), saturated: the
	// numerator of the row's average view duration, weighted by views, in
	// integers so that the order of addition never changes it.
	ViewMillis int64
}

// tsums is a trec's or a slot's traffic.
type tsums = TrafficMetrics

func (t *TrafficMetrics) add(o *TrafficMetrics) {
	// Plain sums unless one comes out negative (as sums.add): this is the
	// inner step of a report's traffic.
	a, b, c, d, f, g := t.Sessions+o.Sessions, t.Views+o.Views, t.Viewers+o.Viewers,
		t.ProductImpressions+o.ProductImpressions, t.ProductClicks+o.ProductClicks, t.ViewMillis+o.ViewMillis
	if a|b|c|d|f|g >= 0 && o.Views|o.Viewers|o.ProductImpressions|o.ProductClicks|o.ViewMillis >= 0 {
		t.Sessions, t.Views, t.Viewers, t.ProductImpressions, t.ProductClicks, t.ViewMillis = a, b, c, d, f, g
		t.PeakConcurrentViewers = max(t.PeakConcurrentViewers, o.PeakConcurrentViewers)
		return
	}
	t.Sessions = SatAdd(t.Sessions, o.Sessions)
	t.Views = SatAdd(t.Views, o.Views)
	t.Viewers = SatAdd(t.Viewers, o.Viewers)
	t.PeakConcurrentViewers = max(t.PeakConcurrentViewers, o.PeakConcurrentViewers)
	t.ProductImpressions = SatAdd(t.ProductImpressions, o.ProductImpressions)
	t.ProductClicks = SatAdd(t.ProductClicks, o.ProductClicks)
	t.ViewMillis = SatAdd(t.ViewMillis, o.ViewMillis)
}

// trec is a session's traffic in its day.
type trec struct {
	sattr int32
	asOf  time.Time
	tsums
}

type trafficRef struct {
	day Day
	idx int32
}

// ApplyTraffic takes committed snapshots; a session keeps the one with
// the newest as_of (an older one arriving later changes nothing).
func (e *Engine) ApplyTraffic(batch []Traffic) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range batch {
		e.mergeTraffic(&batch[i])
	}
}

// LoadTraffic adds a stored latest snapshot at start-up.
func (e *Engine) LoadTraffic(t Traffic) { e.ApplyTraffic([]Traffic{t}) }

func (e *Engine) mergeTraffic(t *Traffic) {
	if e.trafficOf == nil {
		e.trafficOf = make(map[string]trafficRef)
		e.monthTraffic = make(map[dayKey]int32)
	}
	r := trec{sattr: e.sessionAttr(&t.Attr), asOf: t.AsOf, tsums: tsums{
		Sessions: 1, Views: t.Views, Viewers: t.Viewers, PeakConcurrentViewers: t.PeakConcurrentViewers,
		ProductImpressions: t.ProductImpressions, ProductClicks: t.ProductClicks,
		ViewMillis: satMul(t.Views, t.AverageViewDuration.Milliseconds()),
	}}
	if ref, ok := e.trafficOf[t.Session]; ok {
		dd := e.dayOf[ref.day]
		old := &dd.traffic[ref.idx]
		if !t.AsOf.After(old.asOf) {
			return
		}
		e.monthTrafficOf(ref.day, old.sattr).sub(&old.tsums)
		e.tallyTraffic(ref.day, old.sattr, &old.tsums, false)
		if ref.day != t.Day || r.sattr != old.sattr {
			// The totals keep the peak a snapshot that left them had (a
			// maximum cannot be taken back), where the walk of the day's
			// (month's) records may no longer see it: reports of the
			// day, its month and its year walk from now on.
			y, m, _ := ref.day.Date()
			dd.trafficStale = true
			e.monthOf[civil(y, m, 1)].trafficStale = true
			e.yearOf[civil(y, 1, 1)].trafficStale = true
		}
		if ref.day == t.Day {
			*old = r
			e.monthTrafficOf(t.Day, r.sattr).add(&r.tsums)
			e.tallyTraffic(t.Day, r.sattr, &r.tsums, true)
			return
		}
		// The session moved (its start was corrected): its old record
		// counts nothing any more.
		*old = trec{sattr: old.sattr}
	}
	dd := bucket(&e.byDay, e.dayOf, t.Day)
	dd.traffic = append(dd.traffic, r)
	e.trafficOf[t.Session] = trafficRef{t.Day, int32(len(dd.traffic) - 1)}
	e.monthTrafficOf(t.Day, r.sattr).add(&r.tsums)
	e.tallyTraffic(t.Day, r.sattr, &r.tsums, true)
}

// monthTrafficOf is the month record of day's month and session
// attribution sattr: the sum of its sessions' traffic, which reports by
// month, quarter, year or in total read instead of the days, as they do
// for sales (a month has several sessions per attribution).
func (e *Engine) monthTrafficOf(day Day, sattr int32) *tsums {
	m := monthStart(day)
	md := bucket(&e.byMonth, e.monthOf, m)
	k := dayKey{session: -1, sattr: sattr, day: m}
	i, ok := e.monthTraffic[k]
	if !ok {
		i = int32(len(md.traffic))
		md.traffic = append(md.traffic, trec{sattr: sattr})
		e.monthTraffic[k] = i
	}
	return &md.traffic[i].tsums
}

// sub takes a session's superseded snapshot out of a month's sums. The
// peak is a maximum and stays: a newer snapshot's peak is never lower
// (METRICS_DECREASED), so the month's maximum is still right.
func (t *TrafficMetrics) sub(o *TrafficMetrics) {
	t.Sessions -= o.Sessions
	t.Views -= o.Views
	t.Viewers -= o.Viewers
	t.ProductImpressions -= o.ProductImpressions
	t.ProductClicks -= o.ProductClicks
	t.ViewMillis -= o.ViewMillis
}

// walkTraffic adds the traffic of the days (or months) of list in [from,
// to) to the rows of the session dimensions; reports by product
// dimensions carry none.
func (w *walker) walkTraffic(list []*dayData, from, to Day) {
	if w.useCells || from >= to {
		return
	}
	a := w.a
	for _, dd := range span(list, from, to) {
		if len(dd.traffic) == 0 {
			continue
		}
		p, base := w.periodAt(dd.day)
		for j := range dd.traffic {
			r := &dd.traffic[j]
			if r.Sessions == 0 {
				continue
			}
			off := w.sOff[r.sattr]
			if off < 0 {
				continue
			}
			idx := w.slotOf(base+off, p, off)
			a.slots[idx-1].traffic.add(&r.tsums)
		}
	}
}

// GPM is gross per thousand views in minor units, rounded half to even;
// false without views. It saturates at math.MaxInt64.
func GPM(gross, views int64) (int64, bool) {
	if views <= 0 {
		return 0, false
	}
	if gross <= 0 {
		return 0, true
	}
	hi, lo := bits.Mul64(uint64(gross), 1000)
	if hi >= uint64(views) {
		return math.MaxInt64, true
	}
	q, r := bits.Div64(hi, lo, uint64(views))
	n := uint64(views)
	if r > n-r || r == n-r && q%2 == 1 {
		q++
	}
	if q > math.MaxInt64 {
		return math.MaxInt64, true
	}
	return int64(q), true
}

// Ratio is a/b; false when b is 0.
func Ratio(a, b int64) (float64, bool) {
	if b <= 0 {
		return 0, false
	}
	return float64(a) / float64(b), true
}

// AverageViewDuration is the row's view duration weighted by views; false
// without views.
func (t TrafficMetrics) AverageViewDuration() (time.Duration, bool) {
	if t.Views <= 0 {
		return 0, false
	}
	return time.Duration(AverageOrderValue(t.ViewMillis, t.Views)) * time.Millisecond, true
}

// satMul is a*b for non-negative a and b, saturated at math.MaxInt64.
func satMul(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo)
}
