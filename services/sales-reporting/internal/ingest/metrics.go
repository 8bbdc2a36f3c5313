package ingest

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/timekey"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// Session traffic: a platform's cumulative counters of one session as of a
// time (views, viewers, likes, product clicks, ...). The rules are those of
// sales where they can be (the session's parties record, for a LIVE or
// ENDED session of the same platform; an identical repeat is a no-op), and
// those of counters where sales have none: a session's snapshots, in as_of
// order, never go down.

// Bounds of a snapshot.
const (
	// MaxCounter bounds every counter: the largest live sessions count
	// views in the hundreds of millions; 10^12 leaves room and keeps any
	// sum of a year of sessions inside int64.
	MaxCounter = 1_000_000_000_000
	// MaxViewDuration bounds average_view_duration: no session is longer.
	MaxViewDuration = 24 * time.Hour
	// MaxMetricsProducts bounds the per-product entries of one snapshot.
	MaxMetricsProducts = 1000
	// MetricsSettleWindow is how long after a session ended its platform
	// may still send snapshots: platforms settle their figures within days.
	MetricsSettleWindow = 7 * 24 * time.Hour
)

// Reasons of session traffic.
var (
	// A snapshot would make a counter fall between two snapshots in as_of order.
	ReasonMetricsDecreased = reasons.Define("METRICS_DECREASED")
	// Another payload at the same (session, as_of).
	ReasonMetricsAsOfReused = reasons.Define("METRICS_AS_OF_REUSED")
	ReasonMetricsNotFound   = reasons.Define("METRICS_NOT_FOUND")
)

// ProductTraffic is the impressions and clicks of one product of a session.
type ProductTraffic struct {
	Product             string
	Impressions, Clicks int64
}

// SessionMetrics is one snapshot. Products are ordered by product once
// validated (Normalize), so that two payloads compare field by field.
type SessionMetrics struct {
	Session                               string
	Platform                              string
	AsOf                                  time.Time
	Views, Viewers, PeakConcurrentViewers int64
	AverageViewDuration                   time.Duration
	Likes, Comments, Shares, NewFollowers int64
	ProductImpressions, ProductClicks     int64
	Products                              []ProductTraffic
	CreateTime                            time.Time // set by the service
	// The session as the reports count the snapshot: set by the service
	// from the session at commit, and stored with it.
	SessionStart time.Time
	Attr         SessionAttr
}

// TrafficOf places a stored snapshot for the report engine: on the local
// day (in loc) of its session's actual start, under its attribution.
func TrafficOf(m *SessionMetrics, loc *time.Location) report.Traffic {
	a := m.Attr
	return report.Traffic{
		Session: m.Session, Day: report.DayOf(m.SessionStart, loc), AsOf: m.AsOf,
		Attr: report.Attribution{Host: a.Host, Agency: a.Agency, Base: a.Base, Studio: a.Studio, District: a.District,
			Official: a.Official, Platform: m.Platform},
		Views: m.Views, Viewers: m.Viewers, PeakConcurrentViewers: m.PeakConcurrentViewers,
		ProductImpressions: m.ProductImpressions, ProductClicks: m.ProductClicks, AverageViewDuration: m.AverageViewDuration,
	}
}

// MetricsName is sessions/{s}/metrics of a session.
func MetricsName(session string) string { return session + "/metrics" }

// ParseMetricsName returns the session of sessions/{s}/metrics, or false.
func ParseMetricsName(name string) (string, bool) {
	ses, ok := strings.CutSuffix(name, "/metrics")
	return ses, ok && ValidSessionName(ses)
}

// counter is one monotone counter of a snapshot, by its API field name.
type counter struct {
	field string
	v     int64
}

// counters are the figures that only grow (average_view_duration is the
// one that may fall, so it is not among them); a product's are named
// products[i].
func (m *SessionMetrics) counters() []counter {
	return []counter{
		{"views", m.Views}, {"viewers", m.Viewers}, {"peak_concurrent_viewers", m.PeakConcurrentViewers},
		{"likes", m.Likes}, {"comments", m.Comments}, {"shares", m.Shares}, {"new_followers", m.NewFollowers},
		{"product_impressions", m.ProductImpressions}, {"product_clicks", m.ProductClicks},
	}
}

