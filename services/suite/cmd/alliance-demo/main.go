// Command alliance-demo loads a demo alliance into a running suite through
// the public gRPC API, the way a member system would integrate: members,
// studios and products; three weeks of past sessions with their orders and
// refunds, through the admin imports (ImportSessions, ImportSales), since
// nothing can be booked in the past; today's live sessions, booked,
// started, selling and ended; and a few sessions booked for the coming
// days; and a base that runs its studios by booking rules (opening hours,
// a blackout, approvals of outside hosts, a weekly series, a no-show). It
// is safe to run again: what exists is reused, and every session
// and sale has a fixed id, so a repeat is recognised and not counted twice.
// At the end it prints the overview, week by week.
//
// It calls as the alliance's admin, with the key `make run` made in
// data/admin.key (-admin-key-file to change it), over plaintext unless
// -tls-ca is given.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/suite/internal/dial"
	"github.com/cqlive/alliance/services/suite/internal/layout"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func main() { layout.Exit("alliance-demo", run(os.Args[1:])) }

type demo struct {
	members  memberv1.MemberRegistryClient
	sessions sessionv1.SessionSchedulerClient
	sales    salesv1.SalesReportingClient
	prices   map[string]int64 // product name -> list price in fen
	now      time.Time
	zone     *time.Location
}

func run(args []string) error {
	var addrs layout.Addrs
	var zone string
	var admin layout.AdminCaller
	var days int
	fs := flag.NewFlagSet("alliance-demo", flag.ContinueOnError)
	fs.StringVar(&addrs.MemberRegistry, "member-registry-addr", "localhost:50051", "gRPC address of member-registry")
	fs.StringVar(&addrs.SessionScheduling, "session-scheduling-addr", "localhost:50052", "gRPC address of session-scheduling")
	fs.StringVar(&addrs.SalesReporting, "sales-reporting-addr", "localhost:50053", "gRPC address of sales-reporting")
	fs.StringVar(&zone, "time-zone", service.DefaultTimeZone, "the alliance's time zone, for today's date in report calls")
	fs.IntVar(&days, "history-days", 21, "days of history before today to import as ENDED sessions with their sales (0: none)")
	admin.BindFlags(fs.StringVar, "file whose first line is an admin API key, sent as `authorization: Bearer <key>`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	key, transport, err := admin.Open()
	if err != nil {
		return fmt.Errorf("%w (start the suite with `make run` first, which makes data/admin.key, or pass -admin-key-file)", err)
	}
	opts := []grpc.DialOption{transport,
		grpc.WithChainUnaryInterceptor(bearer(key)), grpc.WithChainStreamInterceptor(bearerStream(key))}
	loc, err := service.LoadZone(zone)
	if err != nil {
		return err
	}
	c, err := dial.Suite(addrs, grpcx.DialOptions{Timeout: 10 * time.Second, GRPC: opts})
	if err != nil {
		return err
	}
	defer c.Close()
	d := &demo{
		members:  c.Members,
		sessions: c.Sessions,
		sales:    c.Sales,
		prices:   map[string]int64{},
		now:      time.Now(),
		zone:     loc,
	}
	ctx := context.Background()
	if err := d.loadMembers(ctx); err != nil {
		return err
	}
	if err := d.loadHistory(ctx, days); err != nil {
		return err
	}
	if err := d.loadToday(ctx); err != nil {
		return err
	}
	if err := d.bookUpcoming(ctx); err != nil {
		return err
	}
	if err := d.loadRules(ctx); err != nil {
		return err
	}
	return d.printOverview(ctx, days)
}

// bearer sends key with every call, as a member system would.
// A call that carries a key of its own (a member's, see asMember) keeps it.
func bearer(key string) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if md, _ := metadata.FromOutgoingContext(ctx); len(md.Get("authorization")) == 0 {
			ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

func bearerStream(key string) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		return streamer(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key), desc, cc, method, opts...)
	}
}

func code(err error) codes.Code { return status.Code(err) }

