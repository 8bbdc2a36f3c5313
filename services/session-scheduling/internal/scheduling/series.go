package scheduling

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/ids"
)

// Frequency of a series; the numbers are alliance.session.v1.Frequency's.
type Frequency int

const (
	FrequencyUnspecified Frequency = iota
	Daily
	Weekly
)

// Recurrence says when the occurrences of a series fall (see occurrences).
type Recurrence struct {
	Frequency Frequency
	// Days are the days of a weekly series; none means the template's.
	Days []time.Weekday
	// Interval: every Interval-th day or week; 0 is 1.
	Interval int
	// Count occurrences, or every one until UntilDate ("YYYY-MM-DD",
	// alliance time zone), inclusive.
	Count     int
	UntilDate string
}

// Series is a recurring series of sessions: sessionSeries/{id}.
type Series struct {
	ID string
	// Template is the first occurrence's booking: its title, host, studio,
	// merchants, products, platform, room and times.
	Template   Session
	Recurrence Recurrence
	// SessionIDs are the sessions it booked, in start order.
	SessionIDs []string
	// Skipped are the occurrences it did not book (allow_partial).
	Skipped      []Skipped
	CreateTime   time.Time
	CancelReason string
}

// Skipped is an occurrence a series did not book, and the fault that
// kept it out, as its status would say it.
type Skipped struct {
	Start                 time.Time
	Code, Reason, Message string
}

// Name is sessionSeries/{id}.
func (s *Series) Name() string { return SeriesName(s.ID) }

// SeriesName is sessionSeries/{id}.
func SeriesName(id string) string { return "sessionSeries/" + id }

// ParseSeriesName returns the id of sessionSeries/{id}, or "".
func ParseSeriesName(name string) string { return idIn("sessionSeries/", name) }

// The bounds of a series.
const (
	MaxOccurrences  = 366
	maxInterval     = 52
	maxSeriesIDLen  = 54 // an occurrence's id adds "-yyyymmdd", and ids stop at 63
	occurrenceStamp = "20060102"
)

// MetaOccurrence is the ErrorInfo metadata key that names the occurrence
// (its start time) that kept a series from being booked.
const MetaOccurrence = "occurrence_start_time"

// occurrences are the start and end times of a series' occurrences: each
// at the template's local start and end time of day in the alliance's
// zone, built with time.Date so that 20:00 stays 20:00 across a change of
// the zone's offset, from the template's date on.
func (r Rules) occurrences(t *Session, rec Recurrence) ([]span, error) {
	zone := r.zone()
	start, end := t.Start.In(zone), t.End.In(zone)
	first := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, zone)
	endDays := int(time.Date(end.Year(), end.Month(), end.Day(), 12, 0, 0, 0, time.UTC).
		Sub(time.Date(start.Year(), start.Month(), start.Day(), 12, 0, 0, 0, time.UTC)).Hours() / 24)
	var until time.Time
	if rec.UntilDate != "" {
		u, err := time.ParseInLocation(time.DateOnly, rec.UntilDate, zone)
		if err != nil {
			return nil, fault.InvalidField("series.recurrence.until_date", "must be a date YYYY-MM-DD, got %q", rec.UntilDate)
		}
		if u.Before(first) {
			return nil, fault.InvalidField("series.recurrence.until_date", "lies before the template's date %s", first.Format(time.DateOnly))
		}
		until = u
	}
	interval := max(rec.Interval, 1)
	var dates []time.Time
	add := func(d time.Time) bool { // false: the series is complete
		if !until.IsZero() && d.After(until) || rec.Count > 0 && len(dates) == rec.Count {
			return false
		}
		dates = append(dates, d)
		return len(dates) <= MaxOccurrences
	}
	day := func(base time.Time, n int) time.Time {
		return time.Date(base.Year(), base.Month(), base.Day()+n, 0, 0, 0, 0, zone)
	}
	switch rec.Frequency {
	case Daily:
		for k := 0; add(day(first, k*interval)); k++ {
		}
	case Weekly:
		days := slices.Clone(rec.Days)
		if len(days) == 0 {
			days = []time.Weekday{first.Weekday()}
		}
		slices.SortFunc(days, func(a, b time.Weekday) int { return mondayFirst(a) - mondayFirst(b) })
		days = slices.Compact(days)
		monday := day(first, -mondayFirst(first.Weekday()))
	weeks:
		for w := 0; ; w += interval {
			for _, d := range days {
				date := day(monday, 7*w+mondayFirst(d))
				if date.Before(first) {
					continue
				}
				if !add(date) {
					break weeks
				}
			}
		}
	}
	if len(dates) > MaxOccurrences {
		return nil, fault.InvalidField("series.recurrence", "makes more than %d occurrences; book a shorter series", MaxOccurrences)
	}
	out := make([]span, 0, len(dates))
	for _, d := range dates {
		e := day(d, endDays)
		out = append(out, span{
			time.Date(d.Year(), d.Month(), d.Day(), start.Hour(), start.Minute(), start.Second(), start.Nanosecond(), zone),
			time.Date(e.Year(), e.Month(), e.Day(), end.Hour(), end.Minute(), end.Second(), end.Nanosecond(), zone),
		})
	}
	return out, nil
}

