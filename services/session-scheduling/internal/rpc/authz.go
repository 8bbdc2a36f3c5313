package rpc

import (
	"context"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
)

// Policy is who may call what on the session scheduler, at a glance. The
// interceptor checks the rule before the handler runs; the comment says
// how the domain narrows "members" (scheduling/authz.go: mayBook,
// mayChange, mayApprove, mayChangePolicy).
// Read or Write says what the method does: writes are refused to
// STAFF_READONLY keys and SUSPENDED members (see auth.Rule).
var Policy = auth.Policy{
	sessionv1.SessionScheduler_CreateSession_FullMethodName:      auth.Members | auth.Write, // BASE: its studios; AGENCY: its hosts; HOST: itself, any ACTIVE base's studio
	sessionv1.SessionScheduler_UpdateSession_FullMethodName:      auth.Members | auth.Write, // the session's parties, and the new version as for create
	sessionv1.SessionScheduler_StartSession_FullMethodName:       auth.Members | auth.Write, // the session's parties: host, base, host's agency
	sessionv1.SessionScheduler_EndSession_FullMethodName:         auth.Members | auth.Write, // same
	sessionv1.SessionScheduler_CancelSession_FullMethodName:      auth.Members | auth.Write, // same
	sessionv1.SessionScheduler_GetSession_FullMethodName:         auth.Members | auth.Read,  // the alliance's schedule is public to its members
	sessionv1.SessionScheduler_BatchGetSessions_FullMethodName:   auth.Members | auth.Read,  // same
	sessionv1.SessionScheduler_ListSessions_FullMethodName:       auth.Members | auth.Read,  // same
	sessionv1.SessionScheduler_FindAvailableSlots_FullMethodName: auth.Members | auth.Read,  // same
	sessionv1.SessionScheduler_CountSessions_FullMethodName:      auth.Members | auth.Read,  // same
	sessionv1.SessionScheduler_ImportSessions_FullMethodName:     auth.AdminOnly | auth.Write,

	sessionv1.SessionScheduler_ApproveSession_FullMethodName:       auth.Members | auth.Write, // the studio's base
	sessionv1.SessionScheduler_DeclineSession_FullMethodName:       auth.Members | auth.Write, // same
	sessionv1.SessionScheduler_GetStudioPolicy_FullMethodName:      auth.Members | auth.Read,  // public to members: a booking must follow it
	sessionv1.SessionScheduler_UpdateStudioPolicy_FullMethodName:   auth.Members | auth.Write, // the studio's base
	sessionv1.SessionScheduler_CreateSessionSeries_FullMethodName:  auth.Members | auth.Write, // as CreateSession, for each occurrence
	sessionv1.SessionScheduler_GetSessionSeries_FullMethodName:     auth.Members | auth.Read,  // public to members
	sessionv1.SessionScheduler_CancelSessionSeries_FullMethodName:  auth.Members | auth.Write, // the series' parties, as CancelSession
	sessionv1.SessionScheduler_GetStudioUtilisation_FullMethodName: auth.Members | auth.Read,  // public to members
}

// withCaller hands the authenticated principal to the scheduler's rules
// (scheduling/authz.go). A context without a principal gets no caller,
// and the rules refuse it.
func withCaller(ctx context.Context) context.Context {
	p := auth.From(ctx)
	switch {
	case p.Kind == auth.Member:
		return scheduling.WithCaller(ctx, scheduling.Caller{Member: p.Member, Kind: p.MemberKind})
	case p.Trusted():
		return scheduling.WithCaller(ctx, scheduling.Caller{Trusted: true})
	}
	return ctx
}
