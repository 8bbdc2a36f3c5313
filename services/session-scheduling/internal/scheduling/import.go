package scheduling

import (
	"context"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/ids"
)

// ImportBatchSize is how many lines one write transaction (one fsync)
// commits. A thousand keeps an fsync per thousand sessions while a
// transaction stays small enough to hold in memory.
const ImportBatchSize = 1000

// ImportLine is one historical session: its id and the record in its
// final state, ENDED with its actual times or CANCELLED.
type ImportLine struct {
	ID      string
	Session Session
}

// ImportResult is the judgement of one line: rejected with Err, an
// identical repeat of a stored session (Duplicate), or accepted.
type ImportResult struct {
	Err       error
	Duplicate bool
}

// Import is one import stream. It keeps the registry's answers for its
// lifetime: members and products do not change during an import, and a
// year of 184,000 sessions names only some 1,600 of them.
type Import struct {
	svc *Service
	dir *cachedDirectory
}

// NewImport starts an import.
func (svc *Service) NewImport() *Import {
	return &Import{svc: svc, dir: &cachedDirectory{reg: svc.dir, members: map[string]*Member{}, products: map[string]*Product{}}}
}

// Retries of a registry call during an import. Under load one lookup may
// miss its deadline where the next passes; an import asks again, with
// backoff and never past the stream's own deadline, before it rejects the
// lines that needed the answer (UNAVAILABLE). A booking does not retry:
// its caller is waiting and can retry itself.
const (
	importAttempts = 4
	importBackoff  = 100 * time.Millisecond // doubled after each attempt
)

