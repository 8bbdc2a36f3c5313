package rpc

import (
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"google.golang.org/protobuf/types/known/durationpb"
)

// slab hands out the messages of one answer from a few arrays sized up
// front, not one allocation each: a page of 1,000 rows is some 12,000
// messages, and allocating (and then collecting) them one by one cost
// more than the report engine's work. A spent slab allocates.
type slab struct {
	metrics []salesv1.Metrics
	money   []typev1.Money
	floats  []float64
	durs    []durationpb.Duration
}

// size is how many messages of each kind a slab holds.
type size struct{ metrics, money, floats, durs int }

// add counts what metricsIn takes for m and, when not nil, previous.
func (z *size) add(m, previous *report.Metrics) {
	z.one(m)
	if previous != nil {
		z.one(previous)
	}
}

// one counts what metricsIn takes for m: four amounts always; GPM and
// the view duration with views, each rate with its denominator (the
// conditions of report.GPM, Ratio and AverageViewDuration). Should they
// drift apart, a slab that is spent allocates: the answer stays right.
func (z *size) one(m *report.Metrics) {
	t := &m.Traffic
	z.metrics++
	z.money += 4
	if t.Views > 0 {
		z.money++
		z.durs++
	}
	if t.Viewers > 0 {
		z.floats++
	}
	if t.ProductImpressions > 0 {
		z.floats++
	}
}

func newSlab(z size) *slab {
	return &slab{metrics: make([]salesv1.Metrics, z.metrics), money: make([]typev1.Money, z.money),
		floats: make([]float64, z.floats), durs: make([]durationpb.Duration, z.durs)}
}

// take is the next element of *s, or a new one when *s is spent.
func take[T any](s *[]T) *T {
	if len(*s) == 0 {
		return new(T)
	}
	p := &(*s)[0]
	*s = (*s)[1:]
	return p
}

func (a *slab) newMetrics() *salesv1.Metrics { return take(&a.metrics) }

func (a *slab) newMoney(currency string, v int64) *typev1.Money {
	m := take(&a.money)
	m.CurrencyCode, m.MinorUnits = currency, v
	return m
}

func (a *slab) newFloat(v float64) *float64 {
	f := take(&a.floats)
	*f = v
	return f
}

// newDuration is durationpb.New(d) for the durations of a report (never
// negative, far within the range of Duration).
func (a *slab) newDuration(d time.Duration) *durationpb.Duration {
	p := take(&a.durs)
	nanos := d.Nanoseconds()
	secs := nanos / 1e9
	p.Seconds, p.Nanos = secs, int32(nanos-secs*1e9)
	return p
}

// dayNames spells the days of one answer, each once: a page's rows share
// a few periods, and formatting a date was a good part of a row's cost.
// Rows come in order of period, so the last two days spelled are nearly
// always the ones asked for next.
type dayNames struct {
	last  [2]report.Day
	names [2]string
	n     int
	more  map[report.Day]string
}

func (n *dayNames) of(d report.Day) string {
	for i := range n.n {
		if n.last[i] == d {
			return n.names[i]
		}
	}
	s, ok := n.more[d]
	if !ok {
		s = d.String()
		if n.more == nil {
			n.more = make(map[report.Day]string)
		}
		n.more[d] = s
	}
	// Keep d where the older of the two was.
	i := min(n.n, 1)
	if n.n == 2 {
		n.last[0], n.names[0] = n.last[1], n.names[1]
	} else {
		n.n++
	}
	n.last[i], n.names[i] = d, s
	return s
}

// reportRows converts a page of rows; dims are the request's group_by,
// groupBy the same as the engine's, display the keys' display names.
func (s *Server) reportRows(rows []report.Row, dims []salesv1.Dimension, groupBy []report.Dimension, display func(report.Dimension, string) string) []*salesv1.ReportRow {
	if len(rows) == 0 {
		return []*salesv1.ReportRow{}
	}
	n, nk := len(rows), len(groupBy)
	var z size
	for i := range rows {
		z.add(&rows[i].Metrics, rows[i].Previous)
	}
	a := newSlab(z)
	msgs := make([]salesv1.ReportRow, n)
	keys := make([]salesv1.GroupKey, n*nk)
	keyPtrs := make([]*salesv1.GroupKey, n*nk)
	out := make([]*salesv1.ReportRow, n)
	var days dayNames
	for i := range rows {
		r := &rows[i]
		row := &msgs[i]
		row.PeriodStart, row.PeriodEnd = days.of(r.PeriodStart), days.of(r.PeriodEnd)
		row.Metrics = s.metricsIn(a, r.Metrics)
		if r.Previous != nil {
			row.Previous = s.metricsIn(a, *r.Previous)
			row.Change = change(row.Metrics, row.Previous)
		}
		if nk > 0 && len(r.Keys) > 0 {
			ks := keyPtrs[i*nk : i*nk+len(r.Keys) : i*nk+len(r.Keys)]
			for j, k := range r.Keys {
				g := &keys[i*nk+j]
				g.Dimension, g.Key, g.DisplayName = dims[j], k, display(groupBy[j], k)
				ks[j] = g
			}
			row.Keys = ks
		}
		out[i] = row
	}
	return out
}
