package rpc

import (
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/metrics"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// Meters count what became of each line of RecordSale and ImportSales,
// where the adapter turns it into an answer. The zero value counts
// nothing.
type Meters struct {
	Ingested, Duplicates, Rejected *metrics.Counter
}

// Where a line came in, the source label.
const (
	sourceRecord = "record"
	sourceImport = "import"
)

// NewMeters registers the counters on r (docs/OPERATIONS.md lists them).
func NewMeters(r *metrics.Registry) Meters {
	m := Meters{
		Ingested: r.Counter("alliance_sales_ingested_total",
			"Sale lines stored, by kind (order, refund) and source (record: RecordSale, import: ImportSales).", "kind", "source"),
		Duplicates: r.Counter("alliance_sales_duplicates_total",
			"Sale lines that repeated a stored one exactly (idempotent repeats), by kind and source.", "kind", "source"),
		Rejected: r.Counter("alliance_sales_rejected_total",
			"Sale lines refused, by source and ErrorInfo reason (REFUND_EXCEEDS_ORDER, SESSION_NOT_LIVE, ...).", "source", "reason"),
	}
	// Every series but the refusals' exists from the start, so that a
	// rate over it is 0 rather than absent before the first sale.
	for _, k := range []report.Kind{report.Order, report.Refund} {
		for _, src := range []string{sourceRecord, sourceImport} {
			m.Ingested.Add(0, kindLabel(k), src)
			m.Duplicates.Add(0, kindLabel(k), src)
		}
	}
	return m
}

func kindLabel(k report.Kind) string {
	switch k {
	case report.Order:
		return "order"
	case report.Refund:
		return "refund"
	}
	return "unspecified"
}

// outcome counts one line's outcome.
func (m Meters) outcome(source string, o ingest.Outcome) {
	switch {
	case o.Err != nil:
		m.Rejected.Inc(source, grpcx.ReasonOf(o.Err)) // the reason the caller reads

	case o.Sale == nil:
	case o.Duplicate:
		m.Duplicates.Inc(kindLabel(o.Sale.Kind), source)
	default:
		m.Ingested.Inc(kindLabel(o.Sale.Kind), source)
	}
}
