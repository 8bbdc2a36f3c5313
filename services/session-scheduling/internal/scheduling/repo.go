package scheduling

import "time"

// Cursor is a position in start-time order: sessions sort by start, then id.
type Cursor struct {
	Start time.Time
	ID    string
}

// IsZero reports whether c is the start of the order.
func (c Cursor) IsZero() bool { return c.Start.IsZero() && c.ID == "" }

// Scan selects sessions by start time through one of the store's indexes.
type Scan struct {
	// At most one of Studio, Host and Agency: the index of that studio,
	// host or agency (the sessions booked for its hosts); none is every
	// session.
	Studio, Host, Agency string
	// Start times in [From, To); a zero bound is open.
	From, To time.Time
	// Resume strictly after this position (zero: from the first).
	After Cursor
}

// Brief is what the host and agency indexes tell of a session without
// reading it: enough to count it against a quota.
type Brief struct {
	ID, Studio string
	Start, End time.Time
	State      State
}

// CountFilter selects sessions for CountSessions. Zero fields are open.
type CountFilter struct {
	State State
	// start_time in [StartFrom, StartTo).
	StartFrom, StartTo time.Time
	// actual_end_time in [EndFrom, EndTo); set only for ENDED sessions.
	EndFrom, EndTo time.Time
}

// Tx is one store transaction. The rules run inside it, so what they
// check and what they write commit together.
type Tx interface {
	// Session returns the session, or nil when there is none.
	Session(id string) (*Session, error)
	// PutSession writes s and keeps every index and counter in step.
	PutSession(s *Session) error
	// Sessions calls fn in (start, id) order; fn returns false to stop.
	Sessions(q Scan, fn func(*Session) bool) error
	// Briefs walks the index of q.Host or q.Agency between q.From and
	// q.To (both set), in (start, id) order, until fn returns false.
	Briefs(q Scan, fn func(Brief) bool) error
	// Longest is the longest planned length of any session ever stored.
	// The conflict check looks back that far, so it holds even after the
	// configured maximum was lowered.
	Longest() (time.Duration, error)
	// Count counts the sessions f selects.
	Count(f CountFilter) (int64, error)
	// Open calls fn for the SCHEDULED and PENDING_APPROVAL sessions that
	// start before `before`, in (start, id) order, until fn returns false:
	// the sessions that may be due to become NO_SHOW or DECLINED.
	Open(before time.Time, fn func(*Session) bool) error

	// Policy returns the studio's policy, or nil when it never had one.
	Policy(studio string) (*Policy, error)
	PutPolicy(p *Policy) error
	// Series returns the series, or nil when there is none.
	Series(id string) (*Series, error)
	PutSeries(s *Series) error

	// Request returns the name a create request id produced, if any.
	Request(key string) (string, error)
	PutRequest(key, name string) error
}

// Repo opens transactions.
type Repo interface {
	View(fn func(Tx) error) error
	Update(fn func(Tx) error) error
}
