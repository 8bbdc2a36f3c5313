package ingest

import (
	"context"
	"sync"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
)

// LiveTTL bounds how stale a cached SCHEDULED or LIVE session may be. An
// ENDED or CANCELLED session cannot change, so it is cached forever.
const LiveTTL = 2 * time.Second

type cachedSession struct {
	s       *Session // immutable once published
	fetched time.Time
}

// resolver attributes sales: it caches session and product snapshots, so
// that a million lines of one session cost a handful of calls. Behind the
// memory is the store: a snapshot a sale was ever counted with is in
// sales.db, so after a restart or an eviction it is read back, not asked
// for again. Memory holds only recently used snapshots (maxCached), since
// a year of sessions (184,000) held for ever would make every garbage
// collection of a busy process walk them.
type resolver struct {
	dir  Directory
	repo Repo
	now  func() time.Time
	// timeout bounds each attempt of a lookup (0: the context's alone).
	timeout time.Duration

	mu       sync.RWMutex
	sessions map[string]cachedSession
	products map[string]*Product
}

// maxCached bounds the snapshots held in memory, per kind.
const maxCached = 20000

func newResolver(dir Directory, repo Repo, now func() time.Time, timeout time.Duration) *resolver {
	return &resolver{dir: dir, repo: repo, now: now, timeout: timeout, sessions: map[string]cachedSession{}, products: map[string]*Product{}}
}

// Patience is how long the lookups of one import may keep retrying a
// dependency that is slow or unavailable. An import asks for thousands of
// lines at once: a lookup that times out under load is asked again, with
// backoff, while the import's retry budget and its own deadline last;
// only then are the lines it concerns refused (UNAVAILABLE), and never the
// whole stream. The budget is of time spent retrying, over the whole
// import: a hiccup late in a long import is still retried, and a
// dependency that is down costs the budget once, not once per chunk. Nil
// patience asks once (RecordSale fails fast and lets its caller retry).
type Patience struct {
	mu   sync.Mutex
	left time.Duration
	// until is when retries stop for good: the last tenth of the time the
	// stream had is kept to commit and answer (zero: no deadline).
	until time.Time
}

func newPatience(ctx context.Context, budget time.Duration) *Patience {
	p := &Patience{left: budget}
	if d, ok := ctx.Deadline(); ok {
		p.until = d.Add(-time.Until(d) / 10)
	}
	return p
}

// grant returns how long the next retry may take, its backoff included,
// or 0 when there is no time left for one.
func (p *Patience) grant(backoff, attempt time.Duration) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	g := p.left
	if attempt > 0 {
		g = min(g, backoff+attempt)
	}
	if !p.until.IsZero() {
		g = min(g, time.Until(p.until))
	}
	if g <= backoff {
		return 0
	}
	return g
}

func (p *Patience) spend(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.left -= d
}

// Backoff between patient attempts.
const (
	firstBackoff = 50 * time.Millisecond
	maxBackoff   = time.Second
)

// ask calls f, and with patience calls it again while it fails UNAVAILABLE
// and the patience lasts. Every attempt gets at most r.timeout, so that
// one stuck call cannot use up the caller's deadline.
func (r *resolver) ask(ctx context.Context, p *Patience, f func(context.Context) error) error {
	attempt := func(limit time.Duration) error {
		if limit <= 0 {
			return f(ctx)
		}
		actx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		return f(actx)
	}
	err := attempt(r.timeout)
	if p == nil {
		return err
	}
	for backoff := firstBackoff; err != nil && fault.CodeOf(err) == fault.Unavailable && ctx.Err() == nil; backoff = min(2*backoff, maxBackoff) {
		g := p.grant(backoff, r.timeout)
		if g == 0 {
			break
		}
		began := time.Now()
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			p.spend(time.Since(began))
			return err
		case <-t.C:
		}
		err = attempt(g - backoff)
		p.spend(time.Since(began))
	}
	return err
}

// rememberSession caches s; callers hold r.mu. Over the bound, final
// sessions go first: they are in the store if anything was counted with them.
func (r *resolver) rememberSession(s *Session, fetched time.Time) {
	if len(r.sessions) >= maxCached {
		for k, c := range r.sessions {
			if c.s.State.final() {
				delete(r.sessions, k)
			}
		}
		if len(r.sessions) >= maxCached {
			clear(r.sessions)
		}
	}
	r.sessions[s.Name] = cachedSession{s: s, fetched: fetched}
}

