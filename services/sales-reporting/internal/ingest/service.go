package ingest

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// Line is one sale on its way to a commit, with what attribution
// found for it. It points into the slice the caller submitted: a line of
// an import is some 60 bytes, not a copy of its sale.
type Line struct {
	Sale    *Sale
	err     error
	session *Session
	product *Product
	refused bool // the caller may not record for the session
}

// Permit says whether the caller may record sales of a session, judged on
// the session as attribution resolved it (Attr: host, agency, base,
// district; Merchants). Nil permits everything (trusted callers); see
// permitFor.
type Permit func(ses *Session) error

// Outcome of one line: the stored sale (new or an identical repeat), or
// the reason it was refused.
type Outcome struct {
	Sale      *Sale
	Duplicate bool
	Err       error
}

// Ticket is a submitted group of lines; Wait returns once all are durable
// (or refused).
type Ticket struct {
	permit Permit
	now    time.Time // the time the session rules are judged at
	lines  []Line
	out    []Outcome
	done   chan struct{}
}

// Wait blocks until the lines are judged and committed.
func (t *Ticket) Wait() []Outcome { <-t.done; return t.out }

// Config of the service.
type Config struct {
	Currency string
	Location *time.Location
	Now      func() time.Time
	// MaxCommit bounds the lines of one transaction (default 40,000).
	// Imports fill it: each commit of sales.db costs two fsyncs, which a
	// busy disk takes 100-500 ms for, and fewer larger commits keep a bulk
	// load from waiting on them.
	MaxCommit int
	// DependencyTimeout bounds each attempt of a lookup, so that a stuck
	// call is given up (and, in an import, asked again); 0: no bound of its own.
	DependencyTimeout time.Duration
	// ImportPatience is how long an import retries a dependency that is
	// slow or down, at most (default 30s; see Patience).
	ImportPatience time.Duration
}

// Service ingests sales. Its writes go through kit/boltdb's group commit:
// whatever tickets are queued while a commit is on disk are judged
// together in the next transaction (up to MaxCommit lines), so concurrent
// callers share one fsync, and one goroutine at a time owns the write
// transaction.
type Service struct {
	repo   Repo
	engine *report.Engine
	cfg    Config
	res    *resolver
	group  *boltdb.Group[*Ticket]
	// Traffic snapshots (metrics.go): nil metrics when the repo keeps none.
	metrics MetricsRepo
	mgroup  *boltdb.Group[*MetricsTicket]

	// Snapshots the batch function knows to be in the store as they are (batches
	// only; forgetting one costs one more write of it).
	storedSessions map[string]*Session
	storedProducts map[string]*Product

	// committed takes each group, in commit order, to the goroutine that
	// applies its deltas to the engine and then releases its waiters
	// (applyCommitted): the next group is judged meanwhile.
	committed chan committedGroup
	applied   chan struct{}
	// freeDeltas are groups' delta slices the engine is done with: an
	// import's group of 20,000 lines has some 5 MB of them, which the
	// collector had to take back after every commit.
	freeDeltas chan []report.Delta
	closeOnce  sync.Once
}

type committedGroup struct {
	deltas []report.Delta
	group  []*Ticket
}

// NewService makes the service and its group commit.
func NewService(repo Repo, dir Directory, engine *report.Engine, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxCommit <= 0 {
		cfg.MaxCommit = 40000
	}
	if cfg.ImportPatience <= 0 {
		cfg.ImportPatience = 30 * time.Second
	}
	s := &Service{
		repo: repo, engine: engine, cfg: cfg, res: newResolver(dir, repo, cfg.Now, cfg.DependencyTimeout),
		storedSessions: map[string]*Session{}, storedProducts: map[string]*Product{},
	}
	s.committed, s.applied = make(chan committedGroup, 2), make(chan struct{})
	s.freeDeltas = make(chan []report.Delta, 2)
	go s.applyCommitted()
	s.group = boltdb.NewGroup(cfg.MaxCommit, s.commit)
	s.metrics, _ = repo.(MetricsRepo)
	s.mgroup = s.newMetricsGroup()
	return s
}

