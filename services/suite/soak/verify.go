package soak

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/service"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// verify checks, through the public API, what the suite holds against
// what the load sent and saw acknowledged. The load has stopped.
func verify(l *load, buffer time.Duration, p *problems) error {
	sales, err := listSales(l)
	if err != nil {
		return err
	}
	checkSales(l.sales, sales, p)
	if err := checkGetSale(l, p); err != nil {
		return err
	}
	sessions, err := listSessions(l)
	if err != nil {
		return err
	}
	checkSessions(l.sessions, sessions, p)
	if err := checkAgreement(l, sales, sessions, buffer, p); err != nil {
		return err
	}
	return checkMembers(l, p)
}

// checkAgreement checks what must hold of the listed sales and sessions
// whatever the load sent, in the live suite as in a restored backup: no
// two sessions clash, the counts and the reports agree with the lists.
func checkAgreement(l *load, sales []*salesv1.Sale, sessions []*sessionv1.Session, buffer time.Duration, p *problems) error {
	for _, c := range clashes(sessions, buffer) {
		p.add(kindClash, "%s", c)
	}
	if err := checkCounts(l, sessions, p); err != nil {
		return err
	}
	return checkReports(l, sales, sessions, p)
}

// --- sales ---

func listSales(l *load) ([]*salesv1.Sale, error) {
	return listAll(l, "ListSales", func(ctx context.Context, token string) (*salesv1.ListSalesResponse, error) {
		return l.c.Sales.ListSales(ctx, &salesv1.ListSalesRequest{PageSize: 1000, PageToken: token})
	}, (*salesv1.ListSalesResponse).GetSales)
}

// checkSales: every acknowledged sale is listed exactly once, with the
// payload sent; nothing else is listed.
func checkSales(sent map[string]*sentSale, listed []*salesv1.Sale, p *problems) {
	byKey := map[string][]*salesv1.Sale{}
	for _, s := range listed {
		k := saleKey(s.GetPlatform(), s.GetExternalId())
		byKey[k] = append(byKey[k], s)
	}
	keys := make([]string, 0, len(sent))
	for k := range sent {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w, got := sent[k], byKey[k]
		switch {
		case len(got) > 1:
			p.add(kindDoubled, "sale %s is listed %d times", k, len(got))
		case len(got) == 0 && w.acked:
			p.add(kindLost, "sale %s was acknowledged (%s) and is not listed", k, w.via)
		case len(got) == 1 && !w.acked:
			p.add(kindPhantom, "sale %s was never acknowledged and is listed as %s", k, got[0].GetName())
		case len(got) == 1 && !sameSale(w.sale, got[0]):
			p.add(kindAltered, "sale %s was sent as %v and is listed as %v", k, w.sale, got[0])
		}
	}
	for k, got := range byKey {
		if _, ok := sent[k]; !ok {
			p.add(kindPhantom, "sale %s (%s) is listed and was never sent", k, got[0].GetName())
		}
	}
}

// sameSale compares the fields a client sends.
func sameSale(sent, got *salesv1.Sale) bool {
	return sent.GetSession() == got.GetSession() && sent.GetProduct() == got.GetProduct() &&
		sent.GetKind() == got.GetKind() && sent.GetQuantity() == got.GetQuantity() &&
		proto.Equal(sent.GetAmount(), got.GetAmount()) && sent.GetPlatform() == got.GetPlatform() &&
		sent.GetExternalId() == got.GetExternalId() && sent.GetRefundOf() == got.GetRefundOf() &&
		sent.GetEventTime().AsTime().Equal(got.GetEventTime().AsTime())
}

