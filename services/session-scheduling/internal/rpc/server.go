// Package rpc is the gRPC face of the session scheduler: it checks the
// shape of each request, calls the scheduling service, and maps the answer
// and any fault.
package rpc

import (
	"context"
	"fmt"
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/ids"
	"github.com/cqlive/alliance/services/kit/page"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
)

// Server implements sessionv1.SessionSchedulerServer.
type Server struct {
	sessionv1.UnsafeSessionSchedulerServer
	svc    *scheduling.Service
	tokens *page.Codec
	// Meters count each booking's outcome; set before serving (app).
	Meters Meters
}

// New returns the adapter over svc; tokens signs page tokens.
func New(svc *scheduling.Service, tokens *page.Codec) *Server {
	return &Server{svc: svc, tokens: tokens}
}

func fail(ctx context.Context, err error) error { return grpcx.Status(ctx, scheduling.Domain, err) }

func sessionID(field, name string) (string, error) {
	return ids.Named(field, name, "session name sessions/{session}", scheduling.ParseSessionName)
}

func (s *Server) CreateSession(ctx context.Context, req *sessionv1.CreateSessionRequest) (*sessionv1.Session, error) {
	out, err := s.createSession(ctx, req)
	s.Meters.booking(sourceCreate, err)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return sessionToProto(out), nil
}

func (s *Server) createSession(ctx context.Context, req *sessionv1.CreateSessionRequest) (*scheduling.Session, error) {
	if req.GetSession() == nil {
		return nil, fault.InvalidField("session", "is required")
	}
	in, err := sessionFromProto(req.GetSession())
	if err != nil {
		return nil, err
	}
	return s.svc.CreateSession(withCaller(ctx), in, req.GetSessionId(), req.GetRequestId())
}

func (s *Server) GetSession(ctx context.Context, req *sessionv1.GetSessionRequest) (*sessionv1.Session, error) {
	return s.onSession(ctx, req.GetName(), func(_ context.Context, id string) (*scheduling.Session, error) {
		return s.svc.GetSession(id)
	})
}

func (s *Server) BatchGetSessions(ctx context.Context, req *sessionv1.BatchGetSessionsRequest) (*sessionv1.BatchGetSessionsResponse, error) {
	idList, err := ids.Batch(req.GetNames(), sessionID)
	if err != nil {
		return nil, fail(ctx, err)
	}
	list, err := s.svc.BatchGetSessions(idList)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return &sessionv1.BatchGetSessionsResponse{Sessions: sessionsToProto(list)}, nil
}

func (s *Server) ListSessions(ctx context.Context, req *sessionv1.ListSessionsRequest) (*sessionv1.ListSessionsResponse, error) {
	size, err := page.Size(req.GetPageSize())
	if err != nil {
		return nil, fail(ctx, err)
	}
	var v fault.Invalid
	for field, name := range map[string]string{"host": req.GetHost(), "base": req.GetBase(), "merchant": req.GetMerchant()} {
		if name != "" && !scheduling.ValidMemberName(name) {
			v.Add(field, "must be a member name members/{member}, got %q", name)
		}
	}
	if req.GetStudio() != "" {
		if _, _, ok := scheduling.ParseStudioName(req.GetStudio()); !ok {
			v.Add("studio", "must be a studio name members/{base}/studios/{studio}, got %q", req.GetStudio())
		}
	}
	f := scheduling.ListFilter{
		Host: req.GetHost(), Base: req.GetBase(), Studio: req.GetStudio(), Merchant: req.GetMerchant(),
		State:     scheduling.State(req.GetState()),
		Platform:  scheduling.Platform(req.GetPlatform()),
		StartFrom: protoconv.Time(&v, "start_after", req.GetStartAfter()),
		StartTo:   protoconv.Time(&v, "start_before", req.GetStartBefore()),
	}
	if err := v.Err(); err != nil {
		return nil, fail(ctx, err)
	}
	query := listQuery(f)
	raw, err := s.tokens.Decode(req.GetPageToken(), query)
	if err != nil {
		return nil, fail(ctx, err)
	}
	after, err := decodeCursor(raw)
	if err != nil {
		return nil, fail(ctx, err)
	}
	list, next, err := s.svc.ListSessions(f, after, size)
	if err != nil {
		return nil, fail(ctx, err)
	}
	out := &sessionv1.ListSessionsResponse{Sessions: sessionsToProto(list)}
	if !next.IsZero() {
		out.NextPageToken = s.tokens.Encode(query, encodeCursor(next))
	}
	return out, nil
}

func (s *Server) UpdateSession(ctx context.Context, req *sessionv1.UpdateSessionRequest) (*sessionv1.Session, error) {
	id, err := sessionID("session.name", req.GetSession().GetName())
	if err != nil {
		return nil, fail(ctx, err)
	}
	patch, err := sessionFromProto(req.GetSession())
	if err != nil {
		return nil, fail(ctx, err)
	}
	patch.ID = id
	out, err := s.svc.UpdateSession(withCaller(ctx), patch, req.GetUpdateMask().GetPaths(), req.GetSession().GetEtag())
	if err != nil {
		return nil, fail(ctx, err)
	}
	return sessionToProto(out), nil
}

