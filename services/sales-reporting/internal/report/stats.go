package report

import (
	"slices"
	"time"
)

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

// Keys returns every key of dimension d the engine holds (a host's or a
// merchant's member name, a district's code, ...), in no set order; a key
// seen once stays, whether or not its sales still count.
func (e *Engine) Keys(d Dimension) []string {
	if !d.valid() {
		return nil
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return slices.Clone(e.keys[d].names)
}
