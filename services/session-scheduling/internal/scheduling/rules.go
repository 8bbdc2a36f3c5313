package scheduling

import (
	"context"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/members"
	"github.com/cqlive/alliance/services/kit/text"
)

// Rules are the configurable limits of booking.
type Rules struct {
	// ChangeoverBuffer is the least time between two sessions of one studio.
	ChangeoverBuffer time.Duration
	// MinLength and MaxLength bound a session's planned length.
	MinLength, MaxLength time.Duration
	// StartLeeway is how far in the past a new session may start.
	StartLeeway time.Duration
	// Horizon is how far ahead of now a session may start: the booking
	// horizon. Every timestamp the scheduler stores then lies between
	// HistoryStart and a year or so from now.
	Horizon time.Duration
	// Zone is the alliance's time zone: opening hours, quota weeks and
	// days, recurrences and utilisation dates are local to it. nil is UTC.
	Zone *time.Location
}

func (r Rules) zone() *time.Location {
	if r.Zone == nil {
		return time.UTC
	}
	return r.Zone
}

// DefaultRules are the documented defaults. The horizon is 366 days, so
// that the same date next year can always be booked.
var DefaultRules = Rules{
	ChangeoverBuffer: 15 * time.Minute,
	MinLength:        15 * time.Minute,
	MaxLength:        12 * time.Hour,
	StartLeeway:      time.Minute,
	Horizon:          366 * 24 * time.Hour,
}

// HistoryStart is the earliest start_time of an imported session: the
// alliance's records begin long after it, so an earlier one is a typo.
var HistoryStart = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// ActualSlack bounds how far an imported session's actual times may lie
// outside its planned interval. A day either side allows for a session
// that started early or late or ran long, and keeps out a wrong date.
const ActualSlack = 24 * time.Hour

// EarlyStart is how long before start_time a session may go LIVE.
const EarlyStart = 30 * time.Minute

// MaxSlotWindow bounds FindAvailableSlots, so one call cannot walk years.
const MaxSlotWindow = 31 * 24 * time.Hour

// MetaConflictingSession is the ErrorInfo metadata key that names the
// session a double booking collides with.
const MetaConflictingSession = "conflicting_session"

// Conflict says which resource two bookings fight over.
type Conflict int

const (
	NoConflict Conflict = iota
	StudioConflict
	HostConflict
)

// Clash is the one double-booking rule. It reports whether the existing
// session other keeps s from being booked, given the studio's changeover
// buffer. A session never blocks itself (an update moves it), and what
// blocks depends on what s is (see holds). Intervals are half-open, so a
// host may go straight from one studio to the next; a studio needs `buffer`
// between the end of one session and the start of the next. When both host
// and studio collide, the studio is named: that is the resource the caller
// chose.
func Clash(s, other *Session, buffer time.Duration) Conflict { return clash(s, other, buffer, false) }

// clash is Clash for a booking or, with approving, for the approval of a
// request (see holds).
func clash(s, other *Session, buffer time.Duration, approving bool) Conflict {
	if !holds(s, other, approving) || other.ID == s.ID {
		return NoConflict
	}
	if other.Studio == s.Studio && overlaps(s.Start, s.End, other.Start, other.End, buffer) {
		return StudioConflict
	}
	if other.Host == s.Host && overlaps(s.Start, s.End, other.Start, other.End, 0) {
		return HostConflict
	}
	return NoConflict
}

// holds reports whether other occupies its host and studio as far as s is
// concerned. A booking meets the sessions that block (SCHEDULED, LIVE and
// PENDING_APPROVAL): cancelling, declining and a no-show free a slot, and
// an ended session is past. An approval meets only the confirmed ones
// (SCHEDULED, LIVE): two requests that were apart when they were made but
// meet under the rules of today (a longer buffer) must let one of them be
// approved, and then the first approval blocks the second. A historical
// record (an ENDED session from ImportSessions) also meets ENDED sessions,
// so that imported history cannot double-book either. A CANCELLED or
// NO_SHOW record held nothing and meets nothing.
func holds(s, other *Session, approving bool) bool {
	switch s.State {
	case StateEnded:
		return other.State.Blocks() || other.State == StateEnded
	case StateCancelled, StateNoShow, StateDeclined:
		return false
	}
	if approving {
		return other.State.confirmed()
	}
	return other.State.Blocks()
}

