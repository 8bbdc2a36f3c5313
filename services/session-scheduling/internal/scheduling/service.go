package scheduling

import (
	"context"
	"slices"
	"sync"
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
	// sweeping lets one Sweep run at a time.
	sweeping sync.Mutex
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

// CreateSession books s: SCHEDULED, or PENDING_APPROVAL when its
// studio's policy requires approval of the caller's bookings (see
// needsApproval). sessionID may be empty (the server makes one). A
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
	if first, err := sessionRequests.first(svc, requestID); err != nil || first != nil {
		return first, err
	}
	now := svc.stamp()
	if err := svc.rules.validate(&s, &now); err != nil {
		return nil, err
	}
	host, err := svc.bookable(ctx, caller, &s)
	if err != nil {
		return nil, err
	}
	s.Agency = host.Agency
	s.ActualStart, s.ActualEnd, s.CancelReason, s.DeclineReason, s.Series = time.Time{}, time.Time{}, "", "", ""
	return written(svc, func(w *work) (*Session, error) {
		// A twin request may have committed while this one asked the registry.
		if first, err := sessionRequests.made(w, requestID); err != nil || first != nil {
			return first, err
		}
		b := s
		b.ID = sessionID
		if b.ID == "" {
			b.ID = ids.New()
		}
		if err := w.book(&b, caller, now); err != nil {
			return nil, err
		}
		if err := sessionRequests.record(w, requestID, b.Name()); err != nil {
			return nil, err
		}
		return &b, nil
	})
}

// book writes the new session s, booked by caller at now, if every rule
// of the transaction admits it: the one step of CreateSession and of each
// occurrence of CreateSessionSeries.
func (w *work) book(s *Session, caller Caller, now time.Time) error {
	existing, err := w.tx.Session(s.ID)
	if err != nil {
		return err
	}
	if existing != nil {
		return fault.New(fault.AlreadyExists, ReasonSessionAlreadyExists, "session %q already exists", s.Name()).With("name", s.Name())
	}
	p, err := w.policy(s.Studio)
	if err != nil {
		return err
	}
	s.State = StateScheduled
	if needsApproval(caller, p) {
		s.State = StatePendingApproval
	}
	if err := w.admit(s, admission{policy: true, bookedAt: now}); err != nil {
		return err
	}
	s.Asked, s.CreateTime, s.UpdateTime, s.Revision = now, now, now, 1
	return w.put(s)
}

// GetSession returns the session with the given id, as it stands.
func (svc *Service) GetSession(id string) (*Session, error) {
	return readValue(svc, func(w *work) (*Session, error) { return w.get(id) })
}

// BatchGetSessions returns the sessions in the order asked; one unknown id
// fails the whole call with NOT_FOUND naming it.
func (svc *Service) BatchGetSessions(idList []string) ([]*Session, error) {
	var out []*Session
	err := svc.read(func(w *work) (err error) {
		out, err = ids.Get(idList, w.get)
		return err
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
	err := svc.read(func(w *work) error {
		out, next = nil, Cursor{}
		return w.sessions(q, func(s *Session) bool {
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

// CountSessions counts the sessions f selects, once every due lapse is
// stored. Only ENDED sessions count as held: a no-show never does.
func (svc *Service) CountSessions(f CountFilter) (int64, error) {
	if f.State < StateUnspecified || f.State > LastState {
		return 0, fault.InvalidField("state", "unknown state %d", f.State)
	}
	if err := svc.catchUp(); err != nil {
		return 0, err
	}
	var n int64
	err := svc.repo.View(func(tx Tx) error {
		var err error
		n, err = tx.Count(f)
		return err
	})
	return n, err
}
