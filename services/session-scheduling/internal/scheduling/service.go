package scheduling

import (
	"context"
	"slices"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/ids"
)

// Service applies the scheduler's rules over a Repo and the member registry.
type Service struct {
	repo  Repo
	dir   Directory
	rules Rules
	now   func() time.Time
}

// NewService returns a service over repo, asking dir about members; now
// is the clock (time.Now in production).
func NewService(repo Repo, dir Directory, rules Rules, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{repo: repo, dir: dir, rules: rules, now: now}
}

// Rules returns the limits the service books by.
func (svc *Service) Rules() Rules { return svc.rules }

func (svc *Service) stamp() time.Time { return svc.now().UTC().Truncate(time.Microsecond) }

const maxRequestID = 128

// CreateSession books s. sessionID may be empty (the server makes one). A
// repeated requestID returns the session the first request made.
func (svc *Service) CreateSession(ctx context.Context, s Session, sessionID, requestID string) (*Session, error) {
	var v fault.Invalid
	if sessionID != "" && !ids.Valid(sessionID) {
		v.Add("session_id", "must be 1-63 lowercase letters, digits or hyphens, starting with a letter; got %q", sessionID)
	}
	if len(requestID) > maxRequestID {
		v.Add("request_id", "must be at most %d characters", maxRequestID)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	caller := callerOf(ctx)
	if err := mayBook(caller, &s, nil); err != nil {
		return nil, err
	}
	if requestID != "" {
		var first *Session
		if err := svc.repo.View(func(tx Tx) error {
			var err error
			first, err = repeated(tx, requestID)
			return err
		}); err != nil || first != nil {
			return first, err
		}
	}
	now := svc.stamp()
	if err := svc.rules.validate(&s, &now); err != nil {
		return nil, err
	}
	got, err := checkBooking(ctx, svc.dir, &s, true)
	if err != nil {
		return nil, err
	}
	host := got[s.Host]
	if err := mayBook(caller, &s, &host); err != nil {
		return nil, err
	}
	s.State = StateScheduled
	var out *Session
	err = svc.repo.Update(func(tx Tx) error {
		if requestID != "" {
			// A twin request may have committed while this one asked the registry.
			first, err := repeated(tx, requestID)
			if err != nil || first != nil {
				out = first
				return err
			}
		}
		s.ID = sessionID
		if s.ID == "" {
			s.ID = ids.New()
		}
		existing, err := tx.Session(s.ID)
		if err != nil {
			return err
		}
		if existing != nil {
			return fault.New(fault.AlreadyExists, ReasonSessionAlreadyExists, "session %q already exists", s.Name()).With("name", s.Name())
		}
		if err := svc.checkConflicts(tx, &s); err != nil {
			return err
		}
		s.ActualStart, s.ActualEnd, s.CancelReason = time.Time{}, time.Time{}, ""
		s.CreateTime, s.UpdateTime, s.Revision = now, now, 1
		if err := tx.PutSession(&s); err != nil {
			return err
		}
		if requestID != "" {
			if err := tx.PutRequest("session/"+requestID, s.Name()); err != nil {
				return err
			}
		}
		out = &s
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func repeated(tx Tx, requestID string) (*Session, error) {
	name, err := tx.Request("session/" + requestID)
	if err != nil || name == "" {
		return nil, err
	}
	return tx.Session(ParseSessionName(name))
}

// checkConflicts is rule 5. It reads only the neighbours of s in the
// studio's and the host's start-time indexes: a session that can clash with
// s starts at most `longest` (+ buffer) before s starts, and before s ends
// (+ buffer). It must run in the transaction that writes s.
func (svc *Service) checkConflicts(tx Tx, s *Session) error {
	longest, err := tx.Longest()
	if err != nil {
		return err
	}
	buffer := svc.rules.ChangeoverBuffer
	var hit *Session
	var kind Conflict
	visit := func(o *Session) bool {
		if c := Clash(s, o, buffer); c != NoConflict {
			hit, kind = o, c
			return false
		}
		return true
	}
	if err := tx.Sessions(Scan{Studio: s.Studio, From: s.Start.Add(-buffer - longest), To: s.End.Add(buffer)}, visit); err != nil {
		return err
	}
	if hit == nil {
		if err := tx.Sessions(Scan{Host: s.Host, From: s.Start.Add(-longest), To: s.End}, visit); err != nil {
			return err
		}
	}
	if hit != nil {
		return conflictError(kind, s, hit, buffer)
	}
	return nil
}

// GetSession returns the session with the given id.
func (svc *Service) GetSession(id string) (*Session, error) {
	var out *Session
	err := svc.repo.View(func(tx Tx) error {
		var err error
		out, err = get(tx, id)
		return err
	})
	return out, err
}

func get(tx Tx, id string) (*Session, error) {
	s, err := tx.Session(id)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, notFound(id)
	}
	return s, nil
}

// BatchGetSessions returns the sessions in the order asked; one unknown id
// fails the whole call with NOT_FOUND naming it.
func (svc *Service) BatchGetSessions(idList []string) ([]*Session, error) {
	out := make([]*Session, 0, len(idList))
	err := svc.repo.View(func(tx Tx) error {
		for _, id := range idList {
			s, err := get(tx, id)
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// ListFilter keeps sessions whose fields equal the set ones.
type ListFilter struct {
	Host, Base, Studio, Merchant string
	State                        State
	Platform                     Platform
	// start_time in [StartFrom, StartTo); zero bounds are open.
	StartFrom, StartTo time.Time
}

func (f ListFilter) match(s *Session) bool {
	return (f.Host == "" || s.Host == f.Host) &&
		(f.Studio == "" || s.Studio == f.Studio) &&
		(f.Base == "" || s.Base() == f.Base) &&
		(f.Merchant == "" || slices.Contains(s.Merchants, f.Merchant)) &&
		(f.State == StateUnspecified || s.State == f.State) &&
		(f.Platform == 0 || s.Platform == f.Platform)
}

// ListSessions returns up to limit sessions matching f in (start_time, id)
// order after the cursor, and the cursor of the next page (zero when none).
func (svc *Service) ListSessions(f ListFilter, after Cursor, limit int) ([]*Session, Cursor, error) {
	var out []*Session
	var next Cursor
	// The studio's or host's index holds only that studio's or host's
	// sessions; anything else walks every session in the time range.
	q := Scan{From: f.StartFrom, To: f.StartTo, After: after}
	switch {
	case f.Studio != "":
		q.Studio = f.Studio
	case f.Host != "":
		q.Host = f.Host
	}
	err := svc.repo.View(func(tx Tx) error {
		return tx.Sessions(q, func(s *Session) bool {
			if !f.match(s) {
				return true
			}
			if len(out) == limit {
				last := out[len(out)-1]
				next = Cursor{Start: last.Start, ID: last.ID}
				return false
			}
			out = append(out, s)
			return true
		})
	})
	return out, next, err
}

// CountSessions counts the sessions f selects.
func (svc *Service) CountSessions(f CountFilter) (int64, error) {
	if f.State < StateUnspecified || f.State > StateCancelled {
		return 0, fault.InvalidField("state", "unknown state %d", f.State)
	}
	var n int64
	err := svc.repo.View(func(tx Tx) error {
		var err error
		n, err = tx.Count(f)
		return err
	})
	return n, err
}