// Close lets queued work commit, then refuses more.
func (s *Service) Close() error {
	s.closeOnce.Do(func() {
		s.group.Close()
		close(s.committed)
		<-s.applied
		s.mgroup.Close()
	})
	return nil
}

// Submit validates and attributes sales and queues them for commit; the
// service keeps sales until the ticket is done, and the caller must not
// change them meanwhile. An
// invalid or unattributable line is refused on its own, and so is a line
// of a session the caller may not record for (permitFor); a dependency
// that is down fails the whole call, and nothing of it is queued.
func (s *Service) Submit(ctx context.Context, sales []Sale) (*Ticket, error) {
	return s.submit(ctx, sales, nil)
}

// NewPatience is the patience of one import that starts now, under ctx
// (its stream's context).
func (s *Service) NewPatience(ctx context.Context) *Patience {
	return newPatience(ctx, s.cfg.ImportPatience)
}

// SubmitPatiently is Submit for imports: lookups that fail are retried
// with p, and those that still fail refuse only the lines they concern
// (UNAVAILABLE). Its error is only that the service is shutting down.
func (s *Service) SubmitPatiently(ctx context.Context, sales []Sale, p *Patience) (*Ticket, error) {
	return s.submit(ctx, sales, p)
}

func (s *Service) submit(ctx context.Context, sales []Sale, p *Patience) (*Ticket, error) {
	c := callerOf(ctx)
	if !c.known() {
		return nil, errNoCaller
	}
	permit := permitFor(c)
	now := s.cfg.Now()
	t := &Ticket{permit: permit, now: now, lines: make([]Line, len(sales)), out: make([]Outcome, len(sales)), done: make(chan struct{})}
	for i := range sales {
		t.lines[i] = Line{Sale: &sales[i], err: Validate(&sales[i], s.cfg.Currency, "sale.", now)}
	}
	if err := s.res.attribute(ctx, t.lines, now, p); err != nil {
		return nil, err
	}
	// After attribution, so that an unknown session stays NOT_FOUND for
	// everyone; before the commit, so that a refused line meets no stored sale.
	if permit != nil {
		for i := range t.lines {
			l := &t.lines[i]
			if l.err == nil && l.session != nil {
				if err := permit(l.session); err != nil {
					l.err, l.refused = err, true
				}
			}
		}
	}
	if err := s.group.Submit(t, len(t.lines)); err != nil {
		return nil, fault.New(fault.Unavailable, ReasonShuttingDown, "the service is shutting down; nothing was stored, try again")
	}
	return t, nil
}

// Record ingests one sale and returns it once durable; dup reports an
// identical repeat of a stored sale.
func (s *Service) Record(ctx context.Context, sale Sale) (stored *Sale, dup bool, err error) {
	t, err := s.Submit(ctx, []Sale{sale})
	if err != nil {
		return nil, false, err
	}
	o := t.Wait()[0]
	return o.Sale, o.Duplicate, o.Err
}