// checkGetSale reads every sale RecordSale acknowledged by the name its
// answer gave.
func checkGetSale(l *load, p *problems) error {
	var names []*sentSale
	for _, s := range l.sales {
		if s.acked && s.name != "" {
			names = append(names, s)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	work := make(chan *sentSale)
	for range 4 {
		wg.Go(func() {
			for s := range work {
				got, err := read(l, "GetSale", func(ctx context.Context) (*salesv1.Sale, error) {
					return l.c.Sales.GetSale(ctx, &salesv1.GetSaleRequest{Name: s.name})
				})
				switch {
				case err != nil && grpcCode(err) == "NOT_FOUND":
					p.add(kindLost, "GetSale %s (%s): %v", s.name, s.sale.GetExternalId(), err)
				case err != nil:
					mu.Lock()
					firstErr = fmt.Errorf("GetSale %s: %w", s.name, err)
					mu.Unlock()
				case !sameSale(s.sale, got):
					p.add(kindAltered, "GetSale %s is %v, RecordSale sent %v", s.name, got, s.sale)
				}
			}
		})
	}
	for _, s := range names {
		work <- s
	}
	close(work)
	wg.Wait()
	return firstErr
}

// tally is a recount of listed sales, in the terms of the reports.
type tally struct {
	sessions              map[string]bool
	orders, units         int64
	gross, refunds        int64
	refundLines           int64
	firstEvent, lastEvent time.Time
}

func (t *tally) add(s *salesv1.Sale) {
	if t.sessions == nil {
		t.sessions = map[string]bool{}
	}
	switch s.GetKind() {
	case salesv1.SaleKind_SALE_KIND_ORDER:
		t.sessions[s.GetSession()] = true // a session counts by its orders, not by refunds alone
		t.orders++
		t.units += s.GetQuantity()
		t.gross += s.GetAmount().GetMinorUnits()
	case salesv1.SaleKind_SALE_KIND_REFUND:
		t.refundLines++
		t.refunds += s.GetAmount().GetMinorUnits()
	}
	at := s.GetEventTime().AsTime()
	if t.firstEvent.IsZero() || at.Before(t.firstEvent) {
		t.firstEvent = at
	}
	if at.After(t.lastEvent) {
		t.lastEvent = at
	}
}

func (t *tally) String() string {
	return fmt.Sprintf("sessions %d, orders %d, units %d, gross %d, refunds %d (%d lines), net %d",
		len(t.sessions), t.orders, t.units, t.gross, t.refunds, t.refundLines, t.gross-t.refunds)
}

// diffSummary says how a session summary differs from the recount, or "".
func diffSummary(s *salesv1.SessionSummary, t *tally) string {
	var d []string
	cmp := func(what string, got, want int64) {
		if got != want {
			d = append(d, fmt.Sprintf("%s %d, recount %d", what, got, want))
		}
	}
	cmp("orders", s.GetOrders(), t.orders)
	cmp("units", s.GetUnits(), t.units)
	cmp("gross", s.GetGross().GetMinorUnits(), t.gross)
	cmp("refunds", s.GetRefunds().GetMinorUnits(), t.refunds)
	cmp("net", s.GetNet().GetMinorUnits(), t.gross-t.refunds)
	cmp("refund_count", s.GetRefundCount(), t.refundLines)
	if t.orders+t.refundLines > 0 {
		if !s.GetFirstEventTime().AsTime().Equal(t.firstEvent) || !s.GetLastEventTime().AsTime().Equal(t.lastEvent) {
			d = append(d, fmt.Sprintf("events %s..%s, recount %s..%s", ts(s.GetFirstEventTime()), ts(s.GetLastEventTime()),
				t.firstEvent.Format(time.RFC3339Nano), t.lastEvent.Format(time.RFC3339Nano)))
		}
	}
	return strings.Join(d, "; ")
}

// diffMetrics says how a report row's figures differ from the recount, or "".
func diffMetrics(m *salesv1.Metrics, t *tally) string {
	var d []string
	cmp := func(what string, got, want int64) {
		if got != want {
			d = append(d, fmt.Sprintf("%s %d, recount %d", what, got, want))
		}
	}
	cmp("sessions", m.GetSessions(), int64(len(t.sessions)))
	cmp("orders", m.GetOrders(), t.orders)
	cmp("units", m.GetUnits(), t.units)
	cmp("gross", m.GetGross().GetMinorUnits(), t.gross)
	cmp("refunds", m.GetRefunds().GetMinorUnits(), t.refunds)
	cmp("net", m.GetNet().GetMinorUnits(), t.gross-t.refunds)
	return strings.Join(d, "; ")
}

func ts(t *timestamppb.Timestamp) string { return t.AsTime().Format(time.RFC3339Nano) }

// checkReports compares each session's summary, the report's totals and
// rows by host, the top hosts and the overview with a recount of the
// listed sales (and, for sessions held, of the listed sessions).
func checkReports(l *load, listed []*salesv1.Sale, sessions []*sessionv1.Session, p *problems) error {
	var all tally
	bySession, byHost := map[string]*tally{}, map[string]*tally{}
	into := func(m map[string]*tally, k string, s *salesv1.Sale) {
		if m[k] == nil {
			m[k] = &tally{}
		}
		m[k].add(s)
	}
	for _, s := range listed {
		all.add(s)
		into(bySession, s.GetSession(), s)
		into(byHost, s.GetAttribution().GetHost(), s)
	}
	// Every session that went LIVE, whether or not a sale reached it.
	names := map[string]bool{}
	for _, s := range l.live {
		names[s.name] = true
	}
	for n := range bySession {
		names[n] = true
	}
	for n := range names {
		sum, err := read(l, "GetSessionSummary", func(ctx context.Context) (*salesv1.SessionSummary, error) {
			return l.c.Sales.GetSessionSummary(ctx, &salesv1.GetSessionSummaryRequest{Session: n})
		})
		t := bySession[n]
		if t == nil {
			t = &tally{}
		}
		if err != nil && grpcCode(err) == "NOT_FOUND" && t.orders+t.refundLines == 0 {
			continue // a session without sales may have no summary
		}
		if err != nil {
			return fmt.Errorf("GetSessionSummary %s: %w", n, err)
		}
		if d := diffSummary(sum, t); d != "" {
			p.add(kindReport, "summary of %s: %s", n, d)
		}
	}

	// Report dates are calendar days in sales-reporting's default -time-zone.
	zone, err := service.LoadZone(service.DefaultTimeZone)
	if err != nil {
		return err
	}
	// The sales are from this run: two days either side cover them in any zone.
	today := time.Now().In(zone)
	q := &salesv1.QuerySalesReportRequest{StartDate: today.AddDate(0, 0, -2).Format(time.DateOnly),
		EndDate: today.AddDate(0, 0, 3).Format(time.DateOnly), Granularity: salesv1.Granularity_GRANULARITY_TOTAL,
		GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_HOST}, PageSize: 1000}
	seen := map[string]bool{}
	for {
		resp, err := read(l, "QuerySalesReport", func(ctx context.Context) (*salesv1.QuerySalesReportResponse, error) {
			return l.c.Sales.QuerySalesReport(ctx, q)
		})
		if err != nil {
			return fmt.Errorf("QuerySalesReport: %w", err)
		}
		if q.PageToken == "" {
			if d := diffMetrics(resp.GetTotals(), &all); d != "" {
				p.add(kindReport, "report totals: %s", d)
			}
			if len(listed) > 0 && !resp.GetDataThrough().AsTime().Equal(all.lastEvent) {
				p.add(kindReport, "report data_through %s, newest listed sale %s", ts(resp.GetDataThrough()), all.lastEvent.Format(time.RFC3339Nano))
			}
		}
		for _, row := range resp.GetRows() {
			host := row.GetKeys()[0].GetKey()
			seen[host] = true
			t := byHost[host]
			if t == nil {
				t = &tally{}
			}
			if d := diffMetrics(row.GetMetrics(), t); d != "" {
				p.add(kindReport, "report row of host %s: %s", host, d)
			}
		}
		if q.PageToken = resp.GetNextPageToken(); q.PageToken == "" {
			break
		}
	}
	for host, t := range byHost {
		if !seen[host] {
			p.add(kindReport, "report has no row for host %s; recount %s", host, t)
		}
	}

	top, err := read(l, "ListTopPerformers", func(ctx context.Context) (*salesv1.ListTopPerformersResponse, error) {
		return l.c.Sales.ListTopPerformers(ctx, &salesv1.ListTopPerformersRequest{Dimension: salesv1.Dimension_DIMENSION_HOST,
			Metric: salesv1.Metric_METRIC_NET, StartDate: q.StartDate, EndDate: q.EndDate, Limit: 100})
	})
	if err != nil {
		return fmt.Errorf("ListTopPerformers: %w", err)
	}
	if len(top.GetEntries()) != min(len(byHost), 100) {
		p.add(kindReport, "top hosts lists %d entries, %d hosts sold", len(top.GetEntries()), len(byHost))
	}
	for i, e := range top.GetEntries() {
		t := byHost[e.GetKey()]
		if t == nil {
			p.add(kindReport, "top hosts lists %s, which sold nothing", e.GetKey())
			continue
		}
		if d := diffMetrics(e.GetMetrics(), t); d != "" || e.GetValue() != t.gross-t.refunds {
			p.add(kindReport, "top host %s: value %d, %s; recount %s", e.GetKey(), e.GetValue(), d, t)
		}
		if prev := top.GetEntries()[max(i-1, 0)]; e.GetValue() > prev.GetValue() || int(e.GetRank()) != i+1 {
			p.add(kindReport, "top host %s: rank %d with value %d after %d", e.GetKey(), e.GetRank(), e.GetValue(), prev.GetValue())
		}
	}

	ov, err := read(l, "GetAllianceOverview", func(ctx context.Context) (*salesv1.AllianceOverview, error) {
		return l.c.Sales.GetAllianceOverview(ctx, &salesv1.GetAllianceOverviewRequest{StartDate: q.StartDate, EndDate: q.EndDate})
	})
	if err != nil {
		return fmt.Errorf("GetAllianceOverview: %w", err)
	}
	var held int64
	for _, s := range sessions {
		if s.GetState() == sessionv1.SessionState_SESSION_STATE_ENDED {
			held++ // all of them ended during this run, inside the range
		}
	}
	m := &salesv1.Metrics{Sessions: ov.GetSessionsWithSales(), Orders: ov.GetOrders(),
		Units: all.units, // the overview has no units
		Gross: ov.GetGross(), Refunds: ov.GetRefunds(), Net: ov.GetNet()}
	if d := diffMetrics(m, &all); d != "" || ov.GetSessionsHeld() != held || ov.GetActiveHosts() != int64(len(byHost)) {
		p.add(kindReport, "overview: %s; sessions held %d, %d listed ENDED; active hosts %d, %d sold",
			d, ov.GetSessionsHeld(), held, ov.GetActiveHosts(), len(byHost))
	}
	return nil
}

// --- sessions ---

func listSessions(l *load) ([]*sessionv1.Session, error) {
	return listAll(l, "ListSessions", func(ctx context.Context, token string) (*sessionv1.ListSessionsResponse, error) {
		return l.c.Sessions.ListSessions(ctx, &sessionv1.ListSessionsRequest{PageSize: 1000, PageToken: token})
	}, (*sessionv1.ListSessionsResponse).GetSessions)
}

// checkSessions: every acknowledged booking is listed once, in the state
// its last acknowledged transition left it; no refused booking is listed.
func checkSessions(sent map[string]*sentSession, listed []*sessionv1.Session, p *problems) {
	byName := map[string][]*sessionv1.Session{}
	for _, s := range listed {
		byName[s.GetName()] = append(byName[s.GetName()], s)
	}
	for name, w := range sent {
		got := byName[name]
		switch {
		case len(got) > 1:
			p.add(kindDoubled, "session %s is listed %d times", name, len(got))
		case len(got) == 0 && w.acked:
			p.add(kindLost, "session %s was acknowledged and is not listed", name)
		case len(got) == 1 && w.refused:
			p.add(kindPhantom, "session %s was refused and is listed (%s)", name, got[0].GetState())
		case len(got) == 1 && got[0].GetState() != w.want:
			p.add(kindLost, "session %s is %s; its last acknowledged write made it %s", name, got[0].GetState(), w.want)
		}
	}
	for name := range byName {
		if _, ok := sent[name]; !ok {
			p.add(kindPhantom, "session %s is listed and was never booked", name)
		}
	}
}

// clashes returns the pairs of sessions that break the booking rule. A
// booking meets the sessions that hold their host and studio at that
// moment: SCHEDULED and LIVE ones, and an ENDED one until it ended (a
// CANCELLED one never again). So of two sessions, the one booked later
// must not collide with the earlier one if the earlier one still held
// when the later one was booked: in one studio they stay the changeover
// buffer apart, one host is never in two at once (intervals half-open).
func clashes(ss []*sessionv1.Session, buffer time.Duration) []string {
	holds := func(s *sessionv1.Session) bool {
		switch s.GetState() {
		case sessionv1.SessionState_SESSION_STATE_SCHEDULED, sessionv1.SessionState_SESSION_STATE_LIVE, sessionv1.SessionState_SESSION_STATE_ENDED:
			return true
		}
		return false
	}
	var held []*sessionv1.Session
	for _, s := range ss {
		if holds(s) {
			held = append(held, s)
		}
	}
	sort.Slice(held, func(i, j int) bool {
		return held[i].GetCreateTime().AsTime().Before(held[j].GetCreateTime().AsTime())
	})
	overlaps := func(a, b *sessionv1.Session, gap time.Duration) bool {
		as, ae := a.GetStartTime().AsTime(), a.GetEndTime().AsTime()
		bs, be := b.GetStartTime().AsTime(), b.GetEndTime().AsTime()
		return as.Before(be.Add(gap)) && bs.Before(ae.Add(gap))
	}
	var out []string
	for i, a := range held {
		for _, b := range held[i+1:] { // b was booked after a (or at once)
			if a.GetState() == sessionv1.SessionState_SESSION_STATE_ENDED &&
				!b.GetCreateTime().AsTime().Before(a.GetActualEndTime().AsTime()) {
				continue // booked after a had ended
			}
			switch {
			case a.GetStudio() == b.GetStudio() && overlaps(a, b, buffer):
				out = append(out, fmt.Sprintf("studio %s: %s and %s are closer than %s", a.GetStudio(), span(a), span(b), buffer))
			case a.GetHost() == b.GetHost() && overlaps(a, b, 0):
				out = append(out, fmt.Sprintf("host %s: %s and %s overlap", a.GetHost(), span(a), span(b)))
			}
		}
	}
	return out
}

func span(s *sessionv1.Session) string {
	return fmt.Sprintf("%s (%s, %s to %s)", s.GetName(), s.GetState(), ts(s.GetStartTime()), ts(s.GetEndTime()))
}

// checkCounts compares CountSessions, state by state, with the list.
func checkCounts(l *load, listed []*sessionv1.Session, p *problems) error {
	byState := map[sessionv1.SessionState]int64{}
	for _, s := range listed {
		byState[s.GetState()]++
	}
	for st := sessionv1.SessionState_SESSION_STATE_SCHEDULED; st <= sessionv1.SessionState_SESSION_STATE_CANCELLED; st++ {
		resp, err := read(l, "CountSessions", func(ctx context.Context) (*sessionv1.CountSessionsResponse, error) {
			return l.c.Sessions.CountSessions(ctx, &sessionv1.CountSessionsRequest{State: st})
		})
		if err != nil {
			return fmt.Errorf("CountSessions: %w", err)
		}
		if resp.GetCount() != byState[st] {
			p.add(kindReport, "CountSessions %s = %d, listed %d", st, resp.GetCount(), byState[st])
		}
	}
	return nil
}

// --- members ---

// checkMembers: every acknowledged CreateMember is listed once, and no
// other member of the load's is.
func checkMembers(l *load, p *problems) error {
	seen, err := listHosts(l)
	if err != nil {
		return err
	}
	for name := range l.members {
		switch n := seen[name]; {
		case n == 0:
			p.add(kindLost, "member %s was acknowledged and is not listed", name)
		case n > 1:
			p.add(kindDoubled, "member %s is listed %d times", name, n)
		}
	}
	for name := range seen {
		if strings.HasPrefix(name, "members/soak-m-") && !l.members[name] {
			p.add(kindPhantom, "member %s is listed and was never acknowledged", name)
		}
	}
	return nil
}

// --- files ---

// checkFiles opens every bbolt file under dir read-only (the services
// have stopped) and runs bbolt's consistency check on it. Finding fewer
// than want files is an error too: a check of nothing proves nothing.
// Some corruptions (a page of no known type) make bbolt panic inside
// Check, in a goroutine of its own; the soak then ends with that panic,
// which names the page: a failure too, if not a counted one.
func checkFiles(dir string, want int, p *problems) int {
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".db" {
			return err
		}
		n++
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
		if err != nil {
			p.add(kindCheck, "open %s: %v", path, err)
			return nil
		}
		defer db.Close()
		if err := db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				p.add(kindCheck, "%s: %v", path, err)
			}
			return nil
		}); err != nil {
			p.add(kindCheck, "%s: %v", path, err)
		}
		return nil
	})
	if err != nil {
		p.add(kindCheck, "walk %s: %v", dir, err)
	}
	if n < want {
		p.add(kindCheck, "found %d bbolt files (*.db) under %s, want at least %d", n, dir, want)
	}
	return n
}
