package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/suite/internal/dial"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Options of a load.
type Options struct {
	Streams  int           // parallel ImportSales streams
	Chunk    int           // sale lines per stream
	Progress io.Writer     // progress lines; nil for none
	Every    time.Duration // progress interval
}

// Result of a load: what was sent, how fast, and what the services said.
type Result struct {
	Totals        Totals
	MembersTime   time.Duration
	SessionsTime  time.Duration
	SalesTime     time.Duration
	TrafficTime   time.Duration
	Snapshots     int64 // traffic snapshots sent
	Lines         int64
	Rejected      int64
	Duplicates    int64
	FirstRejected []string
}

// Load sends the members, products, sessions and sales of g to the suite
// through its public gRPC API, on c (already carrying an admin key), and
// counts what it sent.
func Load(ctx context.Context, g *Generator, c *dial.Clients, o Options) (*Result, error) {
	if o.Streams <= 0 {
		o.Streams = 4
	}
	if o.Chunk <= 0 {
		o.Chunk = 50_000
	}
	res := &Result{}
	t0 := time.Now()
	if err := loadMembers(ctx, g, c.Members); err != nil {
		return nil, err
	}
	res.MembersTime = time.Since(t0)

	t1 := time.Now()
	if err := loadSessions(ctx, g, c.Sessions); err != nil {
		return nil, err
	}
	res.SessionsTime = time.Since(t1)

	t2 := time.Now()
	if err := loadSales(ctx, g, c.Sales, o, res); err != nil {
		return nil, err
	}
	res.SalesTime = time.Since(t2)

	t3 := time.Now()
	if err := loadTraffic(ctx, g, c.Sales, res); err != nil {
		return nil, err
	}
	res.TrafficTime = time.Since(t3)
	return res, nil
}

// loadTraffic sends every session's traffic snapshots over
// ImportSessionMetrics streams of 50,000, and counts the final ones into
// the totals.
func loadTraffic(ctx context.Context, g *Generator, sc salesv1.SalesReportingClient, res *Result) error {
	stream := newImportStream[*salesv1.ImportError]("import traffic", 50_000, func() (salesv1.SalesReporting_ImportSessionMetricsClient, error) {
		return sc.ImportSessionMetrics(ctx)
	})
	err := g.Sessions(func(s *Session) error {
		var final *Traffic
		if err := g.Traffic(s, func(t *Traffic) error {
			if err := stream.send(&salesv1.ImportSessionMetricsRequest{Metrics: trafficProto(t)}); err != nil {
				return err
			}
			final = t
			res.Snapshots++
			return nil
		}); err != nil {
			return err
		}
		if final != nil {
			res.Totals.AddTraffic(g, s, final)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return stream.close()
}

func trafficProto(t *Traffic) *salesv1.SessionMetrics {
	m := &salesv1.SessionMetrics{Session: t.Session, Platform: platform(t.Platform), AsOf: timestamppb.New(t.AsOf),
		Views: t.Views, Viewers: t.Viewers, PeakConcurrentViewers: t.PeakConcurrentViewers,
		AverageViewDuration: durationpb.New(t.AverageViewDuration), Likes: t.Likes, Comments: t.Comments, Shares: t.Shares,
		NewFollowers: t.NewFollowers, ProductImpressions: t.ProductImpressions, ProductClicks: t.ProductClicks}
	for _, p := range t.Products {
		m.Products = append(m.Products, &salesv1.ProductTraffic{Product: p.Product, Impressions: p.Impressions, Clicks: p.Clicks})
	}
	return m
}

func exists(err error) bool { return status.Code(err) == codes.AlreadyExists }

func loadMembers(ctx context.Context, g *Generator, mc memberv1.MemberRegistryClient) error {
	kinds := map[string]memberv1.MemberKind{"HOST": memberv1.MemberKind_MEMBER_KIND_HOST, "BASE": memberv1.MemberKind_MEMBER_KIND_BASE,
		"AGENCY": memberv1.MemberKind_MEMBER_KIND_AGENCY, "MERCHANT": memberv1.MemberKind_MEMBER_KIND_MERCHANT,
		"DISTRICT_OFFICE": memberv1.MemberKind_MEMBER_KIND_DISTRICT_OFFICE}
	// Agencies first: hosts name them.
	order := append([]Member(nil), g.Members...)
	sort.SliceStable(order, func(i, j int) bool { return order[i].Kind == "AGENCY" && order[j].Kind != "AGENCY" })
	for _, m := range order {
		pm := &memberv1.Member{Kind: kinds[m.Kind], DisplayName: m.DisplayName, District: m.District, Agency: m.Agency, Official: m.Official}
		for _, s := range m.Studios {
			pm.Studios = append(pm.Studios, &memberv1.Studio{StudioId: s, DisplayName: "直播间 " + s})
		}
		if _, err := mc.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: m.ID, Member: pm}); err != nil && !exists(err) {
			return fmt.Errorf("create member %s: %w", m.ID, err)
		}
	}
	for _, p := range g.Products {
		_, err := mc.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: "members/" + p.Merchant, ProductId: p.ID,
			Product: &memberv1.Product{DisplayName: p.DisplayName, Category: p.Category, OriginDistrict: p.Origin,
				ListPrice: &typev1.Money{CurrencyCode: "CNY", MinorUnits: p.PriceFen}}})
		if err != nil && !exists(err) {
			return fmt.Errorf("create product %s: %w", p.Name(), err)
		}
	}
	return nil
}

