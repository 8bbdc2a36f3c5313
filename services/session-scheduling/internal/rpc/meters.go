package rpc

import (
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/metrics"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
)

// Meters count the outcome of each booking, where the adapter turns it
// into an answer: CreateSession, each line of ImportSessions, and each
// occurrence of CreateSessionSeries. The zero value counts nothing.
type Meters struct {
	Booked, Refused *metrics.Counter
}

// Where a booking came in, the source label.
const (
	sourceCreate = "create"
	sourceImport = "import"
	sourceSeries = "series"
)

// NewMeters registers the counters on r (docs/OPERATIONS.md lists them).
func NewMeters(r *metrics.Registry) Meters {
	m := Meters{
		Booked: r.Counter("alliance_bookings_total",
			"Sessions booked, by source (create: CreateSession answered OK, a repeat of its request_id included; import: ImportSessions lines stored; series: occurrences CreateSessionSeries booked).", "source"),
		Refused: r.Counter("alliance_booking_refusals_total",
			"Bookings refused, by source and ErrorInfo reason (STUDIO_DOUBLE_BOOKED, HOST_DOUBLE_BOOKED, MEMBER_SUSPENDED, ...).", "source", "reason"),
	}
	// The bookings' series exist from the start: a rate over them is 0
	// rather than absent before the first booking.
	m.Booked.Add(0, sourceCreate)
	m.Booked.Add(0, sourceImport)
	m.Booked.Add(0, sourceSeries)
	return m
}

// booking counts one booking: made when err is nil, else refused.
func (m Meters) booking(source string, err error) {
	if err != nil {
		m.Refused.Inc(source, grpcx.ReasonOf(err))
		return
	}
	m.Booked.Inc(source)
}

// series counts a series: each occurrence booked, and each skipped by its
// reason; a series refused as a whole counts once, by its reason.
func (m Meters) series(res *scheduling.SeriesResult, err error) {
	if err != nil {
		m.booking(sourceSeries, err)
		return
	}
	for range res.Sessions {
		m.Booked.Inc(sourceSeries)
	}
	for _, k := range res.Series.Skipped {
		m.Refused.Inc(sourceSeries, k.Reason)
	}
}
