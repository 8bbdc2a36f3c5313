package scheduling

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/fieldmask"
)

// Policy is the booking rules of one studio beyond "no double booking",
// set by its base: when it is open, when it is closed, how far ahead and
// how late one may book, its changeover buffer, the quotas of hosts and
// agencies, whether outside bookings need approval, and the grace before
// a booked session that has not started is a no-show. The zero Policy is
// the default one: always open, nothing else.
type Policy struct {
	Studio       string // members/{base}/studios/{studio}
	OpeningHours []OpeningHours
	Blackouts    []Blackout
	// MinNotice and MaxAdvance bound start - (the time of booking); 0 is
	// no bound. The booking horizon bounds every booking anyway.
	MinNotice, MaxAdvance time.Duration
	// Buffer replaces the suite's changeover buffer; nil keeps it.
	Buffer *time.Duration
	// HostWeeklyHours and AgencyDailySessions are quotas in the studio's
	// base (see checkQuotas); 0 is none.
	HostWeeklyHours     int
	AgencyDailySessions int
	RequiresApproval    bool
	// NoShowGrace is how long after its start a SCHEDULED session may
	// still go LIVE; 0 is DefaultNoShowGrace.
	NoShowGrace time.Duration
	UpdateTime  time.Time
	Revision    uint64
}

// OpeningHours is one open interval of a day of the week, in minutes
// after local midnight (alliance time zone): 0 <= Open < Close <= 1440.
type OpeningHours struct {
	Day         time.Weekday
	Open, Close int
}

// Blackout is a time the studio is closed.
type Blackout struct {
	Start, End time.Time
	Reason     string
}

// The bounds of a policy.
const (
	DefaultNoShowGrace     = 15 * time.Minute
	MinNoShowGrace         = time.Minute
	MaxNoShowGrace         = 12 * time.Hour
	MaxPolicyBuffer        = 12 * time.Hour
	MaxOpeningHours        = 50
	MaxBlackouts           = 100
	maxBlackoutReason      = 200
	maxHostWeeklyHours     = 7 * 24
	maxAgencyDailySessions = 1000
	minutesPerDay          = 24 * 60
)

// PolicyName is members/{base}/studios/{studio}/policy.
func PolicyName(studio string) string { return studio + "/policy" }

// ParsePolicyName returns the studio of members/{base}/studios/{studio}/policy.
func ParsePolicyName(name string) (studio string, ok bool) {
	studio, ok = strings.CutSuffix(name, "/policy")
	if !ok {
		return "", false
	}
	if _, _, ok := ParseStudioName(studio); !ok {
		return "", false
	}
	return studio, true
}

// buffer is the changeover buffer of the studio whose policy p is.
func (r Rules) buffer(p *Policy) time.Duration {
	if p.Buffer != nil {
		return *p.Buffer
	}
	return r.ChangeoverBuffer
}

// grace is how long after its start a session of p's studio may go LIVE.
func (p *Policy) grace() time.Duration {
	if p.NoShowGrace > 0 {
		return p.NoShowGrace
	}
	return DefaultNoShowGrace
}

// checkTimes applies the policy's rules of time to s, booked (or asked
// for) at bookedAt: notice, advance, opening hours and blackouts.
func (r Rules) checkTimes(p *Policy, s *Session, bookedAt time.Time) error {
	if p.MinNotice > 0 {
		if earliest := bookedAt.Add(p.MinNotice); s.Start.Before(earliest) {
			return fault.New(fault.FailedPrecondition, ReasonTooShortNotice,
				"studio %s is booked at least %s ahead: a session booked at %s starts from %s", s.Studio, p.MinNotice,
				bookedAt.Format(time.RFC3339), earliest.Format(time.RFC3339)).
				With("earliest_start_time", earliest.Format(time.RFC3339))
		}
	}
	if p.MaxAdvance > 0 {
		if latest := bookedAt.Add(p.MaxAdvance); s.Start.After(latest) {
			return fault.New(fault.FailedPrecondition, ReasonTooFarAhead,
				"studio %s is booked at most %s ahead: a session booked at %s starts by %s", s.Studio, p.MaxAdvance,
				bookedAt.Format(time.RFC3339), latest.Format(time.RFC3339)).
				With("latest_start_time", latest.Format(time.RFC3339))
		}
	}
	if !r.isOpen(p, s.Start, s.End) {
		return fault.New(fault.FailedPrecondition, ReasonOutsideOpeningHours,
			"studio %s is not open for all of %s to %s (%s); its opening hours are %s", s.Studio,
			s.Start.In(r.zone()).Format("Mon 2006-01-02 15:04"), s.End.In(r.zone()).Format("Mon 15:04"), r.zone(), describeHours(p.OpeningHours)).
			With("studio", s.Studio)
	}
	if b := blackoutOver(p, s.Start, s.End); b != nil {
		return fault.New(fault.FailedPrecondition, ReasonStudioBlackedOut,
			"studio %s is closed from %s to %s (%s)", s.Studio, b.Start.Format(time.RFC3339), b.End.Format(time.RFC3339), b.Reason).
			With("blackout_start_time", b.Start.Format(time.RFC3339)).
			With("blackout_end_time", b.End.Format(time.RFC3339)).
			With("blackout_reason", b.Reason)
	}
	return nil
}

