package ingest

import (
	"context"
	"github.com/cqlive/alliance/services/kit/ctxval"
	"github.com/cqlive/alliance/services/kit/members"
	"slices"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// Caller is who makes a call, as far as the rules of who may see and
// record which sales care. The rpc layer puts it into the context from
// the authenticated principal. A context without one (or the zero Caller)
// is no caller at all, and every rule below refuses it: the rules fail
// closed.
type Caller struct {
	// Trusted: the alliance's staff and the suite's own services (and the
	// calls of a server without authentication) see and record everything.
	Trusted bool
	// A member's key: members/{id}, its kind, and its district (which a
	// DISTRICT_OFFICE sees the sales of).
	Member   string
	Kind     members.Kind
	District string
}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context { return ctxval.With(ctx, c) }

func callerOf(ctx context.Context) Caller {
	c, _ := ctxval.Of[Caller](ctx)
	return c
}

func (c Caller) known() bool { return c.Trusted || c.Member != "" }

// decided says whether a rule that narrows a member's reach is decided
// before it looks: refused for no caller at all, allowed for a trusted one.
func (c Caller) decided() (bool, error) {
	switch {
	case !c.known():
		return true, errNoCaller
	case c.Trusted:
		return true, nil
	}
	return false, nil
}

// isMember says whether c is a member's key, whose reach the rules narrow.
func (c Caller) isMember() bool { return !c.Trusted && c.Member != "" }

var (
	errNoCaller    = fault.New(fault.Unauthenticated, fault.ReasonUnauthenticated, "the call carries no key")
	errNotYours    = fault.New(fault.PermissionDenied, fault.ReasonPermissionDenied, "this key may see and record only its own member's sales")
	errNameSession = fault.New(fault.PermissionDenied, fault.ReasonPermissionDenied, "a member lists the sales of one of its sessions: set session")
)

// isParty says whether c is a party to a session: its host, the base of
// its studio, the host's agency (as attributed at the session's first
// sale) or a featured merchant (in the session's merchants). It is judged
// on the attribution the session's sales count for.
func isParty(c Caller, ses *Session) bool {
	a := ses.Attr
	return c.Member != "" && (c.Member == a.Host || c.Member == a.Base || c.Member == a.Agency || slices.Contains(ses.Merchants, c.Member))
}

// permitFor is the one rule for recording: a member records sales only
// for sessions it is a party to. Ingestion checks it on every line, after
// the session is resolved (an unknown session stays NOT_FOUND) and before
// anything is stored or compared with stored sales. Nil permits
// everything (trusted callers).
func permitFor(c Caller) Permit {
	if !c.isMember() {
		return nil
	}
	return func(ses *Session) error {
		if isParty(c, ses) {
			return nil
		}
		return fault.New(fault.PermissionDenied, fault.ReasonPermissionDenied,
			"%s is not the host, base, host's agency or a featured merchant of %s", c.Member, ses.Name).With("session", ses.Name)
	}
}

// MaySeeSession is the rule for reading a session's sales (GetSale,
// ListSales, GetSessionSummary): a member reads those of a session it is
// a party to, or, for a DISTRICT_OFFICE, of a session in its district.
// Session names are public in the schedule, so an unknown one is
// NOT_FOUND.
func (s *Service) MaySeeSession(ctx context.Context, name string) error {
	c := callerOf(ctx)
	if done, err := c.decided(); done {
		return err
	}
	ses, err := s.Session(ctx, name)
	if err != nil {
		return err
	}
	if ses == nil {
		return fault.New(fault.NotFound, ReasonSessionNotFound, "session %s not found", name).With("session", name)
	}
	if isParty(c, ses) || c.Kind == members.DistrictOffice && c.District != "" && c.District == ses.Attr.District {
		return nil
	}
	return errNotYours
}

// mayList is the rule of ListSales: a member lists the sales of one
// session it may see, never all of them.
func (s *Service) mayList(ctx context.Context, session string) error {
	if c := callerOf(ctx); c.isMember() && session == "" {
		return errNameSession
	}
	return s.MaySeeSession(ctx, session)
}

// OwnFilter holds a member's report to its own data: the filter field of
// its kind is set to itself (its district, for a DISTRICT_OFFICE). A
// request that sets that field to anything else is refused, not widened.
// Trusted callers report on everything.
func OwnFilter(ctx context.Context, f *report.Filter) error {
	c := callerOf(ctx)
	if done, err := c.decided(); done {
		return err
	}
	field, own := map[members.Kind]*string{
		members.Host: &f.Host, members.Base: &f.Base, members.Agency: &f.Agency, members.Merchant: &f.Merchant, members.DistrictOffice: &f.District,
	}[c.Kind], c.Member
	if c.Kind == members.DistrictOffice {
		own = c.District
	}
	if field == nil || own == "" || *field != "" && *field != own {
		return errNotYours
	}
	*field = own
	return nil
}
