package soak

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/suite/internal/dial"
	"github.com/cqlive/alliance/services/suite/internal/layout"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// How the clients wait and resend.
const (
	callTimeout   = 10 * time.Second // one attempt of a unary call
	importTimeout = time.Minute      // one attempt of an import stream
	giveUpAfter   = 2 * time.Minute  // a write still unanswered then is a failure
	resendPause   = 50 * time.Millisecond
)

// The members the load works with (made by setup).
const (
	base       = "soak-base"
	merchant   = "members/soak-farm"
	liveRooms  = 2 // sessions that go LIVE, one worker each with its own studio and host
	poolRooms  = 3 // studios and hosts that the bookers fight over
	currency   = "CNY"
	refundOdds = 5 // one sale in refundOdds is a refund, when there is an order to refund
)

var (
	products  = []string{merchant + "/products/tea", merchant + "/products/noodles"}
	platforms = []typev1.Platform{typev1.Platform_PLATFORM_DOUYIN, typev1.Platform_PLATFORM_TAOBAO_LIVE, typev1.Platform_PLATFORM_KUAISHOU}
)

func liveStudio(w int) string { return fmt.Sprintf("members/%s/studios/live-%d", base, w) }
func liveHost(w int) string   { return fmt.Sprintf("members/soak-live-host-%d", w) }
func poolStudio(i int) string { return fmt.Sprintf("members/%s/studios/pool-%d", base, i) }
func poolHost(i int) string   { return fmt.Sprintf("members/soak-host-%d", i) }

// connect dials the three services as the admin. The clients resend
// themselves, and count it: gRPC's own retries (which grpcx turns on)
// would hide the resends.
func connect(a layout.Addrs, adminKey string) (*dial.Clients, error) {
	return dial.Suite(a, grpcx.DialOptions{Timeout: callTimeout, GRPC: []grpc.DialOption{dial.Bearer(adminKey), grpc.WithDisableRetry()}})
}

// transient says whether an answer is no answer: the service (or one it
// depends on) is down, restarting or overloaded, so the client resends.
// Every other code is the service's judgement of the write.
func transient(c codes.Code) bool {
	switch c {
	case codes.OK, codes.InvalidArgument, codes.FailedPrecondition, codes.AlreadyExists, codes.NotFound,
		codes.PermissionDenied, codes.Unauthenticated, codes.OutOfRange, codes.Unimplemented:
		return false
	}
	return true
}

func grpcCode(err error) string { return grpcx.CodeName(status.Code(err)) }

// codeOf reads the code name of an import answer's line (FAILED_PRECONDITION).
func codeOf(name string) codes.Code {
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		if grpcx.CodeName(c) == name {
			return c
		}
	}
	return codes.Unknown
}

// sentSale is a sale as sent, and whether (and how) it was acknowledged.
type sentSale struct {
	sale  *salesv1.Sale
	via   string // RecordSale or ImportSales
	name  string // from RecordSale's answer
	acked bool
}

// sentSession is a session as booked, and the state its last acknowledged
// write left it in.
type sentSession struct {
	want    sessionv1.SessionState
	acked   bool // CreateSession answered OK
	refused bool // CreateSession answered with an error: it must not exist
}

type liveSession struct {
	name     string
	platform typev1.Platform
}

// load drives the writes and keeps the ledger of what was sent and what
// was acknowledged.
type load struct {
	c     *dial.Clients
	seed  uint64
	probs *problems
	start time.Time // bookers book from two hours after this

	mu         sync.Mutex
	sales      map[string]*sentSale // by saleKey
	refundable []string             // acknowledged orders nobody refunds yet
	refunded   map[string]bool
	live       []liveSession // sessions acknowledged LIVE (and later, maybe, ENDED)
	sessions   map[string]*sentSession
	members    map[string]bool // member names acknowledged
	ackedBy    map[string]int
	refusedB   int
	resends    map[string]int

	ackedN atomic.Int64
}