// overlaps reports whether [aStart, aEnd) and [bStart, bEnd) come closer than gap.
func overlaps(aStart, aEnd, bStart, bEnd time.Time, gap time.Duration) bool {
	return aStart.Before(bEnd.Add(gap)) && bStart.Before(aEnd.Add(gap))
}

func conflictError(c Conflict, s, other *Session, buffer time.Duration) error {
	var e *fault.Error
	if c == StudioConflict {
		e = fault.New(fault.FailedPrecondition, ReasonStudioDoubleBooked,
			"studio %s is booked by %s from %s to %s; sessions of one studio need %s between them",
			s.Studio, other.Name(), other.Start.Format(time.RFC3339), other.End.Format(time.RFC3339), buffer)
	} else {
		e = fault.New(fault.FailedPrecondition, ReasonHostDoubleBooked,
			"host %s is already in %s from %s to %s",
			s.Host, other.Name(), other.Start.Format(time.RFC3339), other.End.Format(time.RFC3339))
	}
	return e.With(MetaConflictingSession, other.Name())
}

// validate checks a session's own fields: names, lengths and timing. now is
// nil when the start may lie in the past (an update that keeps start_time).
func (r Rules) validate(s *Session, now *time.Time) error {
	var v fault.Invalid
	r.checkFields(&v, s, now)
	return v.Err()
}

// checkFields adds the violations of validate to v.
func (r Rules) checkFields(v *fault.Invalid, s *Session, now *time.Time) {
	if n := utf8.RuneCountInString(s.Title); n > 200 {
		v.Add("session.title", "must be at most 200 characters, got %d", n)
	} else {
		text.Check(v, "session.title", s.Title)
	}
	if !ValidMemberName(s.Host) {
		v.Add("session.host", "must be a member name members/{host}, got %q", s.Host)
	}
	if _, _, ok := ParseStudioName(s.Studio); !ok {
		v.Add("session.studio", "must be a studio name members/{base}/studios/{studio}, got %q", s.Studio)
	}
	for i, m := range s.Merchants {
		switch {
		case !ValidMemberName(m):
			v.Add(fmt.Sprintf("session.merchants[%d]", i), "must be a member name members/{merchant}, got %q", m)
		case slices.Contains(s.Merchants[:i], m):
			v.Add(fmt.Sprintf("session.merchants[%d]", i), "%s is listed twice", m)
		}
	}
	for i, p := range s.Products {
		if _, ok := ParseProductName(p); !ok {
			v.Add(fmt.Sprintf("session.products[%d]", i), "must be a product name members/{merchant}/products/{product}, got %q", p)
		} else if slices.Contains(s.Products[:i], p) {
			v.Add(fmt.Sprintf("session.products[%d]", i), "%s is listed twice", p)
		}
	}
	if s.Platform == 0 {
		v.Add("session.platform", "is required")
	} else if s.Platform < 0 || s.Platform > PlatformOther {
		v.Add("session.platform", "unknown platform %d", s.Platform)
	}
	if len(s.PlatformRoomID) > 128 {
		v.Add("session.platform_room_id", "must be at most 128 characters")
	} else {
		text.Check(v, "session.platform_room_id", s.PlatformRoomID)
	}
	if checkSpan(v, "session.", "start_time", "end_time", s.Start, s.End) {
		switch {
		case s.Length() < r.MinLength:
			v.Add("session.end_time", "the session lasts %s; the shortest allowed is %s", s.Length(), r.MinLength)
		case s.Length() > r.MaxLength:
			v.Add("session.end_time", "the session lasts %s; the longest allowed is %s", s.Length(), r.MaxLength)
		}
	}
	if now != nil && !s.Start.IsZero() {
		switch {
		case s.Start.Before(now.Add(-r.StartLeeway)):
			v.Add("session.start_time", "must not be in the past (now is %s, leeway %s)", now.Format(time.RFC3339), r.StartLeeway)
		case s.Start.After(now.Add(r.Horizon)):
			v.Add("session.start_time", "lies beyond the booking horizon: a session may start at most %s ahead, until %s",
				r.Horizon, now.Add(r.Horizon).Format(time.RFC3339))
		}
	}
}

func notFound(id string) error {
	name := SessionName(id)
	return fault.New(fault.NotFound, ReasonSessionNotFound, "session %q not found", name).With("name", name)
}

func badTransition(s *Session, to State) error {
	return fault.New(fault.FailedPrecondition, ReasonInvalidStateTransition,
		"%s is %s; it cannot become %s", s.Name(), s.State, to).
		With("state", s.State.String())
}

