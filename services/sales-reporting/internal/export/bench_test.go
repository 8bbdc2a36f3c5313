package export

import (
	"io"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// benchTable is a year by day × 12 districts: 4,380 rows.
func benchTable() *Table {
	t := &Table{Dims: []Column{{Name: "district", Display: func(k string) string { return "九龙坡区" }}}, DataThrough: time.Now()}
	for d := range 365 {
		for k := range 12 {
			m := report.Metrics{Sessions: 40, Orders: 2000 + int64(k), Units: 4000, Gross: 80_000_000 + int64(d), Refunds: 3_000_000, Net: 77_000_000, AverageOrderValue: 40000,
				Traffic: report.TrafficMetrics{Sessions: 40, Views: 120000, Viewers: 50000, PeakConcurrentViewers: 4000, ProductImpressions: 90000, ProductClicks: 9000, ViewMillis: 120000 * 90000}}
			t.Rows = append(t.Rows, report.Row{PeriodStart: report.Day(18262 + d), PeriodEnd: report.Day(18263 + d), Keys: []string{"jiulongpo"}, Metrics: m})
		}
	}
	return t
}

// BenchmarkWrite is the cost of writing the file alone, per format.
func BenchmarkWrite(b *testing.B) {
	t := benchTable()
	for _, f := range []struct {
		name  string
		write func(io.Writer, *Table) error
	}{{"CSV", WriteCSV}, {"XLSX", WriteXLSX}} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				if err := f.write(io.Discard, t); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(t.Rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
