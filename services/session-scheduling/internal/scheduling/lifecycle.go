package scheduling

import (
	"context"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/cqlive/alliance/services/kit/etag"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/fieldmask"
)

// sessionUpdate is what an update of a session may name (AIP-134 paths),
// and how each field is set.
var sessionUpdate = fieldmask.Update[Session]{
	Resource: "session",
	Fields: []fieldmask.Field[Session]{
		fieldmask.Value("title", func(s *Session) *string { return &s.Title }),
		fieldmask.Value("host", func(s *Session) *string { return &s.Host }),
		fieldmask.Value("studio", func(s *Session) *string { return &s.Studio }),
		fieldmask.List("merchants", func(s *Session) *[]string { return &s.Merchants }),
		fieldmask.List("products", func(s *Session) *[]string { return &s.Products }),
		fieldmask.Value("platform", func(s *Session) *Platform { return &s.Platform }),
		fieldmask.Value("platform_room_id", func(s *Session) *string { return &s.PlatformRoomID }),
		fieldmask.Time("start_time", func(s *Session) *time.Time { return &s.Start }),
		fieldmask.Time("end_time", func(s *Session) *time.Time { return &s.End }),
	},
	OutputOnly: []string{"name", "state", "actual_start_time", "actual_end_time", "cancel_reason", "decline_reason", "series", "create_time", "update_time", "etag"},
}

// updateAttempts bounds the retries of an update that raced another write
// to the same session while it asked the registry.
const updateAttempts = 5

// UpdateSession changes a SCHEDULED or PENDING_APPROVAL session (a
// request stays a request). Every booking rule is checked again, by the
// same functions CreateSession uses; a start time that is not being
// changed may lie in the past (the session may be running late), and the
// studio's rules of time and its quotas apply only when the host, the
// studio or the times change. A host or an agency cannot move a booked
// session of a studio that requires approval: that would skip the base's
// approval (APPROVAL_REQUIRED); it cancels and books anew instead.
func (svc *Service) UpdateSession(ctx context.Context, patch Session, mask []string, tag string) (*Session, error) {
	paths, err := sessionUpdate.Resolve(mask, &patch)
	if err != nil {
		return nil, err
	}
	caller := callerOf(ctx)
	for range updateAttempts {
		cur, err := svc.GetSession(patch.ID)
		if err != nil {
			return nil, err
		}
		if err := svc.mayChange(ctx, cur, nil); err != nil {
			return nil, err
		}
		if err := etag.Check(tag, cur.Revision, cur.Name()); err != nil {
			return nil, err
		}
		if err := changeable(cur); err != nil {
			return nil, err
		}
		next := *cur
		if err := sessionUpdate.Apply(&next, &patch, paths); err != nil {
			return nil, err
		}
		now := svc.stamp()
		var clock *time.Time
		if !next.Start.Equal(cur.Start) {
			clock = &now
		}
		if err := svc.rules.validate(&next, clock); err != nil {
			return nil, err
		}
		if err := mayBook(caller, &next, nil); err != nil {
			return nil, err
		}
		host, err := svc.bookable(ctx, caller, &next)
		if err != nil {
			return nil, err
		}
		moved := next.Host != cur.Host || next.Studio != cur.Studio || !next.Start.Equal(cur.Start) || !next.End.Equal(cur.End)
		if next.Host != cur.Host {
			next.Agency = host.Agency
		}
		var out *Session
		raced := false
		err = svc.write(func(w *work) error {
			fresh, err := w.get(cur.ID)
			if err != nil {
				return err
			}
			if fresh.Revision != cur.Revision {
				raced = true
				return nil
			}
			if moved && fresh.State == StateScheduled {
				p, err := w.policy(next.Studio)
				if err != nil {
					return err
				}
				if needsApproval(caller, p) {
					return fault.New(fault.FailedPrecondition, ReasonApprovalRequired,
						"%s's base approves every booking of its hosts and agencies; to move %s, cancel it and book the new slot, which waits for approval, or ask the base",
						next.Studio, cur.Name()).With("studio", next.Studio)
				}
			}
			if err := w.admit(&next, admission{policy: moved, bookedAt: now}); err != nil {
				return err
			}
			if moved {
				next.Asked = now
			}
			next.UpdateTime = now
			next.Revision++
			out = &next
			return w.put(&next)
		})
		if err != nil {
			return nil, err
		}
		if !raced {
			return out, nil
		}
	}
	return nil, fault.New(fault.Aborted, fault.ReasonETagMismatch, "%s kept changing during the update; read it again and retry", SessionName(patch.ID))
}