func (r *resolver) rememberProduct(p *Product) {
	if len(r.products) >= maxCached {
		clear(r.products)
	}
	r.products[p.Name] = p
}

// snapshot returns the snapshots a stored sale was counted with, from
// memory or from tx.
func (r *resolver) snapshot(tx ReadTx, session, product string) (*Session, *Product, error) {
	r.mu.RLock()
	s, p := r.sessions[session].s, r.products[product]
	r.mu.RUnlock()
	var err error
	if s == nil {
		if s, err = tx.Session(session); err != nil || s == nil {
			return nil, nil, err
		}
	}
	if p == nil {
		if p, err = tx.Product(product); err != nil || p == nil {
			return nil, nil, err
		}
	}
	return s, p, nil
}

// fromStore caches the stored snapshots of sessions missing from memory.
// Their fetch time is zero: only a final state is trusted without asking.
func (r *resolver) fromStore(names []string) error {
	var found []*Session
	err := r.repo.View(func(tx ReadTx) error {
		for _, n := range names {
			s, err := tx.Session(n)
			if err != nil {
				return err
			}
			if s != nil {
				found = append(found, s)
			}
		}
		return nil
	})
	if err != nil || len(found) == 0 {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range found {
		if _, ok := r.sessions[s.Name]; !ok {
			r.rememberSession(s, time.Time{})
		}
	}
	return nil
}

// sessionsFor returns a snapshot of every known name; force asks session
// scheduling again even for fresh entries (but never for final ones). When
// a lookup fails, it returns the error with what it has: the names it
// had to ask for map to nil.
func (r *resolver) sessionsFor(ctx context.Context, names []string, force bool, p *Patience) (map[string]*Session, error) {
	now := r.now()
	var missing []string
	r.mu.RLock()
	for _, n := range names {
		if _, ok := r.sessions[n]; !ok {
			missing = append(missing, n)
		}
	}
	r.mu.RUnlock()
	if len(missing) > 0 {
		if err := r.fromStore(missing); err != nil {
			return nil, err
		}
	}
	out := make(map[string]*Session, len(names))
	var fetch []string
	r.mu.RLock()
	for _, n := range names {
		if _, done := out[n]; done {
			continue
		}
		c, ok := r.sessions[n]
		if ok && (c.s.State.final() || (!force && now.Sub(c.fetched) < LiveTTL)) {
			out[n] = c.s
			continue
		}
		out[n] = nil
		fetch = append(fetch, n)
	}
	r.mu.RUnlock()
	if len(fetch) == 0 {
		return out, nil
	}
	var infos map[string]SessionInfo
	if err := r.ask(ctx, p, func(ctx context.Context) (err error) {
		infos, err = r.dir.Sessions(ctx, fetch)
		return err
	}); err != nil {
		return out, err
	}
	// Attribution is taken once per session and then kept: only the members
	// of sessions seen for the first time are looked up.
	var members []string
	frozen := make(map[string]SessionAttr, len(infos))
	r.mu.RLock()
	for _, info := range infos {
		if old, known := r.sessions[info.Name]; known {
			frozen[info.Name] = old.s.Attr
		} else {
			members = append(members, info.Host, BaseOf(info.Studio))
		}
	}
	r.mu.RUnlock()
	var ms map[string]MemberInfo
	if len(members) > 0 {
		if err := r.ask(ctx, p, func(ctx context.Context) (err error) {
			ms, err = r.dir.Members(ctx, members)
			return err
		}); err != nil {
			return out, err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range fetch {
		info, ok := infos[n]
		if !ok {
			delete(out, n)
			continue
		}
		s := &Session{
			Name: info.Name, State: info.State, Platform: info.Platform,
			ActualStart: info.ActualStart, ActualEnd: info.ActualEnd,
			Products: info.Products, Merchants: info.Merchants,
		}
		if attr, known := frozen[n]; known {
			s.Attr = attr
		} else {
			host, base := ms[info.Host], ms[BaseOf(info.Studio)]
			s.Attr = SessionAttr{Host: info.Host, Agency: host.Agency, Official: host.Official,
				Base: BaseOf(info.Studio), Studio: info.Studio, District: base.District}
		}
		r.rememberSession(s, now)
		out[n] = s
	}
	return out, nil
}

// product returns the snapshot of a product, fetching it once.
func (r *resolver) product(ctx context.Context, name string, patience *Patience) (*Product, error) {
	r.mu.RLock()
	p := r.products[name]
	r.mu.RUnlock()
	if p != nil {
		return p, nil
	}
	err := r.repo.View(func(tx ReadTx) error {
		var err error
		p, err = tx.Product(name)
		return err
	})
	if err != nil {
		return nil, err
	}
	if p != nil {
		r.mu.Lock()
		r.rememberProduct(p)
		r.mu.Unlock()
		return p, nil
	}
	var got Product
	var ok bool
	if err := r.ask(ctx, patience, func(ctx context.Context) (err error) {
		got, ok, err = r.dir.Product(ctx, name)
		return err
	}); err != nil {
		return nil, err
	}
	if !ok {
		return nil, fault.New(fault.NotFound, ReasonProductNotFound, "product %s not found", name).With("product", name)
	}
	got.Name = name
	r.mu.Lock()
	if old := r.products[name]; old != nil {
		p = old
	} else {
		p = &got
		r.rememberProduct(p)
	}
	r.mu.Unlock()
	return p, nil
}

func sessionNotFound(name string) error {
	return fault.New(fault.NotFound, ReasonSessionNotFound, "session %s not found", name).With("session", name)
}

// attribute resolves the session and product of every line that has no
// error yet, judging the session rules at now (the lines' judgement time).
// Without patience, it returns an error when a dependency fails: then
// nothing of the batch may be stored. With patience, it retries, and a
// lookup that still fails becomes the error of the lines it concerns.
func (r *resolver) attribute(ctx context.Context, lines []Line, now time.Time, p *Patience) error {
	// A chunk's lines come a session at a time: each loop below skips
	// its maps for a line of the same session as the line before.
	names := make([]string, 0, 4)
	seen := map[string]bool{}
	for i := range lines {
		if lines[i].err != nil || len(names) > 0 && lines[i].Sale.Session == names[len(names)-1] {
			continue
		}
		if !seen[lines[i].Sale.Session] {
			seen[lines[i].Sale.Session] = true
			names = append(names, lines[i].Sale.Session)
		}
	}
	// failed holds the error of each session whose lookup failed.
	failed := map[string]error{}
	lookup := func(names []string, force bool) (map[string]*Session, error) {
		got, err := r.sessionsFor(ctx, names, force, p)
		if err != nil && p == nil {
			return nil, err
		}
		if err != nil && got == nil {
			got = map[string]*Session{}
			for _, n := range names {
				got[n] = nil
			}
		}
		for n, s := range got {
			if s == nil && err != nil {
				failed[n] = err
			}
		}
		return got, nil
	}
	sessions, err := lookup(names, false)
	if err != nil {
		return err
	}
	// A line the cached state refuses may be right about a session that
	// moved on (SCHEDULED -> LIVE, LIVE -> ENDED): ask once more for those.
	var stale []string
	staleSeen := map[string]bool{}
	for i := range lines {
		l := &lines[i]
		if l.err != nil {
			continue
		}
		s := sessions[l.Sale.Session]
		if s != nil && !s.State.final() && !staleSeen[s.Name] && checkSession(s, l.Sale, now) != nil {
			staleSeen[s.Name] = true
			stale = append(stale, s.Name)
		}
	}
	if len(stale) > 0 {
		fresh, err := lookup(stale, true)
		if err != nil {
			return err
		}
		for _, n := range stale {
			sessions[n] = fresh[n]
		}
	}
	// found are the products this chunk found, by name: each is asked
	// for once, not a line at a time.
	found := map[string]*Product{}
	// last is the session found for the name lastName.
	var last *Session
	var lastName string
	for i := range lines {
		l := &lines[i]
		if l.err != nil {
			continue
		}
		s := last
		if s == nil || lastName != l.Sale.Session {
			if err := failed[l.Sale.Session]; err != nil {
				l.err = err
				continue
			}
			if s = sessions[l.Sale.Session]; s == nil {
				l.err = sessionNotFound(l.Sale.Session)
				continue
			}
		}
		l.session, last, lastName = s, s, l.Sale.Session
		// The product must belong to the session before it is worth a
		// call; the refusal itself is judged in the commit, after the
		// idempotency check.
		if checkSession(s, l.Sale, now) != nil {
			continue
		}
		if prod := found[l.Sale.Product]; prod != nil {
			l.product = prod
			continue
		}
		prod, err := r.product(ctx, l.Sale.Product, p)
		if err != nil {
			if fe, ok := fault.As(err); p != nil || ok && fe.Code != fault.Unavailable {
				l.err = err
				continue
			}
			return err
		}
		l.product, found[l.Sale.Product] = prod, prod
	}
	return nil
}
