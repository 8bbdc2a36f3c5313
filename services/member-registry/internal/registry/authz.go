package registry

import (
	"context"
	"github.com/cqlive/alliance/services/kit/ctxval"

	"github.com/cqlive/alliance/services/kit/fault"
)

// Caller is who makes a call, as far as the registry's rules care. The
// rpc layer puts it into the context from the authenticated principal. A
// context without one is no caller at all, and every rule below refuses
// it: the rules fail closed.
type Caller struct {
	// Trusted: the alliance's staff (any role) and the suite's own
	// services, which see and manage every member. What they may write,
	// the service's Policy checked before the call got here.
	Trusted bool
	// Admin: may issue, list and revoke staff keys (the bootstrap keys and
	// ADMIN staff keys; not STAFF_READONLY keys, not the services).
	Admin bool
	// Member is members/{id} of a member's key.
	Member string
}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context { return ctxval.With(ctx, c) }

func callerOf(ctx context.Context) (Caller, bool) {
	c, _ := ctxval.Of[Caller](ctx)
	return c, c.Trusted || c.Member != ""
}

var (
	errNoCaller   = fault.New(fault.Unauthenticated, fault.ReasonUnauthenticated, "the call carries no key")
	errNotYours   = fault.New(fault.PermissionDenied, fault.ReasonPermissionDenied, "this key may act only for its own member")
	errStaffKeys  = fault.New(fault.PermissionDenied, fault.ReasonPermissionDenied, "only the alliance's admins may issue, list and revoke staff keys")
	errAdminsSets = fault.New(fault.PermissionDenied, fault.ReasonPermissionDenied, "agency, official and district are set by the alliance's admins")
)

// mayManage is the rule of who may change a member (members/{id}), its
// products and its keys: the trusted callers and the member itself.
func mayManage(ctx context.Context, member string) error {
	c, ok := callerOf(ctx)
	switch {
	case !ok:
		return errNoCaller
	case c.Trusted || c.Member == member:
		return nil
	}
	return errNotYours
}

// SeesContact says whether the caller may see member's contact data:
// whoever may manage the member. The directory is public to every
// caller otherwise.
func (s *Service) SeesContact(ctx context.Context, member string) bool {
	return mayManage(ctx, member) == nil
}

// mayManageStaff: staff keys are the admins' alone.
func mayManageStaff(ctx context.Context) error {
	c, ok := callerOf(ctx)
	switch {
	case !ok:
		return errNoCaller
	case c.Admin:
		return nil
	}
	return errStaffKeys
}

// selfUpdateLimits keeps the fields that only the alliance sets (a host's
// agency and official flag, a member's district) out of a member's own
// update: changed (memberUpdate.Changed of the stored member and the
// patch) may not name one, so that a member may send back its record as
// it read it (AIP-203) but never change one of them.
func selfUpdateLimits(ctx context.Context, changed func(field string) bool) error {
	if c, _ := callerOf(ctx); c.Trusted || c.Member == "" {
		return nil // no caller at all is refused by mayManage, which runs first
	}
	if changed("agency") || changed("official") || changed("district") {
		return errAdminsSets
	}
	return nil
}

// mayManageKeys is mayManage for a member's keys (memberID set) and
// mayManageStaff for the staff keys (memberID "").
func mayManageKeys(ctx context.Context, memberID string) error {
	if memberID == "" {
		return mayManageStaff(ctx)
	}
	return mayManage(ctx, MemberName(memberID))
}
