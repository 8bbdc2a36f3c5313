package scheduling

import (
	"context"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
)

// UtilisationQuery asks for the use of Studio, or of every studio of
// Base, over the calendar dates [From, To) ("YYYY-MM-DD", alliance time
// zone).
type UtilisationQuery struct {
	Studio, Base string
	From, To     string
}

// Utilisation is the use of one studio (or, with Studio "", of several
// together) over a period.
type Utilisation struct {
	Studio                       string
	Open, Booked, Live           time.Duration
	NoShows, Held, Cancellations int64
}

// NoShowRate is no-shows over the sessions that were due to be held
// (held or not): 0 when there were none.
func (u Utilisation) NoShowRate() float64 {
	if n := u.NoShows + u.Held; n > 0 {
		return float64(u.NoShows) / float64(n)
	}
	return 0
}

// Rate is live time over open time: 0 when the studio was never open.
func (u Utilisation) Rate() float64 {
	if u.Open > 0 {
		return u.Live.Seconds() / u.Open.Seconds()
	}
	return 0
}

func (u *Utilisation) add(o Utilisation) {
	u.Open += o.Open
	u.Booked += o.Booked
	u.Live += o.Live
	u.NoShows += o.NoShows
	u.Held += o.Held
	u.Cancellations += o.Cancellations
}

// MaxUtilisationDays bounds a utilisation period.
const MaxUtilisationDays = 366

// GetStudioUtilisation measures each studio of the query over its period,
// and their total. Open time is the opening hours (all of the period
// without any) less the blackouts; booked time is the planned time of
// the SCHEDULED, LIVE, ENDED and NO_SHOW sessions; live time is the
// actual time on air (until now for a LIVE session); each counts by the
// part inside the period. No-shows, held sessions (LIVE, ENDED) and
// cancellations count by their start.
func (svc *Service) GetStudioUtilisation(ctx context.Context, q UtilisationQuery) ([]Utilisation, Utilisation, error) {
	zone := svc.rules.zone()
	var v fault.Invalid
	checkScope(&v, q.Studio, q.Base)
	from, err := time.ParseInLocation(time.DateOnly, q.From, zone)
	if err != nil {
		v.Add("start_date", "must be a date YYYY-MM-DD, got %q", q.From)
	}
	to, err2 := time.ParseInLocation(time.DateOnly, q.To, zone)
	if err2 != nil {
		v.Add("end_date", "must be a date YYYY-MM-DD, got %q", q.To)
	}
	if err == nil && err2 == nil {
		switch {
		case !to.After(from):
			v.Add("end_date", "must be after start_date")
		case to.After(time.Date(from.Year(), from.Month(), from.Day()+MaxUtilisationDays, 0, 0, 0, 0, zone)):
			v.Add("end_date", "the period may span at most %d days", MaxUtilisationDays)
		}
	}
	if err := v.Err(); err != nil {
		return nil, Utilisation{}, err
	}
	if !callerOf(ctx).known() {
		return nil, Utilisation{}, errNoCaller
	}
	studios, err := svc.studiosOf(ctx, q.Studio, q.Base, false)
	if err != nil {
		return nil, Utilisation{}, err
	}
	var out []Utilisation
	var total Utilisation
	err = svc.read(func(w *work) error {
		out, total = make([]Utilisation, 0, len(studios)), Utilisation{}
		longest, err := w.tx.Longest()
		if err != nil {
			return err
		}
		for _, studio := range studios {
			u, err := w.utilisation(studio, from, to, longest)
			if err != nil {
				return err
			}
			out = append(out, u)
			total.add(u)
		}
		return nil
	})
	return out, total, err
}

func (w *work) utilisation(studio string, from, to time.Time, longest time.Duration) (Utilisation, error) {
	u := Utilisation{Studio: studio}
	p, err := w.policy(studio)
	if err != nil {
		return u, err
	}
	for _, o := range w.svc.rules.openSpans(p, from, to) {
		u.Open += openLess(clip(o, from, to), p.Blackouts)
	}
	within := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	// A session counts by the part of it inside the period, by its plan
	// and by its actual times, and it may be on air outside its plan: the
	// scan looks back the longest plan and ActualSlack more (the most an
	// import may lie past its plan), and on ActualSlack past the period
	// (a session that went on air early, by EarlyStart or, imported, by
	// up to ActualSlack). A session kept LIVE for longer than ActualSlack
	// past its plan is not found by a period that begins after that.
	err = w.sessions(Scan{Studio: studio, From: from.Add(-longest - ActualSlack), To: to.Add(ActualSlack)}, func(s *Session) bool {
		switch s.State {
		case StateScheduled, StateLive, StateEnded, StateNoShow:
			u.Booked += clip(span{s.Start, s.End}, from, to).length()
		}
		switch s.State {
		case StateLive, StateEnded:
			end := s.ActualEnd
			if s.State == StateLive {
				end = w.now
			}
			u.Live += clip(span{s.ActualStart, end}, from, to).length()
			if within(s.Start) {
				u.Held++
			}
		case StateNoShow:
			if within(s.Start) {
				u.NoShows++
			}
		case StateCancelled:
			if within(s.Start) {
				u.Cancellations++
			}
		}
		return true
	})
	return u, err
}

func clip(s span, from, to time.Time) span {
	if s.start.Before(from) {
		s.start = from
	}
	if s.end.After(to) {
		s.end = to
	}
	return s
}

func (s span) length() time.Duration {
	if s.end.After(s.start) {
		return s.end.Sub(s.start)
	}
	return 0
}

// openLess is the length of open span o less the parts that blackouts cover.
func openLess(o span, blackouts []Blackout) time.Duration {
	parts := []span{o}
	for _, b := range blackouts {
		var next []span
		for _, p := range parts {
			if !overlaps(p.start, p.end, b.Start, b.End, 0) {
				next = append(next, p)
				continue
			}
			if p.start.Before(b.Start) {
				next = append(next, span{p.start, b.Start})
			}
			if b.End.Before(p.end) {
				next = append(next, span{b.End, p.end})
			}
		}
		parts = next
	}
	var d time.Duration
	for _, p := range parts {
		d += p.length()
	}
	return d
}
