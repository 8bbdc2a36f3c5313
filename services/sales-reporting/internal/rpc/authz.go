package rpc

import (
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/auth"
)

// Policy is who may call what on sales reporting, at a glance. Sales come
// from the platforms' feeds, which the alliance's staff (or a service of
// the suite) run: a member cannot record sales for itself. The reports are
// the alliance's figures, open to its members.
var Policy = auth.Policy{
	salesv1.SalesReporting_RecordSale_FullMethodName:          auth.TrustedOnly,
	salesv1.SalesReporting_ImportSales_FullMethodName:         auth.TrustedOnly,
	salesv1.SalesReporting_GetSale_FullMethodName:             auth.Members,
	salesv1.SalesReporting_ListSales_FullMethodName:           auth.Members,
	salesv1.SalesReporting_GetSessionSummary_FullMethodName:   auth.Members,
	salesv1.SalesReporting_QuerySalesReport_FullMethodName:    auth.Members,
	salesv1.SalesReporting_ListTopPerformers_FullMethodName:   auth.Members,
	salesv1.SalesReporting_GetAllianceOverview_FullMethodName: auth.Members,
}