func validateRecurrence(rec Recurrence) error {
	var v fault.Invalid
	switch rec.Frequency {
	case Daily:
		if len(rec.Days) > 0 {
			v.Add("series.recurrence.days_of_week", "is for a WEEKLY series")
		}
	case Weekly:
		for i, d := range rec.Days {
			if d < time.Sunday || d > time.Saturday {
				v.Add(fmt.Sprintf("series.recurrence.days_of_week[%d]", i), "is not a day of the week")
			}
		}
	default:
		v.Add("series.recurrence.frequency", "is required: DAILY or WEEKLY")
	}
	if rec.Interval < 0 || rec.Interval > maxInterval {
		v.Add("series.recurrence.interval", "must lie between 1 and %d (0 is 1), got %d", maxInterval, rec.Interval)
	}
	switch {
	case rec.Count < 0 || rec.Count > MaxOccurrences:
		v.Add("series.recurrence.count", "must lie between 1 and %d, got %d", MaxOccurrences, rec.Count)
	case rec.Count > 0 && rec.UntilDate != "":
		v.Add("series.recurrence.until_date", "give count or until_date, not both")
	case rec.Count == 0 && rec.UntilDate == "":
		v.Add("series.recurrence.count", "give count or until_date")
	}
	return v.Err()
}

// SeriesResult is what CreateSessionSeries booked.
type SeriesResult struct {
	Series   *Series
	Sessions []*Session
}