func (d *demo) loadMembers(ctx context.Context) error {
	fmt.Println("Members")
	for _, m := range members {
		name := "members/" + m.id
		if _, err := d.members.GetMember(ctx, &memberv1.GetMemberRequest{Name: name}); err == nil {
			fmt.Printf("  exists   %-34s %s\n", name, m.name)
			continue
		} else if code(err) != codes.NotFound {
			return fmt.Errorf("get %s: %w", name, err)
		}
		pm := &memberv1.Member{Kind: m.kind, DisplayName: m.name, District: m.dist, Official: m.official}
		if m.agency != "" {
			pm.Agency = "members/" + m.agency
		}
		for _, s := range m.studios {
			pm.Studios = append(pm.Studios, &memberv1.Studio{StudioId: s[0], DisplayName: s[1]})
		}
		_, err := d.members.CreateMember(ctx, &memberv1.CreateMemberRequest{Member: pm, MemberId: m.id, RequestId: "demo-member-" + m.id})
		if err != nil && code(err) != codes.AlreadyExists {
			return fmt.Errorf("create %s: %w", name, err)
		}
		fmt.Printf("  created  %-34s %s (%s, %s)\n", name, m.name, strings.TrimPrefix(m.kind.String(), "MEMBER_KIND_"), m.dist)
	}
	fmt.Println("Products")
	for _, p := range products {
		parent := "members/" + p.merchant
		name := parent + "/products/" + p.id
		d.prices[name] = p.price
		if _, err := d.members.GetProduct(ctx, &memberv1.GetProductRequest{Name: name}); err == nil {
			fmt.Printf("  exists   %-50s %s\n", name, p.name)
			continue
		} else if code(err) != codes.NotFound {
			return fmt.Errorf("get %s: %w", name, err)
		}
		_, err := d.members.CreateProduct(ctx, &memberv1.CreateProductRequest{
			Parent: parent, ProductId: p.id, RequestId: "demo-product-" + p.merchant + "-" + p.id,
			Product: &memberv1.Product{DisplayName: p.name, Category: p.category, OriginDistrict: p.origin,
				ListPrice: &typev1.Money{CurrencyCode: "CNY", MinorUnits: p.price}},
		})
		if err != nil && code(err) != codes.AlreadyExists {
			return fmt.Errorf("create %s: %w", name, err)
		}
		fmt.Printf("  created  %-50s %s ¥%s\n", name, p.name, yuan(p.price))
	}
	return nil
}

func productNames(short []string) (merchants, prods []string) {
	seen := map[string]bool{}
	for _, s := range short {
		m, _, _ := strings.Cut(s, "/")
		if !seen[m] {
			seen[m] = true
			merchants = append(merchants, "members/"+m)
		}
		prods = append(prods, "members/"+strings.Replace(s, "/", "/products/", 1))
	}
	return merchants, prods
}

