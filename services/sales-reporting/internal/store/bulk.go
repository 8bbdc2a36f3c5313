package store

import (
	"slices"

	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
)

// UpdateLines implements ingest.SizedRepo. A group of at least directSales
// lines (an import's chunks) runs in the open transaction as it is, not
// kept for a log entry, and commits sales.db before it returns: bbolt's
// fsyncs are then shared by thousands of sales, and the log would only add
// its bytes and the cost of keeping every write twice. The transaction's
// sales and keys are sized for the group at once. A smaller group is
// Update.
func (s *Store) UpdateLines(lines int, fn func(ingest.Tx) error) error {
	if lines < directSales {
		return s.Update(fn)
	}
	return s.write(func() (int, error) { return s.updateDirect(lines, fn) })
}

func (s *Store) updateDirect(lines int, fn func(ingest.Tx) error) (int, error) {
	if s.broken != nil {
		return 0, s.broken
	}
	if err := s.begin(); err != nil {
		return 0, err
	}
	t := s.live.t
	t.reserve(lines)
	before := len(t.newSales)
	if err := fn(t); err != nil {
		s.abort()
		return 0, err
	}
	n := len(t.newSales) - before
	if n == 0 {
		// Nothing new (repeats, refusals): nothing to commit.
		return 0, nil
	}
	s.live.sales += n
	s.live.dirty = true
	if err := s.commitLocked(); err != nil {
		return 0, err
	}
	return n, nil
}

// reserve makes room for n more sales in the transaction's memory.
func (t *tx) reserve(n int) {
	t.newSales = slices.Grow(t.newSales, n)
	if len(t.newKeys) == 0 {
		t.newKeys = make(map[string]uint64, n)
	}
}