func newLoad(c *dial.Clients, seed uint64, p *problems) *load {
	return &load{c: c, seed: seed, probs: p, start: time.Now(),
		sales: map[string]*sentSale{}, refunded: map[string]bool{}, sessions: map[string]*sentSession{},
		members: map[string]bool{}, ackedBy: map[string]int{}, resends: map[string]int{}}
}

func saleKey(platform typev1.Platform, externalID string) string {
	return platform.String() + "/" + externalID
}

func (l *load) acked() int64 { return l.ackedN.Load() }

func (l *load) ack(kind string) {
	l.mu.Lock()
	l.ackedBy[kind]++
	l.mu.Unlock()
	l.ackedN.Add(1)
}

func (l *load) resend(code string) {
	l.mu.Lock()
	l.resends[code]++
	l.mu.Unlock()
}

func (l *load) stats() (acked map[string]int, refusedBookings int, resends map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	acked, resends = map[string]int{}, map[string]int{}
	for k, v := range l.ackedBy {
		acked[k] = v
	}
	for k, v := range l.resends {
		resends[k] = v
	}
	return acked, l.refusedB, resends
}

// call makes one write until it is answered with anything but a
// transient error, resending it unchanged in between. It returns how many
// times the write was sent, and the last error.
func (l *load) call(what string, f func(context.Context) error) (int, error) {
	giveUp := time.Now().Add(giveUpAfter)
	for sent := 1; ; sent++ {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		err := f(ctx)
		cancel()
		if err == nil || !transient(status.Code(err)) {
			return sent, err
		}
		l.resend(what + " " + grpcx.CodeName(status.Code(err)))
		if time.Now().After(giveUp) {
			return sent, fmt.Errorf("%s: no answer in %s: %w", what, giveUpAfter, err)
		}
		time.Sleep(resendPause)
	}
}

// read is call for reads: the same resending, for the checks at the end.
func read[T any](l *load, what string, f func(context.Context) (T, error)) (T, error) {
	var out T
	_, err := l.call(what, func(ctx context.Context) error {
		var err error
		out, err = f(ctx)
		return err
	})
	return out, err
}

// listAll reads every page of a List call with read's resending: page
// asks for the page at token, items takes its entries.
func listAll[T any, R interface{ GetNextPageToken() string }](l *load, what string, page func(ctx context.Context, token string) (R, error), items func(R) []T) ([]T, error) {
	var all []T
	token := ""
	for {
		resp, err := read(l, what, func(ctx context.Context) (R, error) { return page(ctx, token) })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		all = append(all, items(resp)...)
		if token = resp.GetNextPageToken(); token == "" {
			return all, nil
		}
	}
}

// setup makes the members: a base with the studios, the hosts, and a
// merchant with two products.
func (l *load) setup(ctx context.Context) error {
	b := &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_BASE, DisplayName: "压测基地", District: "jiulongpo"}
	for w := range liveRooms {
		b.Studios = append(b.Studios, &memberv1.Studio{StudioId: fmt.Sprintf("live-%d", w), DisplayName: "直播间"})
	}
	for i := range poolRooms {
		b.Studios = append(b.Studios, &memberv1.Studio{StudioId: fmt.Sprintf("pool-%d", i), DisplayName: "共享直播间"})
	}
	members := map[string]*memberv1.Member{base: b,
		"soak-farm": {Kind: memberv1.MemberKind_MEMBER_KIND_MERCHANT, DisplayName: "压测茶场", District: "banan"}}
	for w := range liveRooms {
		members[fmt.Sprintf("soak-live-host-%d", w)] = &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "主播", District: "banan"}
	}
	for i := range poolRooms {
		members[fmt.Sprintf("soak-host-%d", i)] = &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "主播", District: "yuzhong"}
	}
	for id, m := range members {
		if _, err := l.c.Members.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: id, Member: m}); err != nil {
			return fmt.Errorf("CreateMember %s: %w", id, err)
		}
	}
	for _, p := range []struct{ id, name, category, origin string }{
		{"tea", "巴南银针", "tea", "banan"}, {"noodles", "重庆小面", "agri-food", "yuzhong"},
	} {
		if _, err := l.c.Members.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: merchant, ProductId: p.id,
			Product: &memberv1.Product{DisplayName: p.name, Category: p.category, OriginDistrict: p.origin,
				ListPrice: &typev1.Money{CurrencyCode: currency, MinorUnits: 1000}}}); err != nil {
			return fmt.Errorf("CreateProduct %s: %w", p.id, err)
		}
	}
	return nil
}