// commit judges every line of the group in one transaction and commits
// it; applyCommitted then applies the deltas to the engine, and only then
// releases the waiters.
func (s *Service) commit(group []*Ticket) {
	var deltas []report.Delta
	newSessions := map[string]*Session{}
	newProducts := map[string]*Product{}
	createTime := s.cfg.Now()
	lines := 0
	for _, t := range group {
		lines += len(t.lines)
	}
	update := s.repo.Update
	if sr, ok := s.repo.(SizedRepo); ok {
		update = func(fn func(Tx) error) error { return sr.UpdateLines(lines, fn) }
	}
	err := update(func(tx Tx) error {
		deltas = deltas[:0]
		clear(newSessions)
		clear(newProducts)
		totals, err := tx.Totals()
		if err != nil {
			return err
		}
		// Sized for the group at once: growing them line by line was a
		// tenth of an import's commit.
		j := judge{s: s, tx: tx, createTime: createTime, newSessions: newSessions, newProducts: newProducts, totals: totals,
			deltas: s.deltasFor(lines), stored: make([]Sale, 0, lines)}
		for _, t := range group {
			for i := range t.lines {
				o, err := j.line(&t.lines[i], t)
				if err != nil {
					return err
				}
				t.out[i] = o
			}
		}
		deltas = j.deltas
		if len(deltas) == 0 {
			return nil
		}
		return tx.SetTotals(j.totals)
	})
	if err != nil {
		deltas = nil // nothing of the group counts
		for _, t := range group {
			for i := range t.out {
				t.out[i] = Outcome{Err: err}
			}
		}
	} else {
		if len(s.storedSessions) > maxCached {
			clear(s.storedSessions)
		}
		if len(s.storedProducts) > maxCached {
			clear(s.storedProducts)
		}
		for k, v := range newSessions {
			s.storedSessions[k] = v
		}
		for k, v := range newProducts {
			s.storedProducts[k] = v
		}
	}
	s.committed <- committedGroup{deltas: deltas, group: group}
}

// applyCommitted applies each committed group's deltas to the engine and
// then releases its waiters, in commit order: an answered sale is in the
// reports, and so is every sale committed before it.
func (s *Service) applyCommitted() {
	defer close(s.applied)
	for c := range s.committed {
		if len(c.deltas) > 0 {
			s.engine.Apply(c.deltas)
			// Apply keeps nothing of the slice: the next group may have it.
			select {
			case s.freeDeltas <- c.deltas[:0]:
			default:
			}
		}
		for _, t := range c.group {
			close(t.done)
		}
	}
}

// deltasFor returns an empty slice for the deltas of a group of lines.
func (s *Service) deltasFor(lines int) []report.Delta {
	select {
	case d := <-s.freeDeltas:
		if cap(d) >= lines {
			return d
		}
	default:
	}
	return make([]report.Delta, 0, lines)
}

type judge struct {
	s           *Service
	tx          Tx
	createTime  time.Time
	deltas      []report.Delta
	newSessions map[string]*Session
	newProducts map[string]*Product
	// totals are the alliance's sums with this commit's lines so far.
	totals report.Sums
	// stored holds the new sales the outcomes point to, one allocation
	// for the group rather than one per line.
	stored []Sale
	// lastSession and lastProduct are the snapshots snapshots saw last,
	// stored or put by this group: an import's lines come a session at a
	// time, and two map lookups each for every line were a tenth of
	// judging it.
	lastSession *Session
	lastProduct *Product
}