// sameMetrics reports whether b repeats a (CreateTime aside).
func sameMetrics(a, b *SessionMetrics) bool {
	return a.Session == b.Session && a.Platform == b.Platform && a.AsOf.Equal(b.AsOf) &&
		slices.Equal(a.counters(), b.counters()) && a.AverageViewDuration == b.AverageViewDuration &&
		slices.Equal(a.Products, b.Products)
}

// ValidateMetrics checks the shape of a snapshot judged at now and orders
// its products; prefix names it in field paths ("metrics.").
func ValidateMetrics(m *SessionMetrics, prefix string, now time.Time) error {
	var v fault.Invalid
	checkSessionName(&v, prefix+"session", m.Session)
	if m.Platform == "" {
		v.Add(prefix+"platform", "is required")
	}
	switch t := m.AsOf; {
	case t.IsZero():
		v.Add(prefix+"as_of", "is required")
	case !timekey.Check(t):
		v.Add(prefix+"as_of", "must lie within 0001-01-01 and 9999-12-31, the range of a google.protobuf.Timestamp")
	case t.Before(HistoryStart):
		v.Add(prefix+"as_of", "must not be before %s, got %s", HistoryStart.Format(time.RFC3339), stampOf(t))
	case t.After(now.Add(ClockSkew)):
		v.Add(prefix+"as_of", "must not lie in the future (more than %s after now, %s), got %s", ClockSkew, stampOf(now), stampOf(t))
	}
	bound := func(field string, x int64) {
		if x < 0 || x > MaxCounter {
			v.Add(prefix+field, "must be 0 to %d, got %d", int64(MaxCounter), x)
		}
	}
	for _, c := range m.counters() {
		bound(c.field, c.v)
	}
	if m.Viewers > m.Views {
		v.Add(prefix+"viewers", "unique viewers (%d) cannot exceed views (%d)", m.Viewers, m.Views)
	}
	if m.PeakConcurrentViewers > m.Viewers {
		v.Add(prefix+"peak_concurrent_viewers", "the peak (%d) cannot exceed the unique viewers (%d)", m.PeakConcurrentViewers, m.Viewers)
	}
	if m.ProductClicks > m.ProductImpressions {
		v.Add(prefix+"product_clicks", "clicks (%d) cannot exceed impressions (%d)", m.ProductClicks, m.ProductImpressions)
	}
	if d := m.AverageViewDuration; d < 0 || d > MaxViewDuration {
		v.Add(prefix+"average_view_duration", "must be 0 to %s, got %s", MaxViewDuration, d)
	}
	if len(m.Products) > MaxMetricsProducts {
		v.Add(prefix+"products", "at most %d entries, got %d", MaxMetricsProducts, len(m.Products))
	} else {
		seen := make(map[string]bool, len(m.Products))
		var impressions, clicks int64 // of at most 1,000 entries of at most 10^12: no overflow
		for i, p := range m.Products {
			impressions, clicks = impressions+p.Impressions, clicks+p.Clicks
			f := prefix + "products[" + itoa(i) + "]."
			switch {
			case !validProductName(p.Product):
				v.Add(f+"product", "must be a product name members/{merchant}/products/{product}, got %q", p.Product)
			case seen[p.Product]:
				v.Add(f+"product", "%s is listed twice", p.Product)
			}
			seen[p.Product] = true
			bound("products["+itoa(i)+"].impressions", p.Impressions)
			bound("products["+itoa(i)+"].clicks", p.Clicks)
			if p.Clicks > p.Impressions {
				v.Add(f+"clicks", "clicks (%d) cannot exceed impressions (%d)", p.Clicks, p.Impressions)
			}
		}
		// The products are some or all of the session's: their figures
		// add up to at most the session's.
		if impressions > m.ProductImpressions {
			v.Add(prefix+"products", "the products' impressions add up to %d, more than product_impressions (%d)", impressions, m.ProductImpressions)
		}
		if clicks > m.ProductClicks {
			v.Add(prefix+"products", "the products' clicks add up to %d, more than product_clicks (%d)", clicks, m.ProductClicks)
		}
	}
	slices.SortFunc(m.Products, func(a, b ProductTraffic) int { return strings.Compare(a.Product, b.Product) })
	return v.Err()
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}