// blackoutOver is the first blackout of p that [start, end) overlaps.
func blackoutOver(p *Policy, start, end time.Time) *Blackout {
	for i, b := range p.Blackouts {
		if overlaps(start, end, b.Start, b.End, 0) {
			return &p.Blackouts[i]
		}
	}
	return nil
}

// isOpen reports whether [start, end) lies inside the studio's opening
// hours: inside one run of open time, which may cross midnight into the
// next day's opening.
func (r Rules) isOpen(p *Policy, start, end time.Time) bool {
	if len(p.OpeningHours) == 0 {
		return true
	}
	for _, o := range r.openSpans(p, start, end) {
		if !o.start.After(start) && !o.end.Before(end) {
			return true
		}
	}
	return false
}

type span struct{ start, end time.Time }

// openSpans are the runs of open time of p that touch [from, to), merged
// where one ends as the next begins. The times are local wall-clock times
// of the alliance's zone turned into instants by time.Date, so that a
// zone with daylight saving keeps 20:00 at 20:00. Without opening hours
// the studio is always open: one span, [from, to).
func (r Rules) openSpans(p *Policy, from, to time.Time) []span {
	if len(p.OpeningHours) == 0 {
		return []span{{from, to}}
	}
	zone := r.zone()
	first := from.In(zone)
	day := time.Date(first.Year(), first.Month(), first.Day()-1, 0, 0, 0, 0, zone)
	var out []span
	for ; day.Before(to); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, zone) {
		var today []span
		for _, o := range p.OpeningHours {
			if o.Day == day.Weekday() {
				today = append(today, span{atMinute(day, o.Open), atMinute(day, o.Close)})
			}
		}
		slices.SortFunc(today, func(a, b span) int { return a.start.Compare(b.start) })
		for _, s := range today {
			if n := len(out); n > 0 && !s.start.After(out[n-1].end) {
				if s.end.After(out[n-1].end) {
					out[n-1].end = s.end
				}
				continue
			}
			out = append(out, s)
		}
	}
	return slices.DeleteFunc(out, func(s span) bool { return !s.end.After(from) || !s.start.Before(to) })
}

// atMinute is minute m after midnight of day (local), 1440 being the next
// midnight.
func atMinute(day time.Time, m int) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), m/60, m%60, 0, 0, day.Location())
}

func describeHours(hours []OpeningHours) string {
	list := slices.Clone(hours)
	slices.SortFunc(list, func(a, b OpeningHours) int {
		if c := mondayFirst(a.Day) - mondayFirst(b.Day); c != 0 {
			return c
		}
		return a.Open - b.Open
	})
	parts := make([]string, 0, len(list))
	for _, o := range list {
		parts = append(parts, fmt.Sprintf("%s %s-%s", o.Day.String()[:3], clock(o.Open), clock(o.Close)))
	}
	return strings.Join(parts, ", ")
}

// mondayFirst numbers the days of an ISO week: Monday 0 ... Sunday 6.
func mondayFirst(d time.Weekday) int { return (int(d) + 6) % 7 }