// run starts the workers; the channel closes when all have stopped after
// ctx ends, each with its last write answered.
func (l *load) run(ctx context.Context) <-chan struct{} {
	var wg sync.WaitGroup
	worker := func(f func(context.Context, *rand.Rand, int), w, stream int) {
		rng := rand.New(rand.NewPCG(l.seed, uint64(stream)))
		wg.Go(func() { f(ctx, rng, w) })
	}
	for w := range liveRooms {
		worker(l.liveSessions, w, 10+w)
	}
	for w := range 2 {
		worker(l.bookings, w, 20+w)
	}
	for w := range 2 {
		worker(l.recordSales, w, 30+w)
	}
	worker(l.importSales, 0, 40)
	worker(l.createMembers, 0, 50)
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	return done
}

func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func between(rng *rand.Rand, lo, hi time.Duration) time.Duration {
	return lo + time.Duration(rng.Int64N(int64(hi-lo)+1))
}

// --- sessions ---

// book creates a session, resending with the same request_id. contended
// bookings may be refused as double bookings; any other refusal is a
// failure. It returns whether the booking was acknowledged.
func (l *load) book(id string, s *sessionv1.Session, contended bool) bool {
	name := "sessions/" + id
	l.mu.Lock()
	l.sessions[name] = &sentSession{}
	l.mu.Unlock()
	_, err := l.call("CreateSession", func(ctx context.Context) error {
		_, err := l.c.Sessions.CreateSession(ctx, &sessionv1.CreateSessionRequest{Session: s, SessionId: id, RequestId: "soak-" + id})
		return err
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.sessions[name].acked, l.sessions[name].want = true, sessionv1.SessionState_SESSION_STATE_SCHEDULED
		l.ackedBy["CreateSession"]++
		l.ackedN.Add(1)
		return true
	}
	l.sessions[name].refused = true
	r := grpcx.Reason(err)
	if contended && status.Code(err) == codes.FailedPrecondition && (r == "STUDIO_DOUBLE_BOOKED" || r == "HOST_DOUBLE_BOOKED") {
		l.refusedB++
		return false
	}
	l.probs.add(kindRefused, "CreateSession %s: %v", id, err)
	return false
}

// transition starts, ends or cancels a session. A resend that finds the
// session already where the first attempt was to take it is an
// acknowledgement: the first attempt was applied and its answer lost.
func (l *load) transition(kind, name string, want sessionv1.SessionState, f func(context.Context) error) bool {
	sent, err := l.call(kind, f)
	if err != nil && sent > 1 {
		got, gerr := read(l, "GetSession", func(ctx context.Context) (*sessionv1.Session, error) {
			return l.c.Sessions.GetSession(ctx, &sessionv1.GetSessionRequest{Name: name})
		})
		if gerr == nil && got.GetState() == want {
			err = nil
		}
	}
	if err != nil {
		l.probs.add(kindRefused, "%s %s: %v", kind, name, err)
		return false
	}
	l.mu.Lock()
	l.sessions[name].want = want
	l.mu.Unlock()
	l.ack(kind)
	return true
}

// liveSessions books a session a minute ahead in the worker's own studio
// for its own host, starts it (allowed up to 30 minutes early), lets the
// sales workers sell into it for a few seconds, and ends it; then the
// next. An ENDED session no longer holds its studio, so the next booking
// of the same studio is no double booking.
func (l *load) liveSessions(ctx context.Context, rng *rand.Rand, w int) {
	platform := platforms[w%len(platforms)]
	for n := 0; ctx.Err() == nil; n++ {
		id := fmt.Sprintf("soak-live%d-%d", w, n)
		start := time.Now().Add(time.Minute).Truncate(time.Second)
		s := &sessionv1.Session{Title: "压测直播", Host: liveHost(w), Studio: liveStudio(w),
			Merchants: []string{merchant}, Products: products, Platform: platform, PlatformRoomId: id,
			StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(30 * time.Minute))}
		if !l.book(id, s, false) {
			pause(ctx, time.Second)
			continue
		}
		name := "sessions/" + id
		if !l.transition("StartSession", name, sessionv1.SessionState_SESSION_STATE_LIVE, func(ctx context.Context) error {
			_, err := l.c.Sessions.StartSession(ctx, &sessionv1.StartSessionRequest{Name: name})
			return err
		}) {
			continue
		}
		l.mu.Lock()
		l.live = append(l.live, liveSession{name: name, platform: platform})
		l.mu.Unlock()
		pause(ctx, between(rng, 2*time.Second, 6*time.Second))
		if ctx.Err() != nil {
			return // it stays LIVE, as the ledger says
		}
		l.transition("EndSession", name, sessionv1.SessionState_SESSION_STATE_ENDED, func(ctx context.Context) error {
			_, err := l.c.Sessions.EndSession(ctx, &sessionv1.EndSessionRequest{Name: name})
			return err
		})
	}
}

