package scheduling

import (
	"maps"
	"slices"
	"time"
)

// A SCHEDULED session that has not gone LIVE by its start plus its
// studio's no-show grace is NO_SHOW, and a request still PENDING_APPROVAL
// at its start is DECLINED: both free the slot. The service makes these
// moves itself, and makes each one the same whoever makes it and
// whenever: a session lapses at the instant it became due (its
// update_time), with one more revision, and only from the state it lapsed
// from, in the write transaction that stores it. So a sweep that a crash
// cut short, a sweep after a restart, a read and a booking that meet the
// same session all agree, and none moves it twice.
//
// Who makes them: Sweep, on a timer (app) and when the service starts;
// every read, which presents a due session as it stands and then stores
// it (read); every write of the rules, which does the same with the
// sessions it meets in the transaction (write); and the counts, which read
// counters and so first sweep what is due (catchUp).

// autoDeclineReason is the decline_reason of a request nobody approved in time.
const autoDeclineReason = "not approved before its start time"

// lapse is s as it stands at now when it is due to lapse (NO_SHOW or
// DECLINED), or nil.
func lapse(s *Session, grace time.Duration, now time.Time) *Session {
	var at time.Time
	var to State
	switch s.State {
	case StateScheduled:
		at, to = s.Start.Add(grace), StateNoShow
	case StatePendingApproval:
		at, to = s.Start, StateDeclined
	default:
		return nil
	}
	if now.Before(at) {
		return nil
	}
	c := *s
	c.State = to
	if to == StateDeclined {
		c.DeclineReason = autoDeclineReason
	}
	if at.Before(s.UpdateTime) {
		at = s.UpdateTime // a policy's grace shortened since the last change
	}
	c.UpdateTime = at.UTC().Truncate(time.Microsecond)
	c.Revision++
	return &c
}

// work is one transaction of the rules: the transaction, the time it
// judges by, the policies it has read, and the sessions it found due.
type work struct {
	svc      *Service
	tx       Tx
	now      time.Time
	policies map[string]*Policy
	due      map[string]*Session // id -> the session as it stands (lapsed)
}

func (svc *Service) newWork(tx Tx, now time.Time) *work {
	return &work{svc: svc, tx: tx, now: now, policies: map[string]*Policy{}, due: map[string]*Session{}}
}

// policy is the studio's policy (the default one when it never had one).
func (w *work) policy(studio string) (*Policy, error) {
	if p, ok := w.policies[studio]; ok {
		return p, nil
	}
	p, err := w.tx.Policy(studio)
	if err != nil {
		return nil, err
	}
	if p == nil {
		p = &Policy{Studio: studio}
	}
	w.policies[studio] = p
	return p, nil
}

// current is s as it stands at w.now: lapsed if it is due (remembered, so
// that settle stores it), else s itself.
func (w *work) current(s *Session) (*Session, error) {
	if s == nil {
		return nil, nil
	}
	if d, ok := w.due[s.ID]; ok {
		return d, nil
	}
	if s.State != StateScheduled && s.State != StatePendingApproval {
		return s, nil
	}
	p, err := w.policy(s.Studio)
	if err != nil {
		return nil, err
	}
	if l := lapse(s, p.grace(), w.now); l != nil {
		w.due[s.ID] = l
		return l, nil
	}
	return s, nil
}

// session reads a session as it stands; nil when there is none.
func (w *work) session(id string) (*Session, error) {
	s, err := w.tx.Session(id)
	if err != nil {
		return nil, err
	}
	return w.current(s)
}

// get is session, NOT_FOUND when there is none.
func (w *work) get(id string) (*Session, error) {
	s, err := w.session(id)
	if err == nil && s == nil {
		err = notFound(id)
	}
	return s, err
}

// sessions walks q as Tx.Sessions does, each session as it stands.
func (w *work) sessions(q Scan, fn func(*Session) bool) error {
	var inner error
	err := w.tx.Sessions(q, func(s *Session) bool {
		c, err := w.current(s)
		if err != nil {
			inner = err
			return false
		}
		return fn(c)
	})
	if err != nil {
		return err
	}
	return inner
}

// put writes s; a write of the rules replaces whatever lapse was found.
func (w *work) put(s *Session) error {
	delete(w.due, s.ID)
	return w.tx.PutSession(s)
}

