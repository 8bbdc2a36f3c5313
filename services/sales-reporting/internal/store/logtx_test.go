package store

import (
	"slices"
	"testing"

	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// TestKeepNamesEachArgumentByItsIndexInItsKind: the log entry finds an
// op's argument by the op's index, each kind counting on its own.
func TestKeepNamesEachArgumentByItsIndexInItsKind(t *testing.T) {
	for _, c := range []struct {
		name    string
		calls   func(l *loggingTx) []int
		ops     []loggedOp
		refunds []refundArgs
		sums    []report.Sums
	}{
		{"no ops", func(*loggingTx) []int { return nil }, nil, nil, nil},
		{"one of a kind is index 0",
			func(l *loggingTx) []int { return []int{keep(l, opSetRefunded, &l.refunds, refundArgs{order: 9})} },
			[]loggedOp{{opSetRefunded, 0}}, []refundArgs{{order: 9}}, nil},
		{"kinds interleaved count apart, in call order",
			func(l *loggingTx) []int {
				return []int{
					keep(l, opSetTotals, &l.sums, report.Sums{Orders: 1}),
					keep(l, opSetRefunded, &l.refunds, refundArgs{order: 1}),
					keep(l, opSetTotals, &l.sums, report.Sums{Orders: 2}),
					keep(l, opSetRefunded, &l.refunds, refundArgs{order: 2}),
				}
			},
			[]loggedOp{{opSetTotals, 0}, {opSetRefunded, 0}, {opSetTotals, 1}, {opSetRefunded, 1}},
			[]refundArgs{{order: 1}, {order: 2}}, []report.Sums{{Orders: 1}, {Orders: 2}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := &loggingTx{}
			got := c.calls(l)
			var want []int
			for _, o := range c.ops {
				want = append(want, o.i)
			}
			if !slices.Equal(got, want) {
				t.Errorf("keep returned %v, want %v", got, want)
			}
			if !slices.Equal(l.ops, c.ops) || !slices.Equal(l.refunds, c.refunds) || !slices.Equal(l.sums, c.sums) {
				t.Errorf("ops %v refunds %v sums %v; want %v %v %v", l.ops, l.refunds, l.sums, c.ops, c.refunds, c.sums)
			}
		})
	}
}
