package rpc

import (
	"context"
	"slices"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// Policy is who may call what on sales reporting, at a glance. The
// interceptor checks the rule before the handler runs; the comment says
// how the handler narrows "members" (helpers below). Admins and services
// see and record everything. Read or Write says what the method does:
// writes are refused to STAFF_READONLY keys and SUSPENDED members (see
// auth.Rule).
//
// "Party" to a session: its host, the base of its studio, the host's
// agency (as attributed at the session's first sale) or a featured
// merchant (in the session's merchants).
var Policy = auth.Policy{
	salesv1.SalesReporting_RecordSale_FullMethodName:          auth.Members | auth.Write, // a party to the sale's session (recordPermit)
	salesv1.SalesReporting_ImportSales_FullMethodName:         auth.Members | auth.Write, // same, line by line: a refused line is PERMISSION_DENIED, the others go on
	salesv1.SalesReporting_GetSale_FullMethodName:             auth.Members | auth.Read,  // a party to the sale's session, or its DISTRICT_OFFICE (maySeeSession)
	salesv1.SalesReporting_ListSales_FullMethodName:           auth.Members | auth.Read,  // same, and a member must name the session
	salesv1.SalesReporting_GetSessionSummary_FullMethodName:   auth.Members | auth.Read,  // same
	salesv1.SalesReporting_QuerySalesReport_FullMethodName:    auth.Members | auth.Read,  // forced to the member's own data (ownFilter)
	salesv1.SalesReporting_ListTopPerformers_FullMethodName:   auth.Members | auth.Read,  // ranked inside the member's own data (ownFilter)
	salesv1.SalesReporting_GetAllianceOverview_FullMethodName: auth.Members | auth.Read,  // alliance-wide, open to every member
}

var errNotYours = fault.New(fault.PermissionDenied, "PERMISSION_DENIED", "this key may see and record only its own member's sales")

// member returns the calling member, or false for admins and services.
// Without authentication (in-process tests) the caller is anonymous and
// is let through, as the interceptor that would refuse it is absent.
func member(ctx context.Context) (auth.Principal, bool) {
	p := auth.From(ctx)
	return p, p.Kind == auth.Member
}

// isParty says whether p is a party to a session, judged on the
// attribution its sales count for.
func isParty(p auth.Principal, ses *ingest.Session) bool {
	a := ses.Attr
	return p.Member != "" && (p.Member == a.Host || p.Member == a.Base || p.Member == a.Agency || slices.Contains(ses.Merchants, p.Member))
}

// recordPermit is the one rule for recording: a member records sales only
// for sessions it is a party to. Ingestion checks it on every line, after
// the session is resolved (an unknown session stays NOT_FOUND) and before
// anything is stored or compared with stored sales.
func recordPermit(ctx context.Context) ingest.Permit {
	p, ok := member(ctx)
	if !ok {
		return nil
	}
	return func(ses *ingest.Session) error {
		if isParty(p, ses) {
			return nil
		}
		return fault.New(fault.PermissionDenied, "PERMISSION_DENIED",
			"%s is not the host, base, host's agency or a featured merchant of %s", p.Member, ses.Name).With("session", ses.Name)
	}
}

// maySeeSession lets a member read the sales of a session it is a party
// to, or, for a DISTRICT_OFFICE, of a session in its district. Session
// names are public in the schedule, so an unknown one is NOT_FOUND.
func (s *Server) maySeeSession(ctx context.Context, name string) error {
	p, ok := member(ctx)
	if !ok {
		return nil
	}
	ses, err := s.svc.Session(ctx, name)
	if err != nil {
		return err
	}
	if ses == nil {
		return fault.New(fault.NotFound, ingest.ReasonSessionNotFound, "session %s not found", name).With("session", name)
	}
	if isParty(p, ses) || p.MemberKind == "DISTRICT_OFFICE" && p.District != "" && p.District == ses.Attr.District {
		return nil
	}
	return errNotYours
}

// ownFilter holds a member's report to its own data: the filter field of
// its kind is set to itself (its district, for a DISTRICT_OFFICE). A
// request that sets that field to anything else is refused, not widened.
func ownFilter(ctx context.Context, f *report.Filter) error {
	p, ok := member(ctx)
	if !ok {
		return nil
	}
	field, own := map[string]*string{
		"HOST": &f.Host, "BASE": &f.Base, "AGENCY": &f.Agency, "MERCHANT": &f.Merchant, "DISTRICT_OFFICE": &f.District,
	}[p.MemberKind], p.Member
	if p.MemberKind == "DISTRICT_OFFICE" {
		own = p.District
	}
	if field == nil || own == "" || *field != "" && *field != own {
		return errNotYours
	}
	*field = own
	return nil
}