// settle stores the sessions found due. The scans that found them are
// over: a bbolt cursor must not walk a bucket that is being written.
func (w *work) settle() error {
	for _, id := range slices.Sorted(maps.Keys(w.due)) {
		if err := w.tx.PutSession(w.due[id]); err != nil {
			return err
		}
	}
	clear(w.due)
	return nil
}

// write runs fn in a write transaction and stores the due sessions it met.
func (svc *Service) write(fn func(*work) error) error {
	now := svc.stamp()
	return svc.repo.Update(func(tx Tx) error {
		w := svc.newWork(tx, now)
		if err := fn(w); err != nil {
			return err
		}
		return w.settle()
	})
}

// written runs fn in one write transaction (write) and returns what fn
// made once that is committed; nothing when it is not.
func written[T any](svc *Service, fn func(*work) (T, error)) (T, error) {
	var out T
	err := svc.write(func(w *work) error {
		v, err := fn(w)
		out = v
		return err
	})
	if err != nil {
		var none T
		return none, err
	}
	return out, nil
}

// readValue runs fn in read and returns what its last run made.
func readValue[T any](svc *Service, fn func(*work) (T, error)) (T, error) {
	var out T
	err := svc.read(func(w *work) error {
		var err error
		out, err = fn(w)
		return err
	})
	return out, err
}

// read runs fn in a read transaction. When fn met due sessions it stores
// them and runs fn again, so that the answer is what is stored (fn must
// start afresh each time).
func (svc *Service) read(fn func(*work) error) error {
	for attempt := 0; ; attempt++ {
		var due []string
		err := svc.repo.View(func(tx Tx) error {
			w := svc.newWork(tx, svc.stamp())
			if err := fn(w); err != nil {
				return err
			}
			due = slices.Collect(maps.Keys(w.due))
			return nil
		})
		if err != nil || len(due) == 0 || attempt == 1 {
			return err
		}
		if err := svc.settle(due); err != nil {
			return err
		}
	}
}

// settle stores the lapse of the sessions ids that are due.
func (svc *Service) settle(ids []string) error {
	return svc.write(func(w *work) error {
		for _, id := range ids {
			if _, err := w.session(id); err != nil {
				return err
			}
		}
		return nil
	})
}

// sweepBatch is how many lapses one write transaction (one fsync) stores.
const sweepBatch = 256

// Sweep stores every lapse that is due, step after step, and returns how
// many it stored.
func (svc *Service) Sweep() (int, error) {
	total := 0
	for {
		n, more, err := svc.SweepStep()
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

// SweepStep stores at most sweepBatch lapses that are due, in one write
// transaction, and says whether more may be due. Concurrent steps take
// turns; a step a crash cut off stored nothing, and the next one finds
// its sessions again.
func (svc *Service) SweepStep() (lapsed int, more bool, err error) {
	svc.sweeping.Lock()
	defer svc.sweeping.Unlock()
	// Most steps find nothing: they read, and commit (and fsync) nothing.
	if due, err := svc.anyDue(); err != nil || !due {
		return 0, false, err
	}
	err = svc.write(func(w *work) error {
		var inner error
		err := w.tx.Open(w.now.Add(time.Nanosecond), func(s *Session) bool {
			if _, inner = w.current(s); inner != nil {
				return false
			}
			return len(w.due) < sweepBatch
		})
		if err != nil {
			return err
		}
		lapsed = len(w.due)
		return inner
	})
	if err != nil {
		return 0, false, err
	}
	return lapsed, lapsed == sweepBatch, nil
}

// catchUp sweeps when anything is due: before an answer read from
// counters, which a lapse not yet stored would leave behind.
func (svc *Service) catchUp() error {
	if due, err := svc.anyDue(); err != nil || !due {
		return err
	}
	_, err := svc.Sweep()
	return err
}

// anyDue says, in a read transaction, whether any session is due to
// lapse.
func (svc *Service) anyDue() (bool, error) {
	due := false
	err := svc.repo.View(func(tx Tx) error {
		w := svc.newWork(tx, svc.stamp())
		var inner error
		err := tx.Open(w.now.Add(time.Nanosecond), func(s *Session) bool {
			var c *Session
			c, inner = w.current(s)
			due = c != s
			return inner == nil && !due
		})
		if err != nil {
			return err
		}
		return inner
	})
	return due, err
}