func platform(name string) typev1.Platform {
	return typev1.Platform(typev1.Platform_value["PLATFORM_"+name])
}

func sessionProto(s *Session) *sessionv1.Session {
	ps := &sessionv1.Session{Title: "直播专场 " + s.ID, Host: s.Host, Studio: s.Studio, Merchants: s.Merchants,
		Platform: platform(s.Platform), StartTime: timestamppb.New(s.Start), EndTime: timestamppb.New(s.End)}
	for _, p := range s.Products {
		ps.Products = append(ps.Products, p.Name())
	}
	if s.Cancelled {
		ps.State, ps.CancelReason = sessionv1.SessionState_SESSION_STATE_CANCELLED, "schedule change"
	} else {
		ps.State = sessionv1.SessionState_SESSION_STATE_ENDED
		ps.ActualStartTime, ps.ActualEndTime = ps.StartTime, ps.EndTime
	}
	return ps
}

func loadSessions(ctx context.Context, g *Generator, sc sessionv1.SessionSchedulerClient) error {
	return importSessions(ctx, sc, g.Sessions)
}

// importSessions imports every session each calls fn with, in streams of
// 20,000.
func importSessions(ctx context.Context, sc sessionv1.SessionSchedulerClient, each func(fn func(*Session) error) error) error {
	stream := newImportStream[*sessionv1.ImportError]("import sessions", 20_000, func() (sessionv1.SessionScheduler_ImportSessionsClient, error) {
		return sc.ImportSessions(ctx)
	})
	err := each(func(s *Session) error {
		return stream.send(&sessionv1.ImportSessionsRequest{SessionId: s.ID, Session: sessionProto(s)})
	})
	if err != nil {
		return err
	}
	return stream.close()
}

func saleProto(l *Sale) *salesv1.Sale {
	s := &salesv1.Sale{Session: l.Session, Product: l.Product, Kind: salesv1.SaleKind_SALE_KIND_ORDER, Quantity: l.Quantity,
		Amount: &typev1.Money{CurrencyCode: "CNY", MinorUnits: l.AmountFen}, Platform: platform(l.Platform),
		ExternalId: l.ExternalID, EventTime: timestamppb.New(l.EventTime)}
	if l.Refund {
		s.Kind, s.RefundOf = salesv1.SaleKind_SALE_KIND_REFUND, l.RefundOf
	}
	return s
}

