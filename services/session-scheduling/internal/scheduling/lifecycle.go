package scheduling

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/cqlive/alliance/services/kit/etag"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/fieldmask"
)

// sessionFields are what an update of a session may name (AIP-134 paths).
var sessionFields = fieldmask.Fields{
	Resource:   "session",
	Updatable:  []string{"title", "host", "studio", "merchants", "products", "platform", "platform_room_id", "start_time", "end_time"},
	OutputOnly: []string{"name", "state", "actual_start_time", "actual_end_time", "cancel_reason", "create_time", "update_time", "etag"},
}

// isSet says which fields of patch an update with an empty mask sets.
func (patch *Session) isSet(path string) bool {
	switch path {
	case "title":
		return patch.Title != ""
	case "host":
		return patch.Host != ""
	case "studio":
		return patch.Studio != ""
	case "merchants":
		return len(patch.Merchants) > 0
	case "products":
		return len(patch.Products) > 0
	case "platform":
		return patch.Platform != 0
	case "platform_room_id":
		return patch.PlatformRoomID != ""
	case "start_time":
		return !patch.Start.IsZero()
	case "end_time":
		return !patch.End.IsZero()
	}
	return false
}

func apply(s *Session, patch *Session, paths []string) {
	for _, p := range paths {
		switch p {
		case "title":
			s.Title = patch.Title
		case "host":
			s.Host = patch.Host
		case "studio":
			s.Studio = patch.Studio
		case "merchants":
			s.Merchants = patch.Merchants
		case "products":
			s.Products = patch.Products
		case "platform":
			s.Platform = patch.Platform
		case "platform_room_id":
			s.PlatformRoomID = patch.PlatformRoomID
		case "start_time":
			s.Start = patch.Start
		case "end_time":
			s.End = patch.End
		}
	}
}

// updateAttempts bounds the retries of an update that raced another write
// to the same session while it asked the registry.
const updateAttempts = 5

// UpdateSession changes a SCHEDULED session. Every booking rule is checked
// again, by the same functions CreateSession uses; a start time that is
// not being changed may lie in the past (the session may be running late).
func (svc *Service) UpdateSession(ctx context.Context, patch Session, mask []string, tag string) (*Session, error) {
	paths, err := sessionFields.Resolve(mask, patch.isSet)
	if err != nil {
		return nil, err
	}
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
		if cur.State != StateScheduled {
			return nil, fault.New(fault.FailedPrecondition, ReasonSessionNotScheduled,
				"%s is %s; only a SCHEDULED session can be changed", cur.Name(), cur.State).With("state", cur.State.String())
		}
		next := *cur
		apply(&next, &patch, paths)
		now := svc.stamp()
		var clock *time.Time
		if !next.Start.Equal(cur.Start) {
			clock = &now
		}
		if err := svc.rules.validate(&next, clock); err != nil {
			return nil, err
		}
		caller := callerOf(ctx)
		if err := mayBook(caller, &next, nil); err != nil {
			return nil, err
		}
		got, err := checkBooking(ctx, svc.dir, &next, true)
		if err != nil {
			return nil, err
		}
		host := got[next.Host]
		if err := mayBook(caller, &next, &host); err != nil {
			return nil, err
		}
		var out *Session
		raced := false
		err = svc.repo.Update(func(tx Tx) error {
			fresh, err := get(tx, cur.ID)
			if err != nil {
				return err
			}
			if fresh.Revision != cur.Revision {
				raced = true
				return nil
			}
			if err := svc.checkConflicts(tx, &next); err != nil {
				return err
			}
			next.UpdateTime = now
			next.Revision++
			out = &next
			return tx.PutSession(&next)
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

// StartSession moves a SCHEDULED session to LIVE. It may start from
// EarlyStart before its planned start, and only while its host and its
// base are still ACTIVE: either may have been suspended since the booking.
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
	return svc.transition(cur, tag, func(s *Session, now time.Time) error {
		if s.State != StateLive {
			return badTransition(s, StateEnded)
		}
		s.State, s.ActualEnd = StateEnded, now
		return nil
	})
}

const maxCancelReason = 1000

// CancelSession moves a SCHEDULED session to CANCELLED, freeing its slot.
func (svc *Service) CancelSession(ctx context.Context, id, reason, tag string) (*Session, error) {
	if utf8.RuneCountInString(reason) > maxCancelReason {
		return nil, fault.InvalidField("reason", "must be at most %d characters", maxCancelReason)
	}
	cur, err := svc.authorized(ctx, id)
	if err != nil {
		return nil, err
	}
	return svc.transition(cur, tag, func(s *Session, now time.Time) error {
		if s.State != StateScheduled {
			return badTransition(s, StateCancelled)
		}
		s.State, s.CancelReason = StateCancelled, reason
		return nil
	})
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

// transition changes the session cur names in one write transaction, as
// its stored version: the parties checked outside the transaction must
// still be the session's, and the caller's etag (tag), when given, current.
func (svc *Service) transition(cur *Session, tag string, change func(*Session, time.Time) error) (*Session, error) {
	var out *Session
	err := svc.repo.Update(func(tx Tx) error {
		s, err := get(tx, cur.ID)
		if err != nil {
			return err
		}
		if err := sameParties(cur, s); err != nil {
			return err
		}
		if err := etag.Check(tag, s.Revision, s.Name()); err != nil {
			return err
		}
		now := svc.stamp()
		if err := change(s, now); err != nil {
			return err
		}
		s.UpdateTime = now
		s.Revision++
		out = s
		return tx.PutSession(s)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