// line applies every rule to one line inside the transaction, so lines of
// one commit see each other (a refund after its order, two copies of one
// external id). A refusal is an Outcome; an error aborts the commit.
func (j *judge) line(l *Line, t *Ticket) (Outcome, error) {
	permit := t.permit
	if fe, ok := fault.As(l.err); l.refused || ok && fe.Code == fault.InvalidArgument {
		return Outcome{Err: l.err}, nil
	}
	stored, err := j.tx.SaleByKey(l.Sale.Platform, l.Sale.ExternalID)
	if err != nil {
		return Outcome{}, err
	}
	if stored != nil && permit != nil {
		// A stored sale of a session the caller has no part in is none of
		// its business: neither returned as a repeat nor named.
		ses, _, err := j.s.res.snapshot(j.tx, stored.Session, stored.Product)
		if err != nil {
			return Outcome{}, err
		}
		if ses == nil || permit(ses) != nil {
			if l.err != nil {
				return Outcome{Err: l.err}, nil
			}
			return Outcome{Err: fault.New(fault.AlreadyExists, ReasonExternalIDReused,
				"external_id %q on %s was already recorded for another session", l.Sale.ExternalID, l.Sale.Platform)}, nil
		}
	}
	if stored != nil {
		if !samePayload(stored, l.Sale) {
			return Outcome{Err: fault.New(fault.AlreadyExists, ReasonExternalIDReused,
				"external_id %q on %s was already recorded as %s with a different payload", l.Sale.ExternalID, l.Sale.Platform, stored.Name()).
				With("sale", stored.Name())}, nil
		}
		if err := j.s.attach(j.tx, stored); err != nil {
			return Outcome{}, err
		}
		return Outcome{Sale: stored, Duplicate: true}, nil
	}
	if l.err != nil {
		return Outcome{Err: l.err}, nil
	}
	if err := checkSession(l.session, l.Sale, t.now); err != nil {
		return Outcome{Err: err}, nil
	}
	if l.product == nil {
		// Attribution and judgement use one time, so a line the session
		// refused then is refused now; never guess if that ever breaks.
		return Outcome{Err: fault.New(fault.Unavailable, ReasonRetry, "the line could not be attributed; send it again")}, nil
	}
	sale := j.newSale(l)
	var refunded struct {
		order    *Sale
		qty, amt int64
	}
	if sale.Kind == report.Refund {
		order, err := j.tx.SaleByKey(sale.Platform, sale.RefundOf)
		if err != nil {
			return Outcome{}, err
		}
		visible := true
		if order != nil && order.Session != sale.Session && permit != nil {
			ses, _, err := j.s.res.snapshot(j.tx, order.Session, order.Product)
			if err != nil {
				return Outcome{}, err
			}
			visible = ses != nil && permit(ses) == nil
		}
		var qty, amt int64
		if order != nil && order.Session == sale.Session {
			if qty, amt, err = j.tx.Refunded(order.ID); err != nil {
				return Outcome{}, err
			}
		}
		if err := checkRefund(order, sale, qty, amt, visible); err != nil {
			return Outcome{Err: err}, nil
		}
		refunded.order, refunded.qty, refunded.amt = order, qty+sale.Quantity, amt+sale.Amount
	}
	sale.Attr = Attribution(l.session, l.product)
	d := report.Delta{
		Session: sale.Session, Product: sale.Product, Attr: sale.Attr,
		Day: report.DayOf(sale.EventTime, j.s.cfg.Location), EventTime: sale.EventTime,
		Kind: sale.Kind, Quantity: sale.Quantity, Amount: sale.Amount,
	}
	// Judged before anything of the line is written: a line that would
	// take a total past int64 is refused, not stored.
	totals := j.totals
	if !totals.Add(d) {
		return Outcome{Err: fault.New(fault.FailedPrecondition, ReasonTotalOverflow,
			"counting this line would take the alliance's totals past the largest figure the reports can hold (%d)", int64(math.MaxInt64))}, nil
	}
	if refunded.order != nil {
		if err := j.tx.SetRefunded(refunded.order.ID, refunded.qty, refunded.amt); err != nil {
			return Outcome{}, err
		}
	}
	if sale.ID, err = j.tx.NextID(); err != nil {
		return Outcome{}, err
	}
	sale.CreateTime = j.createTime
	if err := j.snapshots(l.session, l.product); err != nil {
		return Outcome{}, err
	}
	if err := j.tx.PutSale(sale); err != nil {
		return Outcome{}, err
	}
	if err := j.tx.AddToCell(d, sale.Attr); err != nil {
		return Outcome{}, err
	}
	j.totals = totals
	j.deltas = append(j.deltas, d)
	j.stored = j.stored[:len(j.stored)+1]
	return Outcome{Sale: sale}, nil
}

// newSale is a copy of l's sale in the next free place of j.stored, which
// the line takes only if it is stored: a refused line's place is reused.
func (j *judge) newSale(l *Line) *Sale {
	if len(j.stored) == cap(j.stored) {
		j.stored = make([]Sale, 0, max(64, cap(j.stored)))
	}
	s := &j.stored[:len(j.stored)+1][len(j.stored)]
	*s = *l.Sale
	return s
}