// loadSales streams every line in chunks over parallel streams. Each chunk
// holds whole sessions, so an order and its refunds travel together (a
// refund names an order that must already exist).
func loadSales(ctx context.Context, g *Generator, sc salesv1.SalesReportingClient, o Options, res *Result) error {
	chunks := make(chan []*salesv1.Sale, o.Streams)
	var sent, rejected, duplicates atomic.Int64
	var firstErr error
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range o.Streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for chunk := range chunks {
				resp, err := sendChunk(ctx, sc, chunk)
				if err != nil {
					fail(err)
					cancel()
					continue
				}
				sent.Add(int64(len(chunk)))
				duplicates.Add(resp.GetDuplicates())
				if n := resp.GetRejected(); n > 0 {
					rejected.Add(n)
					mu.Lock()
					for _, e := range resp.GetErrors() {
						if len(res.FirstRejected) < 5 {
							res.FirstRejected = append(res.FirstRejected, fmt.Sprintf("%s: %s %s", chunk[e.GetIndex()].GetExternalId(), e.GetReason(), e.GetMessage()))
						}
					}
					mu.Unlock()
				}
			}
		}()
	}

	expected := g.ExpectedLines()
	start := time.Now()
	stop := make(chan struct{})
	if o.Progress != nil {
		every := o.Every
		if every <= 0 {
			every = 5 * time.Second
		}
		go func() {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					n := sent.Load()
					rate := float64(n) / time.Since(start).Seconds()
					eta := time.Duration(float64(max(expected-n, 0))/max(rate, 1)) * time.Second
					fmt.Fprintf(o.Progress, "  sales %11d of ~%d  %8.0f lines/s  ETA %s\n", n, expected, rate, eta.Round(time.Second))
				}
			}
		}()
	}

	var chunk []*salesv1.Sale
	genErr := g.Sessions(func(s *Session) error {
		var lines []*Sale
		if err := g.Sales(s, func(l *Sale) error {
			lines = append(lines, l)
			chunk = append(chunk, saleProto(l))
			return nil
		}); err != nil {
			return err
		}
		res.Totals.Add(g, s, lines)
		if len(chunk) >= o.Chunk {
			select {
			case chunks <- chunk:
			case <-ctx.Done():
				return ctx.Err()
			}
			chunk = nil
		}
		return nil
	})
	if genErr == nil && len(chunk) > 0 {
		chunks <- chunk
	}
	close(chunks)
	wg.Wait()
	close(stop)
	res.Lines, res.Rejected, res.Duplicates = sent.Load(), rejected.Load(), duplicates.Load()
	if firstErr != nil {
		return firstErr
	}
	if genErr != nil && !errors.Is(genErr, context.Canceled) {
		return genErr
	}
	return nil
}

// SalesPerMessage is how many sale lines one ImportSales message carries
// (its repeated sales): a message a line costs both sides far more to
// send and read, and 1,000 lines (some 150 KB) stay far inside the
// server's 4 MiB receive limit.
const SalesPerMessage = 1000

func sendChunk(ctx context.Context, sc salesv1.SalesReportingClient, chunk []*salesv1.Sale) (*salesv1.ImportSalesResponse, error) {
	stream, err := sc.ImportSales(ctx)
	if err != nil {
		return nil, err
	}
	for len(chunk) > 0 {
		n := min(len(chunk), SalesPerMessage)
		if err := stream.Send(&salesv1.ImportSalesRequest{Sales: chunk[:n]}); err != nil {
			if err == io.EOF { // the server ended the stream: its status says why
				_, err = stream.CloseAndRecv()
			}
			return nil, fmt.Errorf("import sales: %w", err)
		}
		chunk = chunk[n:]
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return nil, fmt.Errorf("import sales: %w", err)
	}
	return resp, nil
}

// ExpectedLines estimates the number of sale lines, for progress and ETA.
func (g *Generator) ExpectedLines() int64 {
	meanOrders := float64(g.cfg.GrossYuan*100) / float64(g.cfg.Sessions) / float64(g.cfg.AvgOrderFen)
	return int64(meanOrders * (1 + g.cfg.RefundRate) * float64(g.cfg.Sessions) * g.cfg.Scale)
}

// First returns the first n sale lines of the year, in the order Load
// sends them (whole sessions, so a refund follows its order), and the
// sessions they belong to.
func (g *Generator) First(n int) ([]*Session, []*Sale) {
	var sessions []*Session
	var lines []*Sale
	stop := errors.New("enough")
	_ = g.Sessions(func(s *Session) error {
		if len(lines) >= n {
			return stop
		}
		if s.Cancelled {
			return nil
		}
		sessions = append(sessions, s)
		return g.Sales(s, func(l *Sale) error {
			lines = append(lines, l)
			return nil
		})
	})
	return sessions, lines
}

// LoadCast creates g's members and products (existing ones are kept).
func LoadCast(ctx context.Context, g *Generator, mc memberv1.MemberRegistryClient) error {
	return loadMembers(ctx, g, mc)
}

// LoadSessions imports the given sessions of g, as Load does.
func LoadSessions(ctx context.Context, sc sessionv1.SessionSchedulerClient, sessions []*Session) error {
	return importSessions(ctx, sc, func(fn func(*Session) error) error {
		for _, s := range sessions {
			if err := fn(s); err != nil {
				return err
			}
		}
		return nil
	})
}

// SaleProto is the line as ImportSales and RecordSale take it.
func SaleProto(l *Sale) *salesv1.Sale { return saleProto(l) }