// CreateSessionSeries books the occurrences of a series in one write
// transaction, each by every rule of CreateSession (and after the ones
// before it, which count against its quotas and block its slot). All or
// nothing: the first occurrence that fails fails the series, with its
// fault and MetaOccurrence; with allowPartial, what passes is booked and
// the rest is listed in Skipped. The template's members are checked with
// the registry once. A repeated requestID returns the first result.
func (svc *Service) CreateSessionSeries(ctx context.Context, in Series, seriesID, requestID string, allowPartial bool) (*SeriesResult, error) {
	var v fault.Invalid
	if seriesID != "" && (!ids.Valid(seriesID) || len(seriesID) > maxSeriesIDLen) {
		v.Add("series_id", "must be 1-%d lowercase letters, digits or hyphens, starting with a letter; got %q", maxSeriesIDLen, seriesID)
	}
	if len(requestID) > maxRequestID {
		v.Add("request_id", "must be at most %d characters", maxRequestID)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	t := in.Template
	caller := callerOf(ctx)
	if err := mayBook(caller, &t, nil); err != nil {
		return nil, err
	}
	if first, err := seriesRequests.first(svc, requestID); err != nil || first != nil {
		return first, err
	}
	if err := validateRecurrence(in.Recurrence); err != nil {
		return nil, err
	}
	now := svc.stamp()
	if err := svc.rules.validate(&t, &now); err != nil {
		return nil, err
	}
	times, err := svc.rules.occurrences(&t, in.Recurrence)
	if err != nil {
		return nil, err
	}
	host, err := svc.bookable(ctx, caller, &t)
	if err != nil {
		return nil, err
	}
	if seriesID == "" {
		seriesID = ids.New()
	}
	t.Agency, t.Series = host.Agency, seriesID
	t.ActualStart, t.ActualEnd, t.CancelReason, t.DeclineReason = time.Time{}, time.Time{}, "", ""
	return written(svc, func(w *work) (*SeriesResult, error) {
		if first, err := seriesRequests.made(w, requestID); err != nil || first != nil {
			return first, err
		}
		if existing, err := w.tx.Series(seriesID); err != nil || existing != nil {
			if err == nil {
				err = fault.New(fault.AlreadyExists, ReasonSeriesAlreadyExists, "series %q already exists", SeriesName(seriesID)).With("name", SeriesName(seriesID))
			}
			return nil, err
		}
		sr := &Series{ID: seriesID, Template: t, Recurrence: in.Recurrence, CreateTime: now}
		sr.Template.ID = ""
		res := &SeriesResult{Series: sr}
		var first *fault.Error // of the first occurrence skipped
		for _, o := range times {
			s := t
			s.ID = seriesID + "-" + o.start.In(svc.rules.zone()).Format(occurrenceStamp)
			s.Start, s.End = o.start.UTC(), o.end.UTC()
			err := svc.rules.validate(&s, &now)
			if err == nil {
				err = w.book(&s, caller, now)
			}
			if err == nil {
				sr.SessionIDs = append(sr.SessionIDs, s.ID)
				res.Sessions = append(res.Sessions, &s)
				continue
			}
			f, ok := fault.As(err)
			if !ok || !lineFault(err) {
				return nil, err
			}
			f = f.With(MetaOccurrence, s.Start.Format(time.RFC3339))
			if !allowPartial {
				return nil, f
			}
			if first == nil {
				first = f
			}
			sr.Skipped = append(sr.Skipped, skipped(s.Start, f))
		}
		if len(sr.SessionIDs) == 0 {
			return nil, first // allow_partial, and not one could be booked
		}
		if err := w.tx.PutSeries(sr); err != nil {
			return nil, err
		}
		if err := seriesRequests.record(w, requestID, sr.Name()); err != nil {
			return nil, err
		}
		return res, nil
	})
}

// skipped is how a skipped occurrence is told: as its status would say
// it, with every bad field for invalid input.
func skipped(start time.Time, f *fault.Error) Skipped {
	reason := f.Reason.String()
	if reason == "" {
		reason = f.Code.String()
	}
	msg := f.Message
	if len(f.Violations) > 0 {
		msg = f.Error()
	}
	return Skipped{Start: start, Code: f.Code.String(), Reason: reason, Message: msg}
}

func seriesWithSessions(w *work, id string) (*SeriesResult, error) {
	sr, err := w.tx.Series(id)
	if err != nil {
		return nil, err
	}
	if sr == nil {
		return nil, fault.New(fault.NotFound, ReasonSeriesNotFound, "series %q not found", SeriesName(id)).With("name", SeriesName(id))
	}
	res := &SeriesResult{Series: sr}
	for _, sid := range sr.SessionIDs {
		s, err := w.session(sid)
		if err != nil {
			return nil, err
		}
		if s != nil {
			res.Sessions = append(res.Sessions, s)
		}
	}
	return res, nil
}

// GetSessionSeries returns a series and its sessions as they stand.
func (svc *Service) GetSessionSeries(id string) (*SeriesResult, error) {
	return readValue(svc, func(w *work) (*SeriesResult, error) { return seriesWithSessions(w, id) })
}

// CancelSessionSeries cancels, in one transaction, the occurrences of a
// series that have not started (SCHEDULED, or waiting for approval) and
// still book the template's host into the template's base: an occurrence
// moved to another host or base is no longer the series'. Its parties
// (as for CancelSession: the template's host, base and the host's agency)
// and the trusted callers may. It returns the sessions it cancelled.
func (svc *Service) CancelSessionSeries(ctx context.Context, id, reason string) (*SeriesResult, error) {
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	cur, err := svc.GetSessionSeries(id)
	if err != nil {
		return nil, err
	}
	t := cur.Series.Template
	if err := svc.mayChange(ctx, &t, nil); err != nil {
		return nil, err
	}
	return written(svc, func(w *work) (*SeriesResult, error) {
		sr, err := w.tx.Series(id)
		if err != nil {
			return nil, err
		}
		res := &SeriesResult{Series: sr}
		for _, sid := range sr.SessionIDs {
			s, err := w.session(sid)
			if err != nil {
				return nil, err
			}
			if s == nil || s.Host != t.Host || s.Base() != t.Base() || s.State != StateScheduled && s.State != StatePendingApproval {
				continue
			}
			c := *s
			c.State, c.CancelReason, c.UpdateTime = StateCancelled, reason, w.now
			c.Revision++
			if err := w.put(&c); err != nil {
				return nil, err
			}
			res.Sessions = append(res.Sessions, &c)
		}
		sr.CancelReason = reason
		if err := w.tx.PutSeries(sr); err != nil {
			return nil, err
		}
		return res, nil
	})
}