// checkMetricsSession ties a snapshot to its session: state, platform,
// products, and the window [actual start, actual end + MetricsSettleWindow].
func checkMetricsSession(ses *Session, m *SessionMetrics) error {
	if err := checkTakes(ses, "traffic is", "snapshot", m.Platform); err != nil {
		return err
	}
	for _, p := range m.Products {
		if err := checkProduct(ses, p.Product); err != nil {
			return err
		}
	}
	if m.AsOf.Before(ses.ActualStart) || ses.State == Ended && m.AsOf.After(ses.ActualEnd.Add(MetricsSettleWindow)) {
		latest := "now"
		if ses.State == Ended {
			latest = stampOf(ses.ActualEnd.Add(MetricsSettleWindow))
		}
		return fault.New(fault.FailedPrecondition, ReasonEventOutsideSession,
			"as_of %s is outside session %s's window [%s, %s]", stampOf(m.AsOf), ses.Name, stampOf(ses.ActualStart), latest).
			With("session", ses.Name).With("field", "metrics.as_of")
	}
	return nil
}

// checkOrder holds the counters to their neighbours in as_of order: each
// counter of m is at least prev's and at most next's (either may be nil),
// a product's too (a product of prev missing from m has fallen to 0).
func checkOrder(prev, m, next *SessionMetrics) error {
	below := func(lo, hi *SessionMetrics) (string, int64, int64, bool) {
		lc, hc := lo.counters(), hi.counters()
		for i := range lc {
			if hc[i].v < lc[i].v {
				return lc[i].field, lc[i].v, hc[i].v, true
			}
		}
		for _, p := range lo.Products {
			i, ok := slices.BinarySearchFunc(hi.Products, p.Product, func(x ProductTraffic, name string) int { return strings.Compare(x.Product, name) })
			var q ProductTraffic
			if ok {
				q = hi.Products[i]
			}
			if q.Impressions < p.Impressions {
				return "products[" + p.Product + "].impressions", p.Impressions, q.Impressions, true
			}
			if q.Clicks < p.Clicks {
				return "products[" + p.Product + "].clicks", p.Clicks, q.Clicks, true
			}
		}
		return "", 0, 0, false
	}
	if prev != nil {
		if f, was, now, bad := below(prev, m); bad {
			return fault.New(fault.FailedPrecondition, ReasonMetricsDecreased,
				"%s would fall from %d (as of %s) to %d (as of %s): counters only grow", f, was, stampOf(prev.AsOf), now, stampOf(m.AsOf)).
				With("field", f).With("session", m.Session)
		}
	}
	if next != nil {
		if f, is, later, bad := below(m, next); bad {
			return fault.New(fault.FailedPrecondition, ReasonMetricsDecreased,
				"%s of %d (as of %s) is above the %d of the later snapshot as of %s: counters only grow", f, is, stampOf(m.AsOf), later, stampOf(next.AsOf)).
				With("field", f).With("session", m.Session)
		}
	}
	return nil
}

// MetricsTx is what the traffic rules need of a write transaction.
type MetricsTx interface {
	// MetricsAround returns the stored snapshots of session at as_of, just
	// before it and just after it (nil where there is none).
	MetricsAround(session string, asOf time.Time) (prev, same, next *SessionMetrics, err error)
	PutMetrics(m *SessionMetrics) error
}

// MetricsReadTx reads snapshots.
type MetricsReadTx interface {
	// LatestMetrics returns the snapshot of session with the newest as_of, or nil.
	LatestMetrics(session string) (*SessionMetrics, error)
}

