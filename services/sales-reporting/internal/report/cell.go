package report

// Add counts one accepted sale into its cell. It is the one place where a
// sale changes a rollup: the store uses it for the cells it keeps in bbolt,
// and the engine for the cells it keeps in memory, so the two never drift.
//
// The first delta names the cell (session, product, day, attribution);
// later deltas must belong to the same cell, and their attribution is not
// looked at: a cell counts for the attribution its first sale had.
//
// The addition is checked (see Sums.Add): when a figure would overflow,
// the cell is left unchanged and Add reports false.
func (c *Cell) Add(d Delta) bool {
	s := c.Sums()
	if !s.Add(d) {
		return false
	}
	if c.Session == "" {
		c.Session, c.Product, c.Day, c.Attr = d.Session, d.Product, d.Day, d.Attr
	}
	c.Orders, c.Units, c.Gross, c.Refunds, c.RefundLines = s.Orders, s.Units, s.Gross, s.Refunds, s.RefundLines
	if !d.EventTime.IsZero() {
		if c.FirstEvent.IsZero() || d.EventTime.Before(c.FirstEvent) {
			c.FirstEvent = d.EventTime
		}
		if d.EventTime.After(c.LastEvent) {
			c.LastEvent = d.EventTime
		}
	}
	return true
}

// Sums are the cell's additive figures.
func (c *Cell) Sums() Sums {
	return Sums{Orders: c.Orders, Units: c.Units, Gross: c.Gross, Refunds: c.Refunds, RefundLines: c.RefundLines}
}

// empty reports whether no sale was ever counted into c.
func (c *Cell) empty() bool { return c.Orders == 0 && c.RefundLines == 0 }

// AverageOrderValue is gross ÷ orders rounded half to even, in integers so
// that no float touches money; 0 without orders. It works on the magnitude
// as a uint64, so even math.MinInt64 has one.
func AverageOrderValue(gross, orders int64) int64 {
	if orders <= 0 {
		return 0
	}
	neg := gross < 0
	mag := uint64(gross)
	if neg {
		mag = -mag
	}
	n := uint64(orders)
	q, r := mag/n, mag%n
	// r > n-r is 2r > n without overflowing.
	if r > n-r || (r == n-r && q%2 == 1) {
		q++
	}
	if neg {
		return -int64(q)
	}
	return int64(q)
}

func (m *Metrics) finish() {
	// Both are sums of non-negative amounts, so the difference fits.
	m.Net = m.Gross - m.Refunds
	m.AverageOrderValue = AverageOrderValue(m.Gross, m.Orders)
}
