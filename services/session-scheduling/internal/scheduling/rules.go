package scheduling

import (
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/ids"
)

// Reasons this service puts in ErrorInfo.
const (
	ReasonSessionNotFound        = "SESSION_NOT_FOUND"
	ReasonSessionAlreadyExists   = "SESSION_ALREADY_EXISTS"
	ReasonHostNotFound           = "HOST_NOT_FOUND"
	ReasonHostNotActive          = "HOST_NOT_ACTIVE"
	ReasonWrongMemberKind        = "WRONG_MEMBER_KIND"
	ReasonStudioNotFound         = "STUDIO_NOT_FOUND"
	ReasonBaseNotActive          = "BASE_NOT_ACTIVE"
	ReasonMerchantNotFound       = "MERCHANT_NOT_FOUND"
	ReasonMerchantNotActive      = "MERCHANT_NOT_ACTIVE"
	ReasonProductNotOffered      = "PRODUCT_NOT_OFFERED"
	ReasonHostDoubleBooked       = "HOST_DOUBLE_BOOKED"
	ReasonStudioDoubleBooked     = "STUDIO_DOUBLE_BOOKED"
	ReasonInvalidStateTransition = "INVALID_STATE_TRANSITION"
	ReasonSessionNotScheduled    = "SESSION_NOT_SCHEDULED"
	ReasonTooEarlyToStart        = "TOO_EARLY_TO_START"
	ReasonETagMismatch           = "ETAG_MISMATCH"
	ReasonImmutableField         = "IMMUTABLE_FIELD"
)

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
func Clash(s, other *Session, buffer time.Duration) Conflict {
	if !holds(s, other) || other.ID == s.ID {
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
// concerned. A booking meets only SCHEDULED and LIVE sessions: cancelling
// frees a slot, and an ended session is past. A historical record (an
// ENDED session from ImportSessions) also meets ENDED sessions, so that
// imported history cannot double-book either. A CANCELLED record held
// nothing and meets nothing.
func holds(s, other *Session) bool {
	switch s.State {
	case StateEnded:
		return other.State.Blocks() || other.State == StateEnded
	case StateCancelled:
		return false
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
	}
	switch {
	case s.Start.IsZero():
		v.Add("session.start_time", "is required")
	case s.End.IsZero():
		v.Add("session.end_time", "is required")
	case !s.End.After(s.Start):
		v.Add("session.end_time", "must be after start_time")
	case s.Length() < r.MinLength:
		v.Add("session.end_time", "the session lasts %s; the shortest allowed is %s", s.Length(), r.MinLength)
	case s.Length() > r.MaxLength:
		v.Add("session.end_time", "the session lasts %s; the longest allowed is %s", s.Length(), r.MaxLength)
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

func checkETag(given string, s *Session) error {
	if given != "" && given != ids.ETag(s.Revision) {
		return fault.New(fault.Aborted, ReasonETagMismatch,
			"%s changed since etag %q was read; read it again and retry", s.Name(), given)
	}
	return nil
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