// Batch judges each line on its own and commits the accepted ones in one
// write transaction, in which every line sees the lines before it. The
// booking rules hold as for CreateSession, with two differences for
// history: a session may lie in the past, and its members and products
// need only exist and be of the right kind (a record of 2020 may name a
// host suspended since). An ENDED record also meets ENDED sessions (see
// Clash). A registry that does not answer, even when asked again, fails
// the lines that needed it, not the batch. The error is for the whole
// batch: the store failed or the stream's context ended, and nothing of
// the batch was stored.
func (im *Import) Batch(ctx context.Context, lines []ImportLine) ([]ImportResult, error) {
	if err := mayImport(callerOf(ctx)); err != nil {
		return nil, err
	}
	im.dir.failed = map[string]error{} // a failure is asked again in the next batch
	out := make([]ImportResult, len(lines))
	now := im.svc.stamp()
	var names []string
	for i := range lines {
		out[i].Err = im.svc.rules.validateHistory(&lines[i], now)
		if out[i].Err == nil {
			s := &lines[i].Session
			names = append(append(names, s.Host, s.Base()), s.Merchants...)
		}
	}
	if err := im.dir.prefetch(ctx, names); err != nil {
		return nil, err
	}
	for i := range lines {
		if out[i].Err != nil {
			continue
		}
		if _, err := checkBooking(ctx, im.dir, &lines[i].Session, false); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			out[i].Err = err // a rule, or the registry's failure for this line
		}
	}
	results := make([]ImportResult, len(out))
	err := im.svc.write(func(w *work) error {
		copy(results, out) // the transaction may run again
		for i := range lines {
			if results[i].Err != nil {
				continue
			}
			s := lines[i].Session
			s.ID = lines[i].ID
			stored, err := w.tx.Session(s.ID)
			if err != nil {
				return err
			}
			if stored != nil {
				if sameRecord(stored, &s) {
					results[i].Duplicate = true
				} else {
					results[i].Err = fault.New(fault.AlreadyExists, ReasonSessionAlreadyExists,
						"%s already exists with other contents", s.Name()).With("name", s.Name())
				}
				continue
			}
			if s.State == StateEnded {
				if err := w.admit(&s, admission{}); err != nil {
					if !lineFault(err) {
						return err
					}
					results[i].Err = err
					continue
				}
			}
			s.CreateTime, s.UpdateTime, s.Revision = now, now, 1
			if err := w.put(&s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// lineFault tells a line's own fault (it breaks a rule) from a failure of
// the store, which stops the import.
func lineFault(err error) bool {
	f, ok := fault.As(err)
	if !ok {
		return false
	}
	switch f.Code {
	case fault.Unavailable, fault.Internal:
		return false
	}
	return true
}

// sameRecord reports whether an import line repeats a stored session.
func sameRecord(a, b *Session) bool {
	return a.Title == b.Title && a.Host == b.Host && a.Studio == b.Studio &&
		slices.Equal(a.Merchants, b.Merchants) && slices.Equal(a.Products, b.Products) &&
		a.Platform == b.Platform && a.PlatformRoomID == b.PlatformRoomID &&
		a.Start.Equal(b.Start) && a.End.Equal(b.End) && a.State == b.State &&
		a.ActualStart.Equal(b.ActualStart) && a.ActualEnd.Equal(b.ActualEnd) &&
		a.CancelReason == b.CancelReason
}

// validateHistory checks a line's own fields: the session's (as for a
// booking, but it may lie in the past), its id, and its final state.
func (r Rules) validateHistory(line *ImportLine, now time.Time) error {
	s := &line.Session
	var v fault.Invalid
	if line.ID == "" {
		v.Add("session_id", "is required, so that a repeated import is recognised")
	} else if !ids.Valid(line.ID) {
		v.Add("session_id", "must be 1-63 lowercase letters, digits or hyphens, starting with a letter; got %q", line.ID)
	}
	r.checkFields(&v, s, nil) // history: no "not in the past"
	switch {
	case s.Start.IsZero(): // reported by checkFields
	case s.Start.Before(HistoryStart):
		v.Add("session.start_time", "lies before %s, where imported history begins", HistoryStart.Format(time.DateOnly))
	case s.Start.After(now.Add(r.Horizon)):
		v.Add("session.start_time", "lies beyond the booking horizon: a session may start at most %s ahead, until %s",
			r.Horizon, now.Add(r.Horizon).Format(time.RFC3339))
	}
	switch s.State {
	case StateEnded:
		switch {
		case s.ActualStart.IsZero():
			v.Add("session.actual_start_time", "is required for an ENDED session")
		case s.ActualEnd.IsZero():
			v.Add("session.actual_end_time", "is required for an ENDED session")
		case !s.ActualEnd.After(s.ActualStart):
			v.Add("session.actual_end_time", "must be after actual_start_time")
		case s.ActualEnd.After(now):
			v.Add("session.actual_end_time", "lies in the future (now is %s); only sessions that have ended can be imported", now.Format(time.RFC3339))
		}
		if !s.Start.IsZero() && !s.End.IsZero() {
			nearPlan(&v, "session.actual_start_time", s.ActualStart, s)
			nearPlan(&v, "session.actual_end_time", s.ActualEnd, s)
		}
		if s.CancelReason != "" {
			v.Add("session.cancel_reason", "only a CANCELLED session has one")
		}
	case StateCancelled, StateNoShow:
		if !s.ActualStart.IsZero() || !s.ActualEnd.IsZero() {
			v.Add("session.actual_start_time", "a %s session never ran: it has no actual times", s.State)
		}
		if s.State == StateNoShow && s.CancelReason != "" {
			v.Add("session.cancel_reason", "only a CANCELLED session has one")
		}
		if utf8.RuneCountInString(s.CancelReason) > maxCancelReason {
			v.Add("session.cancel_reason", "must be at most %d characters", maxCancelReason)
		}
	default:
		v.Add("session.state", "must be ENDED, CANCELLED or NO_SHOW, got %s", s.State)
	}
	return v.Err()
}

// nearPlan checks that an actual time lies within ActualSlack of the
// session's planned interval.
func nearPlan(v *fault.Invalid, field string, t time.Time, s *Session) {
	if t.IsZero() {
		return
	}
	if t.Before(s.Start.Add(-ActualSlack)) || t.After(s.End.Add(ActualSlack)) {
		v.Add(field, "lies more than %s outside the planned interval %s to %s", ActualSlack,
			s.Start.Format(time.RFC3339), s.End.Format(time.RFC3339))
	}
}

// cachedDirectory answers as Directory from what it has read before: members are
// fetched in batches by prefetch, products one by one on first use. A
// lookup that failed even when retried is remembered for the rest of the
// batch (failed), so that the lines needing it are rejected at once.
type cachedDirectory struct {
	reg      Directory
	members  map[string]*Member // nil: the registry has no such member
	products map[string]*Product
	failed   map[string]error // member or product name -> the registry's failure
}

// maxRegistryBatch is the registry's limit on BatchGetMembers.
const maxRegistryBatch = 1000

// prefetch reads the members of names it has not read yet. Its error is
// only that of ctx: a chunk the registry did not answer goes to failed.
func (d *cachedDirectory) prefetch(ctx context.Context, names []string) error {
	var todo []string
	asked := map[string]bool{}
	for _, n := range names {
		_, known := d.members[n]
		if !known && d.failed[n] == nil && !asked[n] {
			asked[n] = true
			todo = append(todo, n)
		}
	}
	for len(todo) > 0 {
		chunk := todo[:min(len(todo), maxRegistryBatch)]
		got, err := retry(ctx, func() ([]Member, error) { return d.reg.BatchGet(ctx, chunk) })
		if miss, ok := err.(*MissingMember); ok && slices.Contains(chunk, miss.Name) {
			// All or nothing: remember the missing one and ask again.
			d.members[miss.Name] = nil
			todo = slices.DeleteFunc(todo, func(n string) bool { return n == miss.Name })
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			for _, n := range chunk {
				d.failed[n] = err
			}
		} else {
			for i := range got {
				d.members[chunk[i]] = &got[i]
			}
		}
		todo = todo[len(chunk):]
	}
	return nil
}

// BatchGet implements Directory from the cache, reading what it lacks.
func (d *cachedDirectory) BatchGet(ctx context.Context, names []string) ([]Member, error) {
	if err := d.prefetch(ctx, names); err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(names))
	for _, n := range names {
		if err := d.failed[n]; err != nil {
			return nil, err
		}
		m := d.members[n]
		if m == nil {
			return nil, &MissingMember{Name: n}
		}
		out = append(out, *m)
	}
	return out, nil
}

// Product implements Directory, remembering every answer (also "none").
func (d *cachedDirectory) Product(ctx context.Context, name string) (*Product, error) {
	if p, known := d.products[name]; known {
		return p, nil
	}
	if err := d.failed[name]; err != nil {
		return nil, err
	}
	p, err := retry(ctx, func() (*Product, error) { return d.reg.Product(ctx, name) })
	if err != nil {
		if ctx.Err() == nil {
			d.failed[name] = err
		}
		return nil, err
	}
	d.products[name] = p
	return p, nil
}

// retry calls the registry until it answers, at most importAttempts times:
// only UNAVAILABLE (down or too slow) is asked again, and only while the
// backoff still fits in ctx's deadline.
func retry[T any](ctx context.Context, call func() (T, error)) (T, error) {
	wait := importBackoff
	for attempt := 1; ; attempt++ {
		v, err := call()
		if f, ok := fault.As(err); !ok || f.Code != fault.Unavailable || attempt == importAttempts {
			return v, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < 2*wait {
			return v, err
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return v, err
		case <-timer.C:
		}
		wait *= 2
	}
}