// bookings books sessions at random in the shared studios for the shared
// hosts over the next two days, so that many collide, and now and then
// cancels one of its own, which frees its slot for the others.
func (l *load) bookings(ctx context.Context, rng *rand.Rand, w int) {
	from := l.start.Add(2 * time.Hour).Truncate(time.Hour)
	var mine []string
	for n := 0; ctx.Err() == nil; n++ {
		if len(mine) > 0 && rng.IntN(10) == 0 {
			i := rng.IntN(len(mine))
			name := mine[i]
			mine = append(mine[:i], mine[i+1:]...)
			l.transition("CancelSession", name, sessionv1.SessionState_SESSION_STATE_CANCELLED, func(ctx context.Context) error {
				_, err := l.c.Sessions.CancelSession(ctx, &sessionv1.CancelSessionRequest{Name: name, Reason: "soak"})
				return err
			})
			continue
		}
		id := fmt.Sprintf("soak-b%d-%d", w, n)
		start := from.Add(time.Duration(rng.IntN(48*4)) * 15 * time.Minute)
		s := &sessionv1.Session{Title: "抢档", Host: poolHost(rng.IntN(poolRooms)), Studio: poolStudio(rng.IntN(poolRooms)),
			Platform:  platforms[rng.IntN(len(platforms))],
			StartTime: timestamppb.New(start), EndTime: timestamppb.New(start.Add(time.Duration(1+rng.IntN(12)) * 15 * time.Minute))}
		if l.book(id, s, true) {
			mine = append(mine, "sessions/"+id)
		}
		pause(ctx, between(rng, 10*time.Millisecond, 40*time.Millisecond))
	}
}

// --- sales ---

// pickLive picks a session that has been acknowledged LIVE, or false when
// there is none yet.
func (l *load) pickLive(rng *rand.Rand) (liveSession, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.live) == 0 {
		return liveSession{}, false
	}
	// The newer sessions get most of the sales, as on a real evening.
	n := len(l.live)
	if n > 4 && rng.IntN(4) != 0 {
		return l.live[n-1-rng.IntN(4)], true
	}
	return l.live[rng.IntN(n)], true
}

// takeRefundable takes an acknowledged order that nobody refunds yet.
func (l *load) takeRefundable(rng *rand.Rand) *salesv1.Sale {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.refundable) == 0 {
		return nil
	}
	i := rng.IntN(len(l.refundable))
	k := l.refundable[i]
	l.refundable[i] = l.refundable[len(l.refundable)-1]
	l.refundable = l.refundable[:len(l.refundable)-1]
	l.refunded[k] = true
	return l.sales[k].sale
}

