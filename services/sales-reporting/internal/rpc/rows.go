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
// more than the report engine's work. A nil or spent slab allocates.
type slab struct {
	metrics []salesv1.Metrics
	money   []typev1.Money
	floats  []float64
	durs    []durationpb.Duration
}

// moneyPerMetrics is the most Money one Metrics holds (gross, refunds,
// net, average order value, GPM).
const moneyPerMetrics = 5

// newSlab holds n Metrics and what they point to.
func newSlab(n int) *slab {
	return &slab{metrics: make([]salesv1.Metrics, n), money: make([]typev1.Money, n*moneyPerMetrics),
		floats: make([]float64, 2*n), durs: make([]durationpb.Duration, n)}
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

func (a *slab) newMetrics() *salesv1.Metrics {
	if a == nil {
		return new(salesv1.Metrics)
	}
	return take(&a.metrics)
}

func (a *slab) newMoney(currency string, v int64) *typev1.Money {
	m := new(typev1.Money)
	if a != nil {
		m = take(&a.money)
	}
	m.CurrencyCode, m.MinorUnits = currency, v
	return m
}

func (a *slab) newFloat(v float64) *float64 {
	f := new(float64)
	if a != nil {
		f = take(&a.floats)
	}
	*f = v
	return f
}

// newDuration is durationpb.New(d) for the durations of a report (never
// negative, far within the range of Duration).
func (a *slab) newDuration(d time.Duration) *durationpb.Duration {
	p := new(durationpb.Duration)
	if a != nil {
		p = take(&a.durs)
	}
	nanos := d.Nanoseconds()
	secs := nanos / 1e9
	p.Seconds, p.Nanos = secs, int32(nanos-secs*1e9)
	return p
}

// dayNames spells the days of one answer, each once: a page's rows share
// a few periods, and formatting a date is most of a row's cost otherwise.
type dayNames map[report.Day]string

func (n dayNames) of(d report.Day) string {
	s, ok := n[d]
	if !ok {
		s = d.String()
		n[d] = s
	}
	return s
}

// reportRows converts a page of rows; dims are the request's group_by,
// groupBy the same as the engine's, display the keys' display names.
func (s *Server) reportRows(rows []report.Row, dims []salesv1.Dimension, groupBy []report.Dimension, display func(report.Dimension, string) string) []*salesv1.ReportRow {
	if len(rows) == 0 {
		return []*salesv1.ReportRow{}
	}
	n, nk := len(rows), len(groupBy)
	withPrevious := 0
	for i := range rows {
		if rows[i].Previous != nil {
			withPrevious++
		}
	}
	a := newSlab(n + withPrevious)
	msgs := make([]salesv1.ReportRow, n)
	keys := make([]salesv1.GroupKey, n*nk)
	keyPtrs := make([]*salesv1.GroupKey, n*nk)
	out := make([]*salesv1.ReportRow, n)
	days := make(dayNames, 16)
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
