// Package scheduling holds the session scheduler's rules: who may be booked
// where and when, how bookings may not collide, and how a session moves
// through its lifecycle. It knows neither proto nor bbolt: the store
// implements Repo, internal/upstream implements Directory over gRPC, and
// the rpc package maps the API onto Service.
//
// Where each kind of rule lives: rules.go (the limits, a session's own
// fields, the member rules of a booking, double booking), admit.go (what
// a booking's write transaction checks: the studio's rules of time, double
// booking, the quotas), policy.go (a studio's policy: opening hours,
// blackouts, notice and advance, its bounds), policies.go (reading and
// changing a policy; blackouts over bookings), authz.go (who may book,
// change, approve and set a policy; who waits for approval), lifecycle.go
// (update, the state moves, approval), noshow.go (no-shows and requests
// that lapse, the sweep, and the transactions every rule runs in),
// series.go (recurring series), slots.go (bookable slots), utilisation.go
// (a studio's use), import.go (imported history), reasons.go (the reasons
// of its faults).
package scheduling

import (
	"strings"
	"time"

	"github.com/cqlive/alliance/services/kit/ids"
)

// Domain names this service in ErrorInfo.
const Domain = "session.alliance"

// State of a session; the numbers are alliance.session.v1.SessionState's.
// ENDED, CANCELLED, DECLINED and NO_SHOW are terminal.
type State int

const (
	StateUnspecified State = iota
	StateScheduled
	StateLive
	StateEnded
	StateCancelled
	StatePendingApproval
	StateDeclined
	StateNoShow
)

// LastState is the largest state number.
const LastState = StateNoShow

func (s State) String() string {
	if s < 0 || s > LastState {
		return "UNKNOWN"
	}
	return [...]string{"UNSPECIFIED", "SCHEDULED", "LIVE", "ENDED", "CANCELLED", "PENDING_APPROVAL", "DECLINED", "NO_SHOW"}[s]
}

// Blocks reports whether a session in this state holds its host and studio
// against a new booking: SCHEDULED and LIVE sessions, and requests that
// wait for approval. Cancelling, declining and a no-show free the slot,
// and an ended session is history (which only imported history must
// respect, see Clash).
func (s State) Blocks() bool {
	return s == StateScheduled || s == StateLive || s == StatePendingApproval
}

// confirmed reports whether a session in this state holds its slot for
// sure: what an approval must not collide with (see holds).
func (s State) confirmed() bool { return s == StateScheduled || s == StateLive }

// Platform a session airs on; the numbers follow alliance.type.v1.Platform.
type Platform int

// PlatformOther is the largest known platform number.
const PlatformOther Platform = 7

// Session is one booking of a host into a studio.
type Session struct {
	ID             string
	Title          string
	Host           string // members/{host}
	Studio         string // members/{base}/studios/{studio}
	Merchants      []string
	Products       []string
	Platform       Platform
	PlatformRoomID string
	Start          time.Time
	End            time.Time
	State          State
	ActualStart    time.Time
	ActualEnd      time.Time
	CancelReason   string
	DeclineReason  string
	// Agency is the members/{agency} that managed the host when the
	// session was booked, or "": the agency's quota counts it.
	Agency string
	// Series is the id of the series the session is an occurrence of, or "".
	Series string
	// Asked is when the session's slot (host, studio, times) was asked
	// for: its booking, or the update that last moved it. An approval
	// measures the notice and advance from it. Zero for imported history.
	Asked      time.Time
	CreateTime time.Time
	UpdateTime time.Time
	Revision   uint64
}

// Name is sessions/{id}.
func (s *Session) Name() string { return SessionName(s.ID) }

// Base is the members/{base} that owns the session's studio.
func (s *Session) Base() string {
	base, _, _ := ParseStudioName(s.Studio)
	return base
}

// Length is the planned length.
func (s *Session) Length() time.Duration { return s.End.Sub(s.Start) }

// SessionName is sessions/{id}.
func SessionName(id string) string { return "sessions/" + id }

// ParseSessionName returns the id of sessions/{id}, or "".
func ParseSessionName(name string) string { return idIn("sessions/", name) }

// idIn returns the id of a name collection{id} of a top-level collection
// ("sessions/"), or "" when name is not one.
func idIn(collection, name string) string {
	id, ok := strings.CutPrefix(name, collection)
	if !ok || id == "" || strings.Contains(id, "/") {
		return ""
	}
	return id
}

// ValidMemberName reports whether name is members/{id} with an id in the
// registry's alphabet (which also keeps index keys unambiguous).
func ValidMemberName(name string) bool {
	id, ok := strings.CutPrefix(name, "members/")
	return ok && ids.Valid(id)
}

// ParseStudioName splits members/{base}/studios/{studio} into the base's
// name members/{base} and the studio id; ok is false for anything else.
func ParseStudioName(name string) (base, studioID string, ok bool) {
	p := strings.Split(name, "/")
	if len(p) != 4 || p[0] != "members" || p[2] != "studios" || !ids.Valid(p[1]) || !ids.Valid(p[3]) {
		return "", "", false
	}
	return "members/" + p[1], p[3], true
}

// ParseProductName splits members/{merchant}/products/{product}; the
// merchant comes back as its name members/{merchant}.
func ParseProductName(name string) (merchant string, ok bool) {
	p := strings.Split(name, "/")
	if len(p) != 4 || p[0] != "members" || p[2] != "products" || !ids.Valid(p[1]) || !ids.Valid(p[3]) {
		return "", false
	}
	return "members/" + p[1], true
}