// clock is minute m of a day as "HH:MM".
func clock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// policyUpdate is what an update of a policy may name, and how each field
// is set.
var policyUpdate = fieldmask.Update[Policy]{
	Resource: "policy",
	Fields: []fieldmask.Field[Policy]{
		fieldmask.List("opening_hours", func(p *Policy) *[]OpeningHours { return &p.OpeningHours }),
		fieldmask.List("blackouts", func(p *Policy) *[]Blackout { return &p.Blackouts }),
		fieldmask.Value("min_notice", func(p *Policy) *time.Duration { return &p.MinNotice }),
		fieldmask.Value("max_advance", func(p *Policy) *time.Duration { return &p.MaxAdvance }),
		fieldmask.Value("changeover_buffer", func(p *Policy) **time.Duration { return &p.Buffer }),
		fieldmask.Value("host_weekly_hours", func(p *Policy) *int { return &p.HostWeeklyHours }),
		fieldmask.Value("agency_daily_sessions", func(p *Policy) *int { return &p.AgencyDailySessions }),
		fieldmask.Value("requires_approval", func(p *Policy) *bool { return &p.RequiresApproval }),
		fieldmask.Value("no_show_grace", func(p *Policy) *time.Duration { return &p.NoShowGrace }),
	},
	OutputOnly: []string{"name", "update_time", "etag"},
}

// validatePolicy checks a policy's own fields.
func (r Rules) validatePolicy(p *Policy) error {
	var v fault.Invalid
	if len(p.OpeningHours) > MaxOpeningHours {
		v.Add("policy.opening_hours", "at most %d entries, got %d", MaxOpeningHours, len(p.OpeningHours))
	}
	for i, o := range p.OpeningHours {
		field := fmt.Sprintf("policy.opening_hours[%d]", i)
		switch {
		case o.Day < time.Sunday || o.Day > time.Saturday:
			v.Add(field+".day_of_week", "is required")
		case o.Open < 0 || o.Open >= minutesPerDay:
			v.Add(field+".open_time", "must be a time of day from 00:00 to 23:59")
		case o.Close <= o.Open || o.Close > minutesPerDay:
			v.Add(field+".close_time", "must be after open_time (%s), at most 24:00", clock(o.Open))
		default:
			for j, other := range p.OpeningHours[:i] {
				if other.Day == o.Day && o.Open < other.Close && other.Open < o.Close {
					v.Add(field, "overlaps opening_hours[%d] (%s %s-%s)", j, o.Day, clock(other.Open), clock(other.Close))
					break
				}
			}
		}
	}
	if len(p.Blackouts) > MaxBlackouts {
		v.Add("policy.blackouts", "at most %d entries, got %d", MaxBlackouts, len(p.Blackouts))
	}
	for i, b := range p.Blackouts {
		field := fmt.Sprintf("policy.blackouts[%d]", i)
		switch {
		case b.Start.IsZero():
			v.Add(field+".start_time", "is required")
		case b.End.IsZero():
			v.Add(field+".end_time", "is required")
		case !b.End.After(b.Start):
			v.Add(field+".end_time", "must be after start_time")
		}
		if n := utf8.RuneCountInString(b.Reason); n > maxBlackoutReason {
			v.Add(field+".reason", "must be at most %d characters, got %d", maxBlackoutReason, n)
		}
	}
	for _, d := range []struct {
		field string
		value time.Duration
	}{{"policy.min_notice", p.MinNotice}, {"policy.max_advance", p.MaxAdvance}} {
		if d.value < 0 || d.value > r.Horizon {
			v.Add(d.field, "must lie between 0 and the booking horizon (%s), got %s", r.Horizon, d.value)
		}
	}
	if p.MinNotice > 0 && p.MaxAdvance > 0 && p.MinNotice >= p.MaxAdvance {
		v.Add("policy.max_advance", "must be more than min_notice (%s), or nothing could be booked", p.MinNotice)
	}
	if p.Buffer != nil && (*p.Buffer < 0 || *p.Buffer > MaxPolicyBuffer) {
		v.Add("policy.changeover_buffer", "must lie between 0 and %s, got %s", MaxPolicyBuffer, *p.Buffer)
	}
	if p.HostWeeklyHours < 0 || p.HostWeeklyHours > maxHostWeeklyHours {
		v.Add("policy.host_weekly_hours", "must lie between 0 (no quota) and %d, got %d", maxHostWeeklyHours, p.HostWeeklyHours)
	}
	if p.AgencyDailySessions < 0 || p.AgencyDailySessions > maxAgencyDailySessions {
		v.Add("policy.agency_daily_sessions", "must lie between 0 (no quota) and %d, got %d", maxAgencyDailySessions, p.AgencyDailySessions)
	}
	if p.NoShowGrace != 0 && (p.NoShowGrace < MinNoShowGrace || p.NoShowGrace > MaxNoShowGrace) {
		v.Add("policy.no_show_grace", "must lie between %s and %s, got %s", MinNoShowGrace, MaxNoShowGrace, p.NoShowGrace)
	}
	return v.Err()
}