func order(rng *rand.Rand, s liveSession, ext string) *salesv1.Sale {
	qty := int64(1 + rng.IntN(5))
	return &salesv1.Sale{Session: s.name, Product: products[rng.IntN(len(products))], Kind: salesv1.SaleKind_SALE_KIND_ORDER,
		Quantity: qty, Amount: &typev1.Money{CurrencyCode: currency, MinorUnits: qty * int64(100+rng.IntN(20000))},
		Platform: s.platform, ExternalId: ext, EventTime: timestamppb.Now()}
}

// refund refunds part or all of an order, on the order's session.
func refund(rng *rand.Rand, o *salesv1.Sale, ext string) *salesv1.Sale {
	qty := 1 + rng.Int64N(o.GetQuantity())
	amount := max(1, o.GetAmount().GetMinorUnits()*qty/o.GetQuantity())
	return &salesv1.Sale{Session: o.GetSession(), Product: o.GetProduct(), Kind: salesv1.SaleKind_SALE_KIND_REFUND,
		Quantity: qty, Amount: &typev1.Money{CurrencyCode: currency, MinorUnits: amount},
		Platform: o.GetPlatform(), ExternalId: ext, RefundOf: o.GetExternalId(), EventTime: timestamppb.Now()}
}

func (l *load) sent(via string, sales ...*salesv1.Sale) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range sales {
		l.sales[saleKey(s.GetPlatform(), s.GetExternalId())] = &sentSale{sale: s, via: via}
	}
}

func (l *load) ackSale(s *salesv1.Sale, name string) {
	k := saleKey(s.GetPlatform(), s.GetExternalId())
	l.mu.Lock()
	rec := l.sales[k]
	rec.acked, rec.name = true, name
	if s.GetKind() == salesv1.SaleKind_SALE_KIND_ORDER && !l.refunded[k] {
		l.refundable = append(l.refundable, k)
	}
	l.ackedBy[rec.via]++
	l.mu.Unlock()
	l.ackedN.Add(1)
}

// recordSales records one sale after another with RecordSale.
func (l *load) recordSales(ctx context.Context, rng *rand.Rand, w int) {
	for n := 0; ctx.Err() == nil; {
		ls, ok := l.pickLive(rng)
		if !ok {
			pause(ctx, 50*time.Millisecond)
			continue
		}
		ext := fmt.Sprintf("soak-rs%d-%d", w, n)
		n++
		var sale *salesv1.Sale
		if rng.IntN(refundOdds) == 0 {
			if o := l.takeRefundable(rng); o != nil {
				sale = refund(rng, o, ext)
			}
		}
		if sale == nil {
			sale = order(rng, ls, ext)
		}
		l.sent("RecordSale", sale)
		var got *salesv1.Sale
		_, err := l.call("RecordSale", func(ctx context.Context) error {
			var err error
			got, err = l.c.Sales.RecordSale(ctx, &salesv1.RecordSaleRequest{Sale: sale})
			return err
		})
		if err != nil {
			l.probs.add(kindRefused, "RecordSale %s: %v", ext, err)
			continue
		}
		l.ackSale(sale, got.GetName())
		pause(ctx, between(rng, time.Millisecond, 5*time.Millisecond))
	}
}

