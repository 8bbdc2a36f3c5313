package rpc

import (
	"context"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
)

// Policy is who may call what on sales reporting, at a glance. The
// interceptor checks the rule before the handler runs; the comment says
// how the rules of ingest/authz.go narrow "members". Admins and services
// see and record everything. Read or Write says what the method does:
// writes are refused to STAFF_READONLY keys and SUSPENDED members (see
// auth.Rule).
//
// "Party" to a session: its host, the base of its studio, the host's
// agency (as attributed at the session's first sale) or a featured
// merchant (in the session's merchants).
var Policy = auth.Policy{
	salesv1.SalesReporting_RecordSale_FullMethodName:          auth.Members | auth.Write, // a party to the sale's session (permitFor)
	salesv1.SalesReporting_ImportSales_FullMethodName:         auth.Members | auth.Write, // same, line by line: a refused line is PERMISSION_DENIED, the others go on
	salesv1.SalesReporting_GetSale_FullMethodName:             auth.Members | auth.Read,  // a party to the sale's session, or its DISTRICT_OFFICE (MaySeeSession)
	salesv1.SalesReporting_ListSales_FullMethodName:           auth.Members | auth.Read,  // same, and a member must name the session (mayList)
	salesv1.SalesReporting_GetSessionSummary_FullMethodName:   auth.Members | auth.Read,  // same
	salesv1.SalesReporting_QuerySalesReport_FullMethodName:    auth.Members | auth.Read,  // forced to the member's own data (OwnFilter)
	salesv1.SalesReporting_ListTopPerformers_FullMethodName:   auth.Members | auth.Read,  // ranked inside the member's own data (OwnFilter)
	salesv1.SalesReporting_GetAllianceOverview_FullMethodName: auth.Members | auth.Read,  // alliance-wide, open to every member
	// Traffic: recorded by a party to the session (permitFor), read as its sales are (MaySeeSession).
	salesv1.SalesReporting_RecordSessionMetrics_FullMethodName: auth.Members | auth.Write,
	salesv1.SalesReporting_ImportSessionMetrics_FullMethodName: auth.Members | auth.Write, // line by line, as ImportSales
	salesv1.SalesReporting_GetSessionMetrics_FullMethodName:    auth.Members | auth.Read,
	salesv1.SalesReporting_ExportSalesReport_FullMethodName:    auth.Members | auth.Read, // as QuerySalesReport (OwnFilter)
}

// withCaller hands the authenticated principal to the rules of who may
// see and record which sales (ingest/authz.go). A context without a
// principal gets no caller, and the rules refuse it.
func withCaller(ctx context.Context) context.Context {
	p := auth.From(ctx)
	switch {
	case p.Kind == auth.Member:
		return ingest.WithCaller(ctx, ingest.Caller{Member: p.Member, Kind: p.MemberKind, District: p.District})
	case p.Trusted():
		return ingest.WithCaller(ctx, ingest.Caller{Trusted: true})
	}
	return ctx
}