// changeable: only a SCHEDULED session or a request is updated.
func changeable(s *Session) error {
	if s.State != StateScheduled && s.State != StatePendingApproval {
		return fault.New(fault.FailedPrecondition, ReasonSessionNotScheduled,
			"%s is %s; only a SCHEDULED or PENDING_APPROVAL session can be changed", s.Name(), s.State).With("state", s.State.String())
	}
	return nil
}

// StartSession moves a SCHEDULED session to LIVE. It may start from
// EarlyStart before its planned start until its studio's no-show grace
// has passed (then it is NO_SHOW), and only while its host and its base
// are still ACTIVE: either may have been suspended since the booking.
func (svc *Service) StartSession(ctx context.Context, id, tag string) (*Session, error) {
	cur, err := svc.GetSession(id)
	if err != nil {
		return nil, err
	}
	base := cur.Base()
	got, err := fetch(ctx, svc.dir, []string{cur.Host, base}, cur, base)
	if err != nil {
		return nil, err
	}
	host := got[cur.Host]
	if err := svc.mayChange(ctx, cur, &host); err != nil {
		return nil, err
	}
	if err := etag.Check(tag, cur.Revision, cur.Name()); err != nil {
		return nil, err
	}
	if err := startable(cur, svc.stamp()); err != nil {
		return nil, err
	}
	if err := checkHost(host, true); err != nil {
		return nil, err
	}
	if err := checkStudio(got[base], cur.Studio, true); err != nil {
		return nil, err
	}
	return svc.transition(cur, tag, func(s *Session, now time.Time) error {
		if err := startable(s, now); err != nil {
			return err
		}
		s.State, s.ActualStart = StateLive, now
		return nil
	})
}

func startable(s *Session, now time.Time) error {
	if s.State == StatePendingApproval {
		return fault.New(fault.FailedPrecondition, ReasonApprovalRequired,
			"%s waits for the approval of %s's base; it can start once approved", s.Name(), s.Studio).With("state", s.State.String())
	}
	if s.State != StateScheduled {
		return badTransition(s, StateLive)
	}
	if earliest := s.Start.Add(-EarlyStart); now.Before(earliest) {
		return fault.New(fault.FailedPrecondition, ReasonTooEarlyToStart,
			"%s may start from %s, %s before its start time", s.Name(), earliest.Format(time.RFC3339), EarlyStart).
			With("earliest_start_time", earliest.Format(time.RFC3339))
	}
	return nil
}

// EndSession moves a LIVE session to ENDED.
func (svc *Service) EndSession(ctx context.Context, id, tag string) (*Session, error) {
	cur, err := svc.authorized(ctx, id)
	if err != nil {
		return nil, err
	}
	return svc.transition(cur, tag, move(StateEnded, []State{StateLive}, func(s *Session, now time.Time) { s.ActualEnd = now }))
}

const maxCancelReason = 1000

// checkReason bounds the reason of a cancellation or a refusal.
func checkReason(reason string) error {
	if utf8.RuneCountInString(reason) > maxCancelReason {
		return fault.InvalidField("reason", "must be at most %d characters", maxCancelReason)
	}
	return nil
}

// CancelSession moves a SCHEDULED session, or a request, to CANCELLED,
// freeing its slot.
func (svc *Service) CancelSession(ctx context.Context, id, reason, tag string) (*Session, error) {
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	cur, err := svc.authorized(ctx, id)
	if err != nil {
		return nil, err
	}
	return svc.transition(cur, tag, move(StateCancelled, []State{StateScheduled, StatePendingApproval},
		func(s *Session, _ time.Time) { s.CancelReason = reason }))
}