// MetricsRepo is the durable store of snapshots.
type MetricsRepo interface {
	UpdateMetrics(fn func(MetricsTx) error) error
	ViewMetrics(fn func(MetricsReadTx) error) error
}

// MetricsOutcome of one snapshot: the stored one (new or an identical
// repeat), or why it was refused.
type MetricsOutcome struct {
	Metrics   *SessionMetrics
	Duplicate bool
	Err       error
}

// MetricsTicket is a submitted group of snapshots.
type MetricsTicket struct {
	permit Permit
	items  []metricsLine
	out    []MetricsOutcome
	done   chan struct{}
}

type metricsLine struct {
	m       SessionMetrics
	err     error
	session *Session
	refused bool
}

// Wait blocks until the snapshots are judged and committed.
func (t *MetricsTicket) Wait() []MetricsOutcome { <-t.done; return t.out }

// newMetricsGroup is the group commit of snapshots: the same mechanism as
// sales, in a group of its own, so that a burst of one never waits behind
// a batch function of the other.
func (s *Service) newMetricsGroup() *boltdb.Group[*MetricsTicket] {
	return boltdb.NewGroup(s.cfg.MaxCommit, s.commitMetrics)
}

// SubmitMetrics validates snapshots, resolves their sessions (with
// patience p, or none), and queues them for commit.
func (s *Service) SubmitMetrics(ctx context.Context, ms []SessionMetrics, p *Patience) (*MetricsTicket, error) {
	c := callerOf(ctx)
	if !c.known() {
		return nil, errNoCaller
	}
	if s.metrics == nil {
		return nil, fault.New(fault.Unavailable, ReasonShuttingDown, "traffic snapshots are not kept by this server")
	}
	t := &MetricsTicket{permit: permitFor(c), items: make([]metricsLine, len(ms)), out: make([]MetricsOutcome, len(ms)), done: make(chan struct{})}
	now := s.cfg.Now()
	var names []string
	seen := map[string]bool{}
	for i := range ms {
		l := &t.items[i]
		l.m = ms[i]
		l.err = ValidateMetrics(&l.m, "metrics.", now)
		if l.err == nil && !seen[l.m.Session] {
			seen[l.m.Session] = true
			names = append(names, l.m.Session)
		}
	}
	sessions, err := s.res.sessionsFor(ctx, names, false, p)
	if err != nil && p == nil {
		return nil, err
	}
	// A session the cache holds as SCHEDULED (or LIVE, for a snapshot
	// after its end) may have moved on: ask once more for those.
	var stale []string
	for _, n := range names {
		if ses := sessions[n]; ses != nil && !ses.State.final() {
			for i := range t.items {
				if l := &t.items[i]; l.err == nil && l.m.Session == n && checkMetricsSession(ses, &l.m) != nil {
					stale = append(stale, n)
					break
				}
			}
		}
	}
	if len(stale) > 0 {
		fresh, ferr := s.res.sessionsFor(ctx, stale, true, p)
		if ferr != nil && p == nil {
			return nil, ferr
		}
		for _, n := range stale {
			if fresh[n] != nil {
				sessions[n] = fresh[n]
			}
		}
	}
	for i := range t.items {
		l := &t.items[i]
		if l.err != nil {
			continue
		}
		ses := sessions[l.m.Session]
		switch {
		case ses == nil && err != nil:
			l.err = err
		case ses == nil:
			l.err = sessionNotFound(l.m.Session)
		default:
			l.session = ses
			if t.permit != nil {
				if perr := t.permit(ses); perr != nil {
					l.err, l.refused = perr, true
				}
			}
		}
	}
	if err := s.mgroup.Submit(t, len(t.items)); err != nil {
		return nil, fault.New(fault.Unavailable, ReasonShuttingDown, "the service is shutting down; nothing was stored, try again")
	}
	return t, nil
}

// RecordMetrics stores one snapshot once durable; dup reports an identical repeat.
func (s *Service) RecordMetrics(ctx context.Context, m SessionMetrics) (*SessionMetrics, bool, error) {
	t, err := s.SubmitMetrics(ctx, []SessionMetrics{m}, nil)
	if err != nil {
		return nil, false, err
	}
	o := t.Wait()[0]
	return o.Metrics, o.Duplicate, o.Err
}