// importSales sends batches of 50 to 250 lines over ImportSales: orders,
// refunds of orders earlier in the batch, and refunds of acknowledged
// orders. A batch whose answer did not come is sent again whole.
func (l *load) importSales(ctx context.Context, rng *rand.Rand, _ int) {
	for b := 0; ctx.Err() == nil; {
		if _, ok := l.pickLive(rng); !ok {
			pause(ctx, 50*time.Millisecond)
			continue
		}
		var lines, open []*salesv1.Sale
		for i := range 50 + rng.IntN(201) {
			ext := fmt.Sprintf("soak-im%d-%d", b, i)
			var s *salesv1.Sale
			switch {
			case len(open) > 0 && rng.IntN(8) == 0:
				j := rng.IntN(len(open))
				s = refund(rng, open[j], ext)
				l.mu.Lock()
				l.refunded[saleKey(open[j].GetPlatform(), open[j].GetExternalId())] = true
				l.mu.Unlock()
				open = append(open[:j], open[j+1:]...)
			case rng.IntN(20) == 0:
				if o := l.takeRefundable(rng); o != nil {
					s = refund(rng, o, ext)
				}
			}
			if s == nil {
				ls, _ := l.pickLive(rng)
				s = order(rng, ls, ext)
				open = append(open, s)
			}
			lines = append(lines, s)
		}
		b++
		l.sent("ImportSales", lines...)
		refused, err := l.importBatch(lines)
		if err != nil {
			l.probs.add(kindRefused, "ImportSales batch %d: %v", b-1, err)
			continue
		}
		for i, s := range lines {
			if why, bad := refused[i]; bad {
				l.probs.add(kindRefused, "ImportSales %s: %s", s.GetExternalId(), why)
				continue
			}
			l.ackSale(s, "")
		}
		pause(ctx, between(rng, 50*time.Millisecond, 250*time.Millisecond))
	}
}

// importBatch sends the lines until an answer comes that refuses no line
// for a transient reason, and returns the lines that answer refused.
func (l *load) importBatch(lines []*salesv1.Sale) (map[int]string, error) {
	giveUp := time.Now().Add(giveUpAfter)
	for {
		resp, err := l.stream(lines)
		again := ""
		if err != nil {
			if !transient(status.Code(err)) {
				return nil, err
			}
			again = grpcx.CodeName(status.Code(err))
		}
		refused := map[int]string{}
		for _, e := range resp.GetErrors() {
			if transient(codeOf(e.GetCode())) {
				again = "line " + e.GetCode()
				break
			}
			refused[int(e.GetIndex())] = fmt.Sprintf("%s %s: %s", e.GetCode(), e.GetReason(), e.GetMessage())
		}
		if again == "" {
			if n := resp.GetAccepted() + resp.GetDuplicates() + resp.GetRejected(); n != int64(len(lines)) || resp.GetRejected() != int64(len(refused)) {
				l.probs.add(kindReport, "ImportSales answer %v does not account for its %d lines", resp, len(lines))
			}
			return refused, nil
		}
		l.resend("ImportSales " + again)
		if time.Now().After(giveUp) {
			return nil, fmt.Errorf("no answer in %s: %s", giveUpAfter, again)
		}
		time.Sleep(resendPause)
	}
}

func (l *load) stream(lines []*salesv1.Sale) (*salesv1.ImportSalesResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), importTimeout)
	defer cancel()
	st, err := l.c.Sales.ImportSales(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range lines {
		if err := st.Send(&salesv1.ImportSalesRequest{Sale: s}); err != nil {
			break // the stream's status comes with CloseAndRecv
		}
	}
	resp, err := st.CloseAndRecv()
	if errors.Is(err, context.DeadlineExceeded) {
		err = status.Error(codes.DeadlineExceeded, err.Error())
	}
	return resp, err
}

// --- members ---

// createMembers registers hosts one after another, with a request_id.
func (l *load) createMembers(ctx context.Context, rng *rand.Rand, _ int) {
	for n := 0; ctx.Err() == nil; n++ {
		id := fmt.Sprintf("soak-m-%d", n)
		_, err := l.call("CreateMember", func(ctx context.Context) error {
			_, err := l.c.Members.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: id, RequestId: "soak-" + id,
				Member: &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "新主播", District: "banan"}})
			return err
		})
		if err != nil {
			l.probs.add(kindRefused, "CreateMember %s: %v", id, err)
			continue
		}
		l.mu.Lock()
		l.members["members/"+id] = true
		l.mu.Unlock()
		l.ack("CreateMember")
		pause(ctx, between(rng, 10*time.Millisecond, 30*time.Millisecond))
	}
}
