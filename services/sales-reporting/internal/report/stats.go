package report

import "time"

// Stats is what the engine holds, for the service's metrics.
type Stats struct {
	// Cells are the (session, product, day) cells; Records the day and
	// month records the reports add up (the month forms of the cells,
	// which the product reports read, included); Sessions the sessions
	// with sales.
	Cells, Records, Sessions int
	// DataThrough is the newest event time of any sale held (zero when none).
	DataThrough time.Time
}

// Stats reads the engine's sizes, as one query would.
func (e *Engine) Stats() Stats {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return Stats{Cells: e.counts[kindCell], Records: e.counts[kindDay] + e.counts[kindMonth] + e.counts[kindMCell], Sessions: len(e.sessions), DataThrough: e.dataThrough}
}
