package report

// Add counts one accepted sale into its cell. It is the one place where a
// sale changes a rollup: the store uses it for the cells it keeps in bbolt,
// and the engine for the cells it keeps in memory, so the two never drift.
//
// The first delta names the cell (session, product, day, attribution);
// later deltas must belong to the same cell, and their attribution is not
// looked at: a cell counts for the attribution its first sale had.
func (c *Cell) Add(d Delta) {
	if c.Session == "" {
		c.Session, c.Product, c.Day, c.Attr = d.Session, d.Product, d.Day, d.Attr
	}
	switch d.Kind {
	case Order:
		c.Orders++
		c.Units += d.Quantity
		c.Gross += d.Amount
	case Refund:
		c.RefundLines++
		c.Refunds += d.Amount
	}
	if !d.EventTime.IsZero() {
		if c.FirstEvent.IsZero() || d.EventTime.Before(c.FirstEvent) {
			c.FirstEvent = d.EventTime
		}
		if d.EventTime.After(c.LastEvent) {
			c.LastEvent = d.EventTime
		}
	}
}

// empty reports whether no sale was ever counted into c.
func (c *Cell) empty() bool { return c.Orders == 0 && c.RefundLines == 0 }

// AverageOrderValue is gross ÷ orders rounded half to even, in integers so
// that no float touches money; 0 without orders.
func AverageOrderValue(gross, orders int64) int64 {
	if orders <= 0 {
		return 0
	}
	neg := gross < 0
	if neg {
		gross = -gross
	}
	q, r := gross/orders, gross%orders
	// r > orders-r is 2r > orders without overflowing.
	if r > orders-r || (r == orders-r && q%2 == 1) {
		q++
	}
	if neg {
		q = -q
	}
	return q
}

func (m *Metrics) finish() {
	m.Net = m.Gross - m.Refunds
	m.AverageOrderValue = AverageOrderValue(m.Gross, m.Orders)
}
