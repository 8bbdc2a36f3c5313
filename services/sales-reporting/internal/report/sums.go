package report

import (
	"errors"
	"math"
)

// How the figures stay exact. Every figure the suite prints is a sum of
// non-negative per-line contributions (a line's quantity and amount are
// bounded by ingestion, and a refund's amount is positive too). Ingestion
// keeps the alliance-wide Sums of every stored line and refuses a line that
// would make any of them overflow int64 (TOTAL_OVERFLOW), so every sum over
// a subset of the lines — a cell, a session, a day, a report row, a report
// total — is bounded by those Sums and cannot overflow either. The engine
// still adds with SatAdd at query time, as a guard for files written before
// that check existed: a figure there stops at math.MaxInt64, never wraps.

// CheckedAdd returns a+b and whether it fits in an int64.
func CheckedAdd(a, b int64) (int64, bool) {
	s := a + b
	// Overflow iff a and b share a sign that s does not have.
	return s, (s^a)&(s^b) >= 0
}

// SatAdd is a+b, saturated at math.MinInt64 and math.MaxInt64.
func SatAdd(a, b int64) int64 {
	s := a + b
	if (s^a)&(s^b) < 0 {
		if a < 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return s
}

// Sums are the additive figures of a set of sales.
type Sums struct {
	Orders, Units, Gross, Refunds, RefundLines int64
}

// Add counts one sale into s, with checked addition: when any figure would
// overflow, s is left unchanged and Add reports false.
func (s *Sums) Add(d Delta) bool {
	n, ok := *s, true
	step := func(x *int64, v int64) {
		var fits bool
		*x, fits = CheckedAdd(*x, v)
		ok = ok && fits
	}
	switch d.Kind {
	case Order:
		step(&n.Orders, 1)
		step(&n.Units, d.Quantity)
		step(&n.Gross, d.Amount)
	case Refund:
		step(&n.RefundLines, 1)
		step(&n.Refunds, d.Amount)
	}
	if ok {
		*s = n
	}
	return ok
}

// Merge adds o into s with SatAdd.
func (s *Sums) Merge(o Sums) {
	s.Orders = SatAdd(s.Orders, o.Orders)
	s.Units = SatAdd(s.Units, o.Units)
	s.Gross = SatAdd(s.Gross, o.Gross)
	s.Refunds = SatAdd(s.Refunds, o.Refunds)
	s.RefundLines = SatAdd(s.RefundLines, o.RefundLines)
}

// ErrOverflow reports a sum that would not fit in an int64.
var ErrOverflow = errors.New("a sum would overflow int64")
