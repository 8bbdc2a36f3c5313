package scheduling

import (
	"context"
	"github.com/cqlive/alliance/services/kit/ctxval"
	"github.com/cqlive/alliance/services/kit/members"

	"github.com/cqlive/alliance/services/kit/fault"
)

// Caller is who makes a call, as far as the booking rules care. The rpc
// layer puts it into the context from the authenticated principal. A
// context without one (or the zero Caller) is no caller at all, and every
// rule below refuses it: the rules fail closed.
type Caller struct {
	// Trusted: the alliance's staff and the suite's own services (and the
	// calls of a server without authentication): they may book and change
	// any session.
	Trusted bool
	Member  string // members/{id} of a member's key
	Kind    members.Kind
}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context { return ctxval.With(ctx, c) }

func callerOf(ctx context.Context) Caller {
	c, _ := ctxval.Of[Caller](ctx)
	return c
}

// known says whether c is a caller at all.
func (c Caller) known() bool { return c.Trusted || c.Member != "" }

// Denials name no session and no member, so that they tell a caller
// nothing it could not read anyway.
var (
	errNoCaller    = fault.New(fault.Unauthenticated, fault.ReasonUnauthenticated, "the call carries no key")
	errMayNotBook  = fault.New(fault.PermissionDenied, fault.ReasonPermissionDenied, "this key may book only its own studios (a base), its own hosts (an agency) or itself (a host)")
	errNotAParty   = fault.New(fault.PermissionDenied, fault.ReasonPermissionDenied, "this key may change only sessions of its own member: as the host, the base or the host's agency")
	errNoBookingAs = fault.New(fault.PermissionDenied, fault.ReasonPermissionDenied, "merchants and district offices do not book sessions")
	errAdminOnly   = fault.New(fault.PermissionDenied, fault.ReasonPermissionDenied, "only the alliance's admins import sessions")
)

// mayBook is the one rule of who may book session s (a create, or the new
// version of an update):
//
//	admin, service   any session
//	BASE             into its own studios
//	AGENCY           its own hosts (host.agency is the caller)
//	HOST             itself, into any studio of an ACTIVE base: alliance
//	                 bases open their studios to every alliance host (rule 2
//	                 already requires the base to be ACTIVE for any booking)
//	MERCHANT, DISTRICT_OFFICE  nothing
//
// host is the host as the registry knows it, or nil before the registry
// was asked. Create and update call mayBook twice: first without the host,
// so that a caller who may not book is refused before anything is looked
// up (and learns nothing of what exists), then with the host that the
// booking check read, for an agency's claim on it.
func mayBook(c Caller, s *Session, host *Member) error {
	switch {
	case !c.known():
		return errNoCaller
	case c.Trusted:
		return nil
	}
	switch c.Kind {
	case members.Base:
		if s.Base() == c.Member {
			return nil
		}
	case members.Host:
		if s.Host == c.Member {
			return nil
		}
	case members.Agency:
		if host == nil || host.Agency == c.Member {
			return nil
		}
	default:
		return errNoBookingAs
	}
	return errMayNotBook
}

// bookable checks s's parties with the registry (checkBooking, all
// active) and then, with its host as the registry has it, that caller may
// book s; it returns that host.
func (svc *Service) bookable(ctx context.Context, caller Caller, s *Session) (Member, error) {
	got, err := checkBooking(ctx, svc.dir, s, true)
	if err != nil {
		return Member{}, err
	}
	host := got[s.Host]
	return host, mayBook(caller, s, &host)
}

// mayChange is the rule of who may update, start, end or cancel session s:
// its parties (its host, its studio's base, the host's agency as the
// registry knows it now) and the trusted callers. Only an agency's claim
// needs the registry, and only then is it asked.
func (svc *Service) mayChange(ctx context.Context, s *Session, host *Member) error {
	c := callerOf(ctx)
	switch {
	case !c.known():
		return errNoCaller
	case c.Trusted || c.Member == s.Host || c.Member == s.Base():
		return nil
	}
	if c.Kind != members.Agency {
		return errNotAParty
	}
	if host == nil {
		got, err := svc.dir.BatchGet(ctx, []string{s.Host})
		if _, gone := err.(*MissingMember); gone {
			return errNotAParty
		}
		if err != nil {
			return err
		}
		host = &got[0]
	}
	if host.Agency != c.Member {
		return errNotAParty
	}
	return nil
}

// mayImport: imported history is the alliance's admins' (the Policy lets
// only staff call ImportSessions; a read-only key is refused its writes).
func mayImport(c Caller) error {
	switch {
	case !c.known():
		return errNoCaller
	case !c.Trusted:
		return errAdminOnly
	}
	return nil
}

var (
	errNotTheBase     = fault.New(fault.PermissionDenied, fault.ReasonPermissionDenied, "only the studio's base and the alliance's staff approve or decline its requests")
	errNotPolicyOwner = fault.New(fault.PermissionDenied, fault.ReasonPermissionDenied, "only the studio's base and the alliance's staff change its policy")
)

// needsApproval is the rule of who waits for approval: in a studio whose
// policy requires it, every booking made by a host's or an agency's key
// (a host from outside the base, booking itself or booked by its agency).
// The base's own bookings and those of the alliance's staff are approved
// by being made.
func needsApproval(c Caller, p *Policy) bool {
	return p.RequiresApproval && !c.Trusted && c.Kind != members.Base
}

// mayApprove: the base of the session's studio, and the trusted callers.
func mayApprove(c Caller, s *Session) error {
	switch {
	case !c.known():
		return errNoCaller
	case c.Trusted || c.Kind == members.Base && c.Member == s.Base():
		return nil
	}
	return errNotTheBase
}

// mayChangePolicy: the studio's base, and the trusted callers.
func mayChangePolicy(c Caller, studio string) error {
	base, _, _ := ParseStudioName(studio)
	switch {
	case !c.known():
		return errNoCaller
	case c.Trusted || c.Kind == members.Base && c.Member == base:
		return nil
	}
	return errNotPolicyOwner
}
