package rpc

import (
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

var comparisons = map[salesv1.Comparison]report.Comparison{
	salesv1.Comparison_COMPARISON_UNSPECIFIED:     report.NoComparison,
	salesv1.Comparison_COMPARISON_PREVIOUS_PERIOD: report.PreviousPeriod,
	salesv1.Comparison_COMPARISON_PREVIOUS_YEAR:   report.PreviousYear,
}

func comparisonOf(v *fault.Invalid, c salesv1.Comparison) report.Comparison {
	rc, ok := comparisons[c]
	if !ok {
		v.Add("compare_to", "must be PREVIOUS_PERIOD or PREVIOUS_YEAR, got %d", c)
	}
	return rc
}

// change is the change of the figures of now since then (as the API
// shows them: ratios only where then had a figure).
func change(now, then *salesv1.Metrics) *salesv1.MetricsChange {
	if then == nil {
		return nil
	}
	c := &salesv1.MetricsChange{}
	set := func(dst **float64, a, b int64) {
		if r, ok := report.Change(a, b); ok {
			*dst = &r
		}
	}
	set(&c.Sessions, now.GetSessions(), then.GetSessions())
	set(&c.Orders, now.GetOrders(), then.GetOrders())
	set(&c.Units, now.GetUnits(), then.GetUnits())
	set(&c.Gross, now.GetGross().GetMinorUnits(), then.GetGross().GetMinorUnits())
	set(&c.Refunds, now.GetRefunds().GetMinorUnits(), then.GetRefunds().GetMinorUnits())
	set(&c.Net, now.GetNet().GetMinorUnits(), then.GetNet().GetMinorUnits())
	set(&c.Views, now.GetViews(), then.GetViews())
	if now.Gpm != nil && then.Gpm != nil {
		set(&c.Gpm, now.GetGpm().GetMinorUnits(), then.GetGpm().GetMinorUnits())
	}
	if now.ConversionRate != nil && then.ConversionRate != nil && then.GetConversionRate() != 0 {
		r := (now.GetConversionRate() - then.GetConversionRate()) / then.GetConversionRate()
		c.ConversionRate = &r
	}
	return c
}