// checkBooking applies the member rules of a booking (the host, the
// studio, the merchants and products: docs/API.md's rules 1-3) to s by
// asking the registry, and returns the members it read
// (the authorization rules need the host's agency). It runs before the
// write transaction: the registry is another process, and a bbolt write
// transaction must not wait on the network. With active false (imported
// history) a member or product need only exist and be of the right kind:
// a record of 2020 may name a host suspended since.
func checkBooking(ctx context.Context, reg Directory, s *Session, active bool) (map[string]Member, error) {
	base, _, _ := ParseStudioName(s.Studio)
	names := []string{s.Host}
	for _, n := range append([]string{base}, s.Merchants...) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	got, err := fetch(ctx, reg, names, s, base)
	if err != nil {
		return nil, err
	}
	if err := checkHost(got[s.Host], active); err != nil {
		return nil, err
	}
	if err := checkStudio(got[base], s.Studio, active); err != nil {
		return nil, err
	}
	for _, name := range s.Merchants {
		m := got[name]
		if m.Kind != members.Merchant {
			return nil, fault.New(fault.FailedPrecondition, ReasonWrongMemberKind,
				"%s is a %s, not a MERCHANT", name, m.Kind).With("name", name)
		}
		if active && m.State != members.Active {
			return nil, fault.New(fault.FailedPrecondition, ReasonMerchantNotActive,
				"merchant %s is %s; only ACTIVE merchants can sell in a session", name, m.State).With("name", name)
		}
	}
	for _, name := range s.Products {
		merchant, _ := ParseProductName(name)
		notOffered := func(why string) error {
			return fault.New(fault.FailedPrecondition, ReasonProductNotOffered,
				"product %s %s", name, why).With("name", name)
		}
		if !slices.Contains(s.Merchants, merchant) {
			return nil, notOffered(fmt.Sprintf("belongs to %s, which is not one of the session's merchants", merchant))
		}
		p, err := reg.Product(ctx, name)
		if err != nil {
			return nil, err
		}
		switch {
		case p == nil:
			return nil, notOffered("does not exist")
		case active && !p.Active:
			return nil, notOffered("is discontinued")
		}
	}
	return got, nil
}

// fetch gets names from the registry and says, by the role of a missing
// member in s, which rule it breaks.
func fetch(ctx context.Context, reg Directory, names []string, s *Session, base string) (map[string]Member, error) {
	list, err := reg.BatchGet(ctx, names)
	if miss, ok := err.(*MissingMember); ok {
		switch miss.Name {
		case s.Host:
			return nil, fault.New(fault.NotFound, ReasonHostNotFound, "host %s not found", s.Host).With("name", s.Host)
		case base:
			return nil, studioNotFound(s.Studio)
		default:
			return nil, fault.New(fault.NotFound, ReasonMerchantNotFound, "merchant %s not found", miss.Name).With("name", miss.Name)
		}
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]Member, len(list))
	for _, m := range list {
		out[m.Name] = m
	}
	return out, nil
}

func studioNotFound(studio string) error {
	return fault.New(fault.NotFound, ReasonStudioNotFound, "studio %s not found", studio).With("name", studio)
}

// checkHost is rule 1: an ACTIVE HOST (any HOST for history).
func checkHost(m Member, active bool) error {
	if m.Kind != members.Host {
		return fault.New(fault.FailedPrecondition, ReasonWrongMemberKind,
			"%s is a %s, not a HOST", m.Name, m.Kind).With("name", m.Name)
	}
	if active && m.State != members.Active {
		return fault.New(fault.FailedPrecondition, ReasonHostNotActive,
			"host %s is %s; only ACTIVE hosts can be booked", m.Name, m.State).With("name", m.Name)
	}
	return nil
}

// checkStudio is rule 2: a studio of an ACTIVE BASE (any BASE for history).
func checkStudio(base Member, studio string, active bool) error {
	_, studioID, _ := ParseStudioName(studio)
	if base.Kind != members.Base || !slices.Contains(base.Studios, studioID) {
		return studioNotFound(studio)
	}
	if active && base.State != members.Active {
		return fault.New(fault.FailedPrecondition, ReasonBaseNotActive,
			"base %s is %s; only the studios of ACTIVE bases can be booked", base.Name, base.State).With("name", base.Name)
	}
	return nil
}