// commitMetrics judges a group of snapshots in one transaction: snapshots
// of one commit see each other, as sales do.
func (s *Service) commitMetrics(group []*MetricsTicket) {
	createTime := s.cfg.Now()
	var applied []SessionMetrics
	err := s.metrics.UpdateMetrics(func(tx MetricsTx) error {
		applied = applied[:0]
		for _, t := range group {
			for i := range t.items {
				o, err := judgeMetrics(tx, &t.items[i], createTime)
				if err != nil {
					return err
				}
				t.out[i] = o
				if o.Err == nil && !o.Duplicate {
					applied = append(applied, *o.Metrics)
				}
			}
		}
		return nil
	})
	if err != nil {
		for _, t := range group {
			for i := range t.out {
				t.out[i] = MetricsOutcome{Err: err}
			}
		}
	} else if len(applied) > 0 {
		s.applyTraffic(applied)
	}
	for _, t := range group {
		close(t.done)
	}
}

func judgeMetrics(tx MetricsTx, l *metricsLine, createTime time.Time) (MetricsOutcome, error) {
	if l.err != nil {
		return MetricsOutcome{Err: l.err}, nil
	}
	m := l.m
	prev, same, next, err := tx.MetricsAround(m.Session, m.AsOf)
	if err != nil {
		return MetricsOutcome{}, err
	}
	if same != nil {
		if !sameMetrics(same, &m) {
			return MetricsOutcome{Err: fault.New(fault.AlreadyExists, ReasonMetricsAsOfReused,
				"a snapshot of %s as of %s was already recorded with other counters", m.Session, stampOf(m.AsOf)).With("session", m.Session)}, nil
		}
		return MetricsOutcome{Metrics: same, Duplicate: true}, nil
	}
	if err := checkMetricsSession(l.session, &m); err != nil {
		return MetricsOutcome{Err: err}, nil
	}
	if err := checkOrder(prev, &m, next); err != nil {
		return MetricsOutcome{Err: err}, nil
	}
	m.CreateTime = createTime
	m.SessionStart, m.Attr = l.session.ActualStart, l.session.Attr
	if err := tx.PutMetrics(&m); err != nil {
		return MetricsOutcome{}, err
	}
	return MetricsOutcome{Metrics: &m}, nil
}

// LatestMetrics is a session's newest snapshot, to a caller that may see
// the session's sales; NOT_FOUND when none was recorded (SESSION_NOT_FOUND
// for a session scheduling does not know).
func (s *Service) LatestMetrics(ctx context.Context, session string) (*SessionMetrics, error) {
	if err := s.MaySeeSession(ctx, session); err != nil {
		return nil, err
	}
	m, err := s.latestMetrics(session)
	if err != nil || m != nil {
		return m, err
	}
	exists, err := s.SessionExists(ctx, session)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, sessionNotFound(session)
	}
	return nil, fault.New(fault.NotFound, ReasonMetricsNotFound, "no traffic snapshot of %s was recorded", session).With("name", MetricsName(session))
}

// LatestMetricsOf is latestMetrics for callers that already checked the
// caller's reach (the session summary); nil when none.
func (s *Service) LatestMetricsOf(session string) (*SessionMetrics, error) {
	return s.latestMetrics(session)
}

func (s *Service) latestMetrics(session string) (*SessionMetrics, error) {
	if s.metrics == nil {
		return nil, nil
	}
	var m *SessionMetrics
	err := s.metrics.ViewMetrics(func(tx MetricsReadTx) error {
		var err error
		m, err = tx.LatestMetrics(session)
		return err
	})
	return m, err
}

// applyTraffic hands committed snapshots to the report engine.
func (s *Service) applyTraffic(ms []SessionMetrics) {
	batch := make([]report.Traffic, len(ms))
	for i := range ms {
		batch[i] = TrafficOf(&ms[i], s.cfg.Location)
	}
	s.engine.ApplyTraffic(batch)
}