// snapshots stores the session's and product's snapshot when the store
// does not hold this version yet: attribution survives a restart without a
// call, and a final session is never asked for again.
func (j *judge) snapshots(ses *Session, p *Product) error {
	if ses != j.lastSession {
		if err := putSnapshot(ses, ses.Name, j.s.storedSessions, j.newSessions, j.tx.PutSession); err != nil {
			return err
		}
		j.lastSession = ses
	}
	if p != j.lastProduct {
		if err := putSnapshot(p, p.Name, j.s.storedProducts, j.newProducts, j.tx.PutProduct); err != nil {
			return err
		}
		j.lastProduct = p
	}
	return nil
}

// putSnapshot writes v, named name, unless it is the version stored or
// already put by this group; put then holds it.
func putSnapshot[T any](v *T, name string, stored, put map[string]*T, write func(*T) error) error {
	if stored[name] == v || put[name] == v {
		return nil
	}
	if err := write(v); err != nil {
		return err
	}
	put[name] = v
	return nil
}

// attach sets a stored sale's attribution from the snapshots it was
// counted with.
func (s *Service) attach(tx ReadTx, sale *Sale) error {
	ses, p, err := s.res.snapshot(tx, sale.Session, sale.Product)
	if ses != nil && p != nil {
		sale.Attr = Attribution(ses, p)
	}
	return err
}

// Get returns a stored sale, to a caller that may see its session.
func (s *Service) Get(ctx context.Context, id uint64) (*Sale, error) {
	c := callerOf(ctx)
	if !c.known() {
		return nil, errNoCaller
	}
	sale, err := s.get(id)
	if c.isMember() && fault.CodeOf(err) == fault.NotFound {
		// Sale names are sequential: a member learns nothing of the ones
		// it may not see, not even whether they exist.
		return nil, errNotYours
	}
	if err != nil {
		return nil, err
	}
	if err := s.MaySeeSession(ctx, sale.Session); err != nil {
		return nil, err
	}
	return sale, nil
}

func (s *Service) get(id uint64) (*Sale, error) {
	var sale *Sale
	err := s.repo.View(func(tx ReadTx) error {
		var err error
		if sale, err = tx.SaleByID(id); err != nil || sale == nil {
			return err
		}
		return s.attach(tx, sale)
	})
	if err != nil {
		return nil, err
	}
	if sale == nil {
		return nil, fault.New(fault.NotFound, ReasonSaleNotFound, "sale %s not found", SaleName(id)).With("name", SaleName(id))
	}
	return sale, nil
}

// List returns a page of sales ordered by event time, then name: of one
// session (or all, session ""), as far as the caller may see them
// (mayList).
func (s *Service) List(ctx context.Context, session string, kind report.Kind, cursor []byte, limit int) ([]*Sale, []byte, error) {
	if err := s.mayList(ctx, session); err != nil {
		return nil, nil, err
	}
	if err := s.repo.SyncIndexes(); err != nil {
		return nil, nil, err
	}
	var out []*Sale
	var next []byte
	err := s.repo.View(func(tx ReadTx) error {
		var err error
		if out, next, err = tx.ListSales(session, kind, cursor, limit); err != nil {
			return err
		}
		for _, sale := range out {
			if err := s.attach(tx, sale); err != nil {
				return err
			}
		}
		return nil
	})
	return out, next, err
}

// SessionExists reports whether session scheduling knows the session.
func (s *Service) SessionExists(ctx context.Context, name string) (bool, error) {
	ses, err := s.Session(ctx, name)
	return ses != nil, err
}

// Session returns the session as attribution sees it (its sales count for
// ses.Attr), or nil when session scheduling does not know it.
func (s *Service) Session(ctx context.Context, name string) (*Session, error) {
	got, err := s.res.sessionsFor(ctx, []string{name}, false, nil)
	if err != nil {
		return nil, err
	}
	return got[name], nil
}