// ApproveSession moves a request to SCHEDULED, by its studio's base or
// the alliance's staff. The member rules are asked of the registry again,
// and every rule of the transaction (the studio's policy as it is now,
// no double booking against confirmed sessions, the quotas) is checked in
// the transaction that approves: of two racing approvals of requests that
// the rules of today let only one of hold, one wins. The notice and
// advance are those of the request, measured from when its slot was
// asked for (Asked).
func (svc *Service) ApproveSession(ctx context.Context, id, tag string) (*Session, error) {
	cur, err := svc.GetSession(id)
	if err != nil {
		return nil, err
	}
	if err := mayApprove(callerOf(ctx), cur); err != nil {
		return nil, err
	}
	if err := etag.Check(tag, cur.Revision, cur.Name()); err != nil {
		return nil, err
	}
	if cur.State != StatePendingApproval {
		return nil, badTransition(cur, StateScheduled)
	}
	if _, err := checkBooking(ctx, svc.dir, cur, true); err != nil {
		return nil, err
	}
	return written(svc, func(w *work) (*Session, error) {
		s, err := w.toChange(cur, tag)
		if err != nil {
			return nil, err
		}
		if s.State != StatePendingApproval {
			return nil, badTransition(s, StateScheduled)
		}
		next := *s
		next.State = StateScheduled
		asked := s.Asked
		if asked.IsZero() {
			asked = s.UpdateTime // not recorded: the last change is the latest it can have been
		}
		if err := w.admit(&next, admission{approving: true, policy: true, bookedAt: asked}); err != nil {
			return nil, err
		}
		next.UpdateTime = w.now
		next.Revision++
		return &next, w.put(&next)
	})
}

// DeclineSession moves a request to DECLINED, by its studio's base or
// the alliance's staff, freeing its slot.
func (svc *Service) DeclineSession(ctx context.Context, id, reason, tag string) (*Session, error) {
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	cur, err := svc.GetSession(id)
	if err != nil {
		return nil, err
	}
	if err := mayApprove(callerOf(ctx), cur); err != nil {
		return nil, err
	}
	return svc.transition(cur, tag, move(StateDeclined, []State{StatePendingApproval},
		func(s *Session, _ time.Time) { s.DeclineReason = reason }))
}

// authorized reads the session and checks that the caller is one of its
// parties. The registry may be asked (an agency's claim), so this runs
// before the write transaction, and the transition checks with
// sameParties that the session still has the parties that were checked.
func (svc *Service) authorized(ctx context.Context, id string) (*Session, error) {
	cur, err := svc.GetSession(id)
	if err != nil {
		return nil, err
	}
	return cur, svc.mayChange(ctx, cur, nil)
}

// sameParties refuses a transition of a session whose host or studio an
// update changed after its parties were checked.
func sameParties(checked, now *Session) error {
	if checked.Host != now.Host || checked.Studio != now.Studio {
		return fault.New(fault.Aborted, fault.ReasonETagMismatch,
			"%s changed while this call checked it; read it again and retry", now.Name())
	}
	return nil
}

// toChange is the session cur names as this transaction sees it, for a
// change: the parties checked outside the transaction must still be the
// session's, and the caller's etag (tag), when given, current.
func (w *work) toChange(cur *Session, tag string) (*Session, error) {
	s, err := w.get(cur.ID)
	if err != nil {
		return nil, err
	}
	if err := sameParties(cur, s); err != nil {
		return nil, err
	}
	if err := etag.Check(tag, s.Revision, s.Name()); err != nil {
		return nil, err
	}
	return s, nil
}

// move is the change of a transition to state to, which only a session
// in one of the states from may take; set records the rest of it (a
// time, a reason).
func move(to State, from []State, set func(s *Session, now time.Time)) func(*Session, time.Time) error {
	return func(s *Session, now time.Time) error {
		if !slices.Contains(from, s.State) {
			return badTransition(s, to)
		}
		s.State = to
		set(s, now)
		return nil
	}
}

// transition changes the session cur names in one write transaction, as
// it stands there: the parties checked outside the transaction must still
// be the session's, and the caller's etag (tag), when given, current. A
// session that lapsed meanwhile is what change sees, and refuses.
func (svc *Service) transition(cur *Session, tag string, change func(*Session, time.Time) error) (*Session, error) {
	return written(svc, func(w *work) (*Session, error) {
		got, err := w.toChange(cur, tag)
		if err != nil {
			return nil, err
		}
		s := *got
		if err := change(&s, w.now); err != nil {
			return nil, err
		}
		s.UpdateTime = w.now
		s.Revision++
		return &s, w.put(&s)
	})
}