// getOrCreateSession returns the session with id, booking it when it does
// not exist. A slot taken by an earlier run returns nil, nil.
func (d *demo) getOrCreateSession(ctx context.Context, id string, p sessionPlan, start, end time.Time) (*sessionv1.Session, error) {
	name := "sessions/" + id
	s, err := d.sessions.GetSession(ctx, &sessionv1.GetSessionRequest{Name: name})
	if err == nil {
		return s, nil
	}
	if code(err) != codes.NotFound {
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	merchants, prods := productNames(p.products)
	s, err = d.sessions.CreateSession(ctx, &sessionv1.CreateSessionRequest{
		SessionId: id, RequestId: "demo-" + id,
		Session: &sessionv1.Session{
			Title: p.title, Host: "members/" + p.host, Studio: p.studio, Merchants: merchants, Products: prods,
			Platform: p.platform, PlatformRoomId: "room-" + id,
			StartTime: timestamppb.New(start), EndTime: timestamppb.New(end),
		},
	})
	if code(err) == codes.FailedPrecondition {
		fmt.Printf("  skipped  %-34s %s: %s\n", name, p.title, status.Convert(err).Message())
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("book %s (%s): %w", name, p.title, err)
	}
	return s, nil
}

// loadToday runs each of today's sessions through its whole life, one
// after the other: book it to start in two minutes (the scheduler lets a
// session start up to 30 minutes early), start it, record its orders and
// refunds, end it. An ENDED session no longer blocks its studio or host,
// so the next one can be booked into the same studio.
func (d *demo) loadToday(ctx context.Context) error {
	day := d.now.In(d.zone).Format("20060102")
	fmt.Printf("Today's sessions (%s)\n", d.now.In(d.zone).Format(time.DateOnly))
	for i, p := range plans {
		id := fmt.Sprintf("demo-%s-%02d", day, i+1)
		start := time.Now().Add(2 * time.Minute).Truncate(time.Second)
		s, err := d.getOrCreateSession(ctx, id, p, start, start.Add(time.Duration(60+15*(i%5))*time.Minute))
		if err != nil || s == nil {
			return err
		}
		if s.GetState() == sessionv1.SessionState_SESSION_STATE_ENDED {
			fmt.Printf("  exists   %-34s %s (ended; sales already loaded)\n", s.GetName(), p.title)
			continue
		}
		if s.GetState() == sessionv1.SessionState_SESSION_STATE_SCHEDULED {
			if s, err = d.sessions.StartSession(ctx, &sessionv1.StartSessionRequest{Name: s.GetName()}); err != nil {
				return fmt.Errorf("start %s: %w", id, err)
			}
		}
		if s.GetState() != sessionv1.SessionState_SESSION_STATE_LIVE {
			fmt.Printf("  skipped  %-34s %s (%s)\n", s.GetName(), p.title, s.GetState())
			continue
		}
		orders, refunds, net, err := d.recordSales(ctx, s, i, p)
		if err != nil {
			return err
		}
		_, prods := productNames(p.products)
		m := trafficOf(s.GetName(), p.platform, prods, orders, s.GetActualStartTime().AsTime().Add(time.Second))
		if _, err := d.sales.RecordSessionMetrics(ctx, &salesv1.RecordSessionMetricsRequest{Metrics: m}); err != nil {
			return fmt.Errorf("traffic of %s: %w", id, err)
		}
		if _, err := d.sessions.EndSession(ctx, &sessionv1.EndSessionRequest{Name: s.GetName()}); err != nil {
			return fmt.Errorf("end %s: %w", id, err)
		}
		fmt.Printf("  loaded   %-34s %-22s %-9s %2d orders, %d refunds, net ¥%s\n",
			s.GetName(), p.title, strings.TrimPrefix(p.platform.String(), "PLATFORM_"), orders, refunds, yuan(net))
	}
	return nil
}

// recordSales records a session's orders and some refunds. Everything
// about a line is fixed by the session (its index and actual start), so a
// rerun after a crash repeats identical lines, which the service accepts
// once.
func (d *demo) recordSales(ctx context.Context, s *sessionv1.Session, idx int, p sessionPlan) (orders, refunds int, net int64, err error) {
	rng := rand.New(rand.NewPCG(uint64(idx)+1, 2020))
	started := s.GetActualStartTime().AsTime()
	_, prods := productNames(p.products)
	id := strings.TrimPrefix(s.GetName(), "sessions/")
	for k := range p.orders {
		product := prods[rng.IntN(len(prods))]
		qty := int64(1 + rng.IntN(4))
		amount := d.prices[product] * qty
		if rng.IntN(3) == 0 {
			amount = amount * 9 / 10 // a live-room discount
		}
		ext := fmt.Sprintf("%s-o%02d", id, k+1)
		order := &salesv1.Sale{
			Session: s.GetName(), Product: product, Kind: salesv1.SaleKind_SALE_KIND_ORDER, Quantity: qty,
			Amount: &typev1.Money{CurrencyCode: "CNY", MinorUnits: amount}, Platform: p.platform, ExternalId: ext,
			EventTime: timestamppb.New(started.Add(time.Duration(k+1) * time.Millisecond)),
		}
		if _, err := d.sales.RecordSale(ctx, &salesv1.RecordSaleRequest{Sale: order}); err != nil {
			return 0, 0, 0, fmt.Errorf("record %s: %w", ext, err)
		}
		orders++
		net += amount
		if rng.IntN(6) != 0 {
			continue
		}
		// About one order in six sends one unit back.
		back := amount / qty
		refund := &salesv1.Sale{
			Session: s.GetName(), Product: product, Kind: salesv1.SaleKind_SALE_KIND_REFUND, Quantity: 1,
			Amount: &typev1.Money{CurrencyCode: "CNY", MinorUnits: back}, Platform: p.platform,
			ExternalId: fmt.Sprintf("%s-r%02d", id, k+1), RefundOf: ext,
			EventTime: timestamppb.New(started.Add(time.Duration(100+k) * time.Millisecond)),
		}
		if _, err := d.sales.RecordSale(ctx, &salesv1.RecordSaleRequest{Sale: refund}); err != nil {
			return 0, 0, 0, fmt.Errorf("record %s: %w", refund.ExternalId, err)
		}
		refunds++
		net -= back
	}
	return orders, refunds, net, nil
}

// bookUpcoming books evening sessions for the next days, and cancels one of
// them, so the schedule has a future too.
func (d *demo) bookUpcoming(ctx context.Context) error {
	local := d.now.In(d.zone)
	fmt.Println("Upcoming sessions")
	for i, p := range upcoming {
		day := local.AddDate(0, 0, i+1)
		start := time.Date(day.Year(), day.Month(), day.Day(), 20, 0, 0, 0, d.zone)
		id := "demo-" + day.Format("20060102") + "-evening"
		s, err := d.getOrCreateSession(ctx, id, p, start, start.Add(2*time.Hour))
		if err != nil || s == nil {
			return err
		}
		if i == len(upcoming)-1 && s.GetState() == sessionv1.SessionState_SESSION_STATE_SCHEDULED {
			if s, err = d.sessions.CancelSession(ctx, &sessionv1.CancelSessionRequest{Name: s.GetName(), Reason: "主播行程调整"}); err != nil {
				return fmt.Errorf("cancel %s: %w", id, err)
			}
		}
		fmt.Printf("  %-8s %-34s %s, %s\n", strings.ToLower(strings.TrimPrefix(s.GetState().String(), "SESSION_STATE_")),
			s.GetName(), p.title, start.Format("2006-01-02 15:04 MST"))
	}
	return nil
}

func (d *demo) printOverview(ctx context.Context, days int) error {
	local := d.now.In(d.zone)
	from, to := local.AddDate(0, 0, -days).Format(time.DateOnly), local.AddDate(0, 0, 1).Format(time.DateOnly)
	ov, err := d.sales.GetAllianceOverview(ctx, &salesv1.GetAllianceOverviewRequest{StartDate: from, EndDate: to})
	if err != nil {
		return fmt.Errorf("overview: %w", err)
	}
	weeks, err := d.sales.QuerySalesReport(ctx, &salesv1.QuerySalesReportRequest{
		StartDate: from, EndDate: to, Granularity: salesv1.Granularity_GRANULARITY_WEEK})
	if err != nil {
		return fmt.Errorf("weekly report: %w", err)
	}
	fmt.Printf("\nWeek by week (ISO weeks, from Monday)\n")
	for _, r := range weeks.GetRows() {
		m := r.GetMetrics()
		fmt.Printf("  %s .. %s  %3d sessions  %4d orders  net ¥%s\n", r.GetPeriodStart(), r.GetPeriodEnd(),
			m.GetSessions(), m.GetOrders(), yuan(m.GetNet().GetMinorUnits()))
	}
	fmt.Printf("\nAlliance overview %s .. %s (end exclusive)\n", from, to)
	fmt.Printf("  sessions held %d, with sales %d, orders %d\n", ov.GetSessionsHeld(), ov.GetSessionsWithSales(), ov.GetOrders())
	fmt.Printf("  gross ¥%s, refunds ¥%s, net ¥%s\n", yuan(ov.GetGross().GetMinorUnits()), yuan(ov.GetRefunds().GetMinorUnits()), yuan(ov.GetNet().GetMinorUnits()))
	fmt.Printf("  active hosts %d, bases %d, agencies %d\n", ov.GetActiveHosts(), ov.GetActiveBases(), ov.GetActiveAgencies())
	for _, t := range ov.GetTopDistricts() {
		fmt.Printf("  #%d %-12s %-10s net ¥%s\n", t.GetRank(), t.GetKey(), t.GetDisplayName(), yuan(t.GetValue()))
	}
	top, err := d.sales.ListTopPerformers(ctx, &salesv1.ListTopPerformersRequest{
		Dimension: salesv1.Dimension_DIMENSION_HOST, Metric: salesv1.Metric_METRIC_NET, StartDate: from, EndDate: to, Limit: 5})
	if err != nil {
		return fmt.Errorf("top hosts: %w", err)
	}
	fmt.Println("Top hosts by net")
	for _, t := range top.GetEntries() {
		fmt.Printf("  #%d %-32s %-12s net ¥%s\n", t.GetRank(), t.GetKey(), t.GetDisplayName(), yuan(t.GetValue()))
	}
	return nil
}

// yuan renders fen as yuan with two decimals, e.g. 1234567 -> 12,345.67.
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	whole := fmt.Sprint(fen / 100)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s%s.%02d", sign, b.String(), fen%100)
}
