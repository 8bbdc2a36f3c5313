package scheduling

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
)

// admission says which of the transaction's rules a write of s applies.
type admission struct {
	// approving: s is a request being approved; only confirmed sessions
	// stand in its way (see holds).
	approving bool
	// policy applies the studio's rules of time and its quotas, as of
	// bookedAt (when the slot was asked for). An update that keeps host,
	// studio and times, and imported history, apply neither.
	policy   bool
	bookedAt time.Time
}

// admit applies every rule that must hold in the transaction that writes
// s: the studio's rules of time, no double booking (rule 5, with the
// studio's changeover buffer), and the quotas. Each reads what it needs
// in w's transaction, so what they check and what is written commit
// together: of any number of concurrent bookings that the rules allow
// only one of, one succeeds.
func (w *work) admit(s *Session, a admission) error {
	p, err := w.policy(s.Studio)
	if err != nil {
		return err
	}
	if a.policy {
		if err := w.svc.rules.checkTimes(p, s, a.bookedAt); err != nil {
			return err
		}
	}
	if err := w.checkConflicts(s, p, a.approving); err != nil {
		return err
	}
	if a.policy {
		return w.checkQuotas(s, p, a.approving)
	}
	return nil
}

// checkConflicts is rule 5. It reads only the neighbours of s in the
// studio's and the host's start-time indexes: a session that can clash with
// s starts at most `longest` (+ buffer) before s starts, and before s ends
// (+ buffer).
func (w *work) checkConflicts(s *Session, p *Policy, approving bool) error {
	longest, err := w.tx.Longest()
	if err != nil {
		return err
	}
	buffer := w.svc.rules.buffer(p)
	var hit *Session
	var kind Conflict
	visit := func(o *Session) bool {
		if c := clash(s, o, buffer, approving); c != NoConflict {
			hit, kind = o, c
			return false
		}
		return true
	}
	if err := w.sessions(Scan{Studio: s.Studio, From: s.Start.Add(-buffer - longest), To: s.End.Add(buffer)}, visit); err != nil {
		return err
	}
	if hit == nil {
		if err := w.sessions(Scan{Host: s.Host, From: s.Start.Add(-longest), To: s.End}, visit); err != nil {
			return err
		}
	}
	if hit != nil {
		return conflictError(kind, s, hit, buffer)
	}
	return nil
}

// quotaHolds reports whether other, as it stands, counts against the
// quotas s is checked by: another session of the same base (its studio
// begins with inBase, s's base + "/studios/") that holds or held its
// slot. A request waiting for approval counts against a booking, not
// against an approval (as in holds).
func quotaHolds(s *Session, inBase string, other Brief, approving bool) bool {
	if other.ID == s.ID || !strings.HasPrefix(other.Studio, inBase) {
		return false
	}
	switch other.State {
	case StateScheduled, StateLive, StateEnded:
		return true
	case StatePendingApproval:
		return !approving
	}
	return false
}

// briefs walks q in the index of a host or an agency, each session as it
// stands: one the index says may have lapsed (it waits or is booked, and
// has started) is read and judged in full (and its lapse stored with the
// transaction); the rest never are, nor are their studios' policies.
func (w *work) briefs(q Scan, fn func(Brief)) error {
	var inner error
	err := w.tx.Briefs(q, func(b Brief) bool {
		if (b.State == StateScheduled || b.State == StatePendingApproval) && !w.now.Before(b.Start) {
			p, err := w.policy(b.Studio)
			if err != nil {
				inner = err
				return false
			}
			if lapse(&Session{State: b.State, Start: b.Start}, p.grace(), w.now) != nil {
				s, err := w.session(b.ID)
				if err == nil && s == nil {
					err = fmt.Errorf("an index names session %q, which is not stored", b.ID)
				}
				if err != nil {
					inner = err
					return false
				}
				b.State = s.State
			}
		}
		fn(b)
		return true
	})
	if err != nil {
		return err
	}
	return inner
}

// checkQuotas applies the quotas of s's studio, counted over every studio
// of its base: the host's planned hours in the ISO week (alliance time
// zone) in which s starts, and the sessions of the host's agency on the
// day it starts. Sessions count in the week or day of their start. They
// are counted from the indexes' entries, without reading the sessions.
func (w *work) checkQuotas(s *Session, p *Policy, approving bool) error {
	zone := w.svc.rules.zone()
	inBase := s.Base() + "/studios/"
	if p.HostWeeklyHours > 0 {
		from, to := weekOf(s.Start, zone)
		var used time.Duration
		err := w.briefs(Scan{Host: s.Host, From: from, To: to}, func(o Brief) {
			if quotaHolds(s, inBase, o, approving) {
				used += o.End.Sub(o.Start)
			}
		})
		if err != nil {
			return err
		}
		limit := time.Duration(p.HostWeeklyHours) * time.Hour
		if used+s.Length() > limit {
			left := max(limit-used, 0)
			return fault.New(fault.FailedPrecondition, ReasonQuotaExceeded,
				"host %s is booked for %s of the %d hours a week it may have in base %s (the week from %s); %s are left, and this session lasts %s",
				s.Host, hours(used), p.HostWeeklyHours, s.Base(), from.Format(time.DateOnly), hours(left), hours(s.Length())).
				With("quota", "host_weekly_hours").With("limit", strconv.Itoa(p.HostWeeklyHours)).
				With("used", hours(used)).With("left", hours(left)).With("period_start", from.Format(time.DateOnly))
		}
	}
	if p.AgencyDailySessions > 0 && s.Agency != "" {
		from, to := dayOf(s.Start, zone)
		used := 0
		err := w.briefs(Scan{Agency: s.Agency, From: from, To: to}, func(o Brief) {
			if quotaHolds(s, inBase, o, approving) {
				used++
			}
		})
		if err != nil {
			return err
		}
		if used+1 > p.AgencyDailySessions {
			left := max(p.AgencyDailySessions-used, 0)
			return fault.New(fault.FailedPrecondition, ReasonQuotaExceeded,
				"the hosts of agency %s have %d of the %d sessions a day they may have in base %s on %s; %d are left",
				s.Agency, used, p.AgencyDailySessions, s.Base(), from.Format(time.DateOnly), left).
				With("quota", "agency_daily_sessions").With("limit", strconv.Itoa(p.AgencyDailySessions)).
				With("used", strconv.Itoa(used)).With("left", strconv.Itoa(left)).With("period_start", from.Format(time.DateOnly))
		}
	}
	return nil
}

// hours renders a duration in hours: 1.5 for 90 minutes.
func hours(d time.Duration) string { return strconv.FormatFloat(d.Hours(), 'f', -1, 64) }

// dayOf is the calendar day of t in zone: [midnight, next midnight).
func dayOf(t time.Time, zone *time.Location) (time.Time, time.Time) {
	l := t.In(zone)
	start := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, zone)
	return start, time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, zone)
}

// weekOf is the ISO week of t in zone: [Monday's midnight, next Monday's).
func weekOf(t time.Time, zone *time.Location) (time.Time, time.Time) {
	l := t.In(zone)
	d := l.Day() - mondayFirst(l.Weekday())
	return time.Date(l.Year(), l.Month(), d, 0, 0, 0, 0, zone), time.Date(l.Year(), l.Month(), d+7, 0, 0, 0, 0, zone)
}