func (s *Server) StartSession(ctx context.Context, req *sessionv1.StartSessionRequest) (*sessionv1.Session, error) {
	return s.onSession(ctx, req.GetName(), func(ctx context.Context, id string) (*scheduling.Session, error) {
		return s.svc.StartSession(ctx, id, req.GetEtag())
	})
}

func (s *Server) EndSession(ctx context.Context, req *sessionv1.EndSessionRequest) (*sessionv1.Session, error) {
	return s.onSession(ctx, req.GetName(), func(ctx context.Context, id string) (*scheduling.Session, error) {
		return s.svc.EndSession(ctx, id, req.GetEtag())
	})
}

func (s *Server) CancelSession(ctx context.Context, req *sessionv1.CancelSessionRequest) (*sessionv1.Session, error) {
	return s.onSession(ctx, req.GetName(), func(ctx context.Context, id string) (*scheduling.Session, error) {
		return s.svc.CancelSession(ctx, id, req.GetReason(), req.GetEtag())
	})
}

func (s *Server) ApproveSession(ctx context.Context, req *sessionv1.ApproveSessionRequest) (*sessionv1.Session, error) {
	return s.onSession(ctx, req.GetName(), func(ctx context.Context, id string) (*scheduling.Session, error) {
		return s.svc.ApproveSession(ctx, id, req.GetEtag())
	})
}

func (s *Server) DeclineSession(ctx context.Context, req *sessionv1.DeclineSessionRequest) (*sessionv1.Session, error) {
	return s.onSession(ctx, req.GetName(), func(ctx context.Context, id string) (*scheduling.Session, error) {
		return s.svc.DeclineSession(ctx, id, req.GetReason(), req.GetEtag())
	})
}

// onSession serves a call on the session that name, the request's name
// field, names: do's answer for its id (with the caller in ctx), as the
// API spells a session.
func (s *Server) onSession(ctx context.Context, name string, do func(ctx context.Context, id string) (*scheduling.Session, error)) (*sessionv1.Session, error) {
	id, err := sessionID("name", name)
	if err != nil {
		return nil, fail(ctx, err)
	}
	out, err := do(withCaller(ctx), id)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return sessionToProto(out), nil
}

func (s *Server) FindAvailableSlots(ctx context.Context, req *sessionv1.FindAvailableSlotsRequest) (*sessionv1.FindAvailableSlotsResponse, error) {
	size, err := page.Size(req.GetPageSize())
	if err != nil {
		return nil, fail(ctx, err)
	}
	var v fault.Invalid
	q := scheduling.SlotQuery{
		Studio: req.GetStudio(), Base: req.GetBase(), Host: req.GetHost(),
		From:     protoconv.Time(&v, "window_start", req.GetWindowStart()),
		To:       protoconv.Time(&v, "window_end", req.GetWindowEnd()),
		Duration: protoconv.Duration(&v, "duration", req.GetDuration()),
		Step:     protoconv.Duration(&v, "step", req.GetStep()),
		Limit:    size,
	}
	if err := v.Err(); err != nil {
		return nil, fail(ctx, err)
	}
	slots, err := s.svc.FindAvailableSlots(withCaller(ctx), q)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return &sessionv1.FindAvailableSlotsResponse{Slots: protoconv.List(slots, slotToProto)}, nil
}

func (s *Server) CountSessions(ctx context.Context, req *sessionv1.CountSessionsRequest) (*sessionv1.CountSessionsResponse, error) {
	var v fault.Invalid
	f := scheduling.CountFilter{
		State:     scheduling.State(req.GetState()),
		StartFrom: protoconv.Time(&v, "start_after", req.GetStartAfter()),
		StartTo:   protoconv.Time(&v, "start_before", req.GetStartBefore()),
		EndFrom:   protoconv.Time(&v, "ended_after", req.GetEndedAfter()),
		EndTo:     protoconv.Time(&v, "ended_before", req.GetEndedBefore()),
	}
	if err := v.Err(); err != nil {
		return nil, fail(ctx, err)
	}
	n, err := s.svc.CountSessions(f)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return &sessionv1.CountSessionsResponse{Count: n}, nil
}

// listQuery is the fingerprint of a ListSessions query that its page
// tokens are bound to. "v2" is the cursor encoding (kit/timekey): a token
// minted with the Unix-nanosecond cursor of schema 1 no longer matches.
func listQuery(f scheduling.ListFilter) string {
	return fmt.Sprintf("sessions.v2|%s|%s|%s|%s|%d|%d|%s|%s", f.Host, f.Base, f.Studio, f.Merchant, f.State, f.Platform,
		f.StartFrom.Format(time.RFC3339Nano), f.StartTo.Format(time.RFC3339Nano))
}
