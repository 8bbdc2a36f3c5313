package app

import (
	"math"
	"time"

	"github.com/cqlive/alliance/services/kit/metrics"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// watchEngine registers the report engine's gauges, read at each scrape.
func watchEngine(m *metrics.Registry, e *report.Engine, now func() time.Time) {
	m.GaugeFunc("alliance_report_cells", "Rollup cells (session, product, day) the report engine holds in memory.",
		func() float64 { return float64(e.Stats().Cells) })
	m.GaugeFunc("alliance_report_records", "Day and month records over the cells that the reports add up.",
		func() float64 { return float64(e.Stats().Records) })
	m.GaugeFunc("alliance_report_sessions", "Sessions with at least one sale in the report engine.",
		func() float64 { return float64(e.Stats().Sessions) })
	m.GaugeFunc("alliance_report_data_through_timestamp_seconds", "The reports' data_through: the newest event time of any sale held (Unix seconds; 0 when none).",
		func() float64 { return unix(e.Stats().DataThrough) })
	m.GaugeFunc("alliance_report_data_through_lag_seconds", "How far data_through is behind now: how old the newest sale in the reports is (NaN when there is none).",
		func() float64 {
			t := e.Stats().DataThrough
			if t.IsZero() {
				return math.NaN()
			}
			return now().Sub(t).Seconds()
		})
}

func unix(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
