package rpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"github.com/cqlive/alliance/services/sales-reporting/internal/store"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var at = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// oneSession is a directory that knows one LIVE session and its product.
type oneSession struct{}

func (oneSession) Sessions(_ context.Context, names []string) (map[string]ingest.SessionInfo, error) {
	out := map[string]ingest.SessionInfo{}
	for _, n := range names {
		if n == "sessions/live" {
			out[n] = ingest.SessionInfo{Name: n, Host: "members/h", Studio: "members/b/studios/s", Products: []string{"members/m/products/p"},
				Platform: "DOUYIN", State: ingest.Live, ActualStart: at.Add(-time.Hour)}
		}
	}
	return out, nil
}

func (oneSession) Members(context.Context, []string) (map[string]ingest.MemberInfo, error) {
	return map[string]ingest.MemberInfo{}, nil
}

func (oneSession) Product(_ context.Context, name string) (ingest.Product, bool, error) {
	return ingest.Product{Name: name, Merchant: ingest.MerchantOf(name), Category: "tea"}, true, nil
}

// importStream sends lines to ImportSales and keeps its answer.
type importStream struct {
	grpc.ServerStream
	ctx   context.Context
	lines []*salesv1.ImportSalesRequest
	resp  *salesv1.ImportSalesResponse
}

func (s *importStream) Context() context.Context { return s.ctx }

func (s *importStream) Recv() (*salesv1.ImportSalesRequest, error) {
	if len(s.lines) == 0 {
		return nil, io.EOF
	}
	l := s.lines[0]
	s.lines = s.lines[1:]
	return l, nil
}

func (s *importStream) SendAndClose(r *salesv1.ImportSalesResponse) error { s.resp = r; return nil }

// TestAnUnreadableLineIsRefusedAtItsIndex: a line whose timestamp is not
// one is refused by the adapter, before ingestion, at its own index and in
// stream order; the lines around it go on.
func TestAnUnreadableLineIsRefusedAtItsIndex(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "sales.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := ingest.NewService(st, oneSession{}, report.New(time.UTC), ingest.Config{Currency: "CNY", Location: time.UTC, Now: func() time.Time { return at }})
	defer svc.Close()
	line := func(id string, ts *timestamppb.Timestamp) *salesv1.ImportSalesRequest {
		return &salesv1.ImportSalesRequest{Sale: &salesv1.Sale{Session: "sessions/live", Product: "members/m/products/p", Kind: salesv1.SaleKind_SALE_KIND_ORDER,
			Quantity: 1, Amount: &typev1.Money{CurrencyCode: "CNY", MinorUnits: 100}, Platform: typev1.Platform_PLATFORM_DOUYIN, ExternalId: id, EventTime: ts}}
	}
	ok := timestamppb.New(at.Add(-time.Minute))
	stream := &importStream{
		ctx: auth.WithPrincipal(context.Background(), auth.Principal{Kind: auth.Unchecked}),
		lines: []*salesv1.ImportSalesRequest{
			line("a", ok), line("b", &timestamppb.Timestamp{Seconds: 253402300800}), line("c", ok),
			line("d", &timestamppb.Timestamp{Seconds: 1, Nanos: -1}), line("e", timestamppb.New(at.Add(time.Hour))),
		},
	}
	if err := New(svc, report.New(time.UTC), nil, nil, nil, "CNY").ImportSales(stream); err != nil {
		t.Fatal(err)
	}
	r := stream.resp
	if r.GetAccepted() != 2 || r.GetRejected() != 3 || len(r.GetErrors()) != 3 {
		t.Fatalf("answer %v, want 2 accepted and 3 refused", r)
	}
	for i, want := range []struct {
		index  int64
		reason string
	}{{1, "INVALID_ARGUMENT"}, {3, "INVALID_ARGUMENT"}, {4, "EVENT_OUTSIDE_SESSION"}} {
		if e := r.GetErrors()[i]; e.GetIndex() != want.index || e.GetReason() != want.reason {
			t.Errorf("error %d: %v, want line %d %s", i, e, want.index, want.reason)
		}
	}
}

// importFixture is a service over a real store with oneSession behind it.
func importFixture(t *testing.T) (*store.Store, *ingest.Service, *Server) {
	return importFixtureOver(t, func(st *store.Store) ingest.Repo { return st })
}

// importFixtureOver is importFixture with the service over what repo
// makes of the store.
func importFixtureOver(t *testing.T, repo func(*store.Store) ingest.Repo) (*store.Store, *ingest.Service, *Server) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "sales.db"), boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := ingest.NewService(repo(st), oneSession{}, report.New(time.UTC), ingest.Config{Currency: "CNY", Location: time.UTC, Now: func() time.Time { return at }})
	t.Cleanup(func() { svc.Close() })
	return st, svc, New(svc, report.New(time.UTC), nil, nil, nil, "CNY")
}

func importLine(id string, qty int64) *salesv1.ImportSalesRequest {
	return &salesv1.ImportSalesRequest{Sale: &salesv1.Sale{Session: "sessions/live", Product: "members/m/products/p", Kind: salesv1.SaleKind_SALE_KIND_ORDER,
		Quantity: qty, Amount: &typev1.Money{CurrencyCode: "CNY", MinorUnits: 100}, Platform: typev1.Platform_PLATFORM_DOUYIN, ExternalId: id,
		EventTime: timestamppb.New(at.Add(-time.Minute))}}
}

func unchecked() context.Context {
	return auth.WithPrincipal(context.Background(), auth.Principal{Kind: auth.Unchecked})
}

// The chunks of an import are read, submitted and collected by three
// goroutines at once; the answer still lists the refusals in stream order,
// each at its own index.
func TestRefusalsOfManyChunksComeInStreamOrder(t *testing.T) {
	_, _, srv := importFixture(t)
	var lines []*salesv1.ImportSalesRequest
	var want []int64
	for i := range 5*importChunk + 17 {
		qty := int64(1)
		if i%997 == 0 {
			qty, want = 0, append(want, int64(i)) // INVALID_ARGUMENT
		}
		lines = append(lines, importLine(fmt.Sprintf("o-%05d", i), qty))
	}
	stream := &importStream{ctx: unchecked(), lines: lines}
	if err := srv.ImportSales(stream); err != nil {
		t.Fatal(err)
	}
	r := stream.resp
	if r.GetAccepted() != int64(len(lines)-len(want)) || r.GetRejected() != int64(len(want)) {
		t.Fatalf("accepted %d, rejected %d; want %d and %d", r.GetAccepted(), r.GetRejected(), len(lines)-len(want), len(want))
	}
	var got []int64
	for _, e := range r.GetErrors() {
		got = append(got, e.GetIndex())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("refused lines %v, want %v", got, want)
	}
}

// failingStream fails to read after its lines.
type failingStream struct {
	importStream
	err error
}

func (s *failingStream) Recv() (*salesv1.ImportSalesRequest, error) {
	if len(s.lines) == 0 {
		return nil, s.err
	}
	return s.importStream.Recv()
}

// A stream that breaks ends the import with its error, once the chunks
// submitted before have committed: nothing of the import is still running
// when the handler returns.
func TestABrokenStreamEndsTheImportAfterItsSubmittedChunks(t *testing.T) {
	st, _, srv := importFixture(t)
	var lines []*salesv1.ImportSalesRequest
	for i := range 2*importChunk + importChunk/2 {
		lines = append(lines, importLine(fmt.Sprintf("o-%05d", i), 1))
	}
	broken := errors.New("the client went away")
	stream := &failingStream{importStream: importStream{ctx: unchecked(), lines: lines}, err: broken}
	if err := srv.ImportSales(stream); !errors.Is(err, broken) {
		t.Fatalf("ImportSales: %v, want the stream's error", err)
	}
	stored := 0
	if err := st.View(func(tx ingest.ReadTx) error {
		for i := range len(lines) {
			s, err := tx.SaleByKey("DOUYIN", fmt.Sprintf("o-%05d", i))
			if err != nil {
				return err
			}
			if s != nil {
				stored++
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if stored != 2*importChunk {
		t.Fatalf("%d lines stored when the handler returned, want the %d of the two full chunks", stored, 2*importChunk)
	}
}

// A chunk that cannot be submitted (the service is shutting down) ends the
// import with that fault.
func TestAnImportEndsWhenAChunkCannotBeSubmitted(t *testing.T) {
	_, svc, srv := importFixture(t)
	svc.Close()
	var lines []*salesv1.ImportSalesRequest
	for i := range 3 * importChunk {
		lines = append(lines, importLine(fmt.Sprintf("o-%05d", i), 1))
	}
	err := srv.ImportSales(&importStream{ctx: unchecked(), lines: lines})
	if status.Code(err) != codes.Unavailable || grpcx.Reason(err) != ingest.ReasonShuttingDown.String() {
		t.Fatalf("ImportSales: %v, want UNAVAILABLE %s", err, ingest.ReasonShuttingDown)
	}
}

// A message of ImportSales carries its sale, then its sales, and each line
// keeps its position in the stream whatever message carried it; a message
// with neither is one line, refused as a missing sale.
func TestAMessageMayCarryOneSaleOrMany(t *testing.T) {
	st, _, srv := importFixture(t)
	sale := func(id string, qty int64) *salesv1.Sale { return importLine(id, qty).GetSale() }
	stream := &importStream{ctx: unchecked(), lines: []*salesv1.ImportSalesRequest{
		{Sale: sale("a", 1)}, // line 0
		{Sales: []*salesv1.Sale{sale("b", 2), sale("c", 0), sale("d", 4)}}, // lines 1-3; c is invalid
		{}, // line 4: neither
		{Sale: sale("e", 5), Sales: []*salesv1.Sale{sale("f", 0), sale("g", 7)}}, // lines 5-7: sale first; f is invalid
		{Sales: []*salesv1.Sale{sale("h", 8)}},                                   // line 8
	}}
	if err := srv.ImportSales(stream); err != nil {
		t.Fatal(err)
	}
	r := stream.resp
	var refused []int64
	for _, e := range r.GetErrors() {
		if e.GetCode() != "INVALID_ARGUMENT" {
			t.Errorf("line %d refused %s %s, want INVALID_ARGUMENT", e.GetIndex(), e.GetCode(), e.GetMessage())
		}
		refused = append(refused, e.GetIndex())
	}
	if r.GetAccepted() != 6 || r.GetRejected() != 3 || !slices.Equal(refused, []int64{2, 4, 6}) {
		t.Fatalf("answer %v, want 6 accepted and lines 2, 4 and 6 refused", r)
	}
	if msg := r.GetErrors()[1].GetMessage(); !strings.Contains(msg, "sale.") {
		t.Errorf("the empty message's refusal %q names no field of the sale", msg)
	}
	// Each stored line is the sale it was sent as.
	if err := st.View(func(tx ingest.ReadTx) error {
		for id, qty := range map[string]int64{"a": 1, "b": 2, "d": 4, "e": 5, "g": 7, "h": 8} {
			s, err := tx.SaleByKey("DOUYIN", id)
			if err != nil {
				return err
			}
			if s == nil || s.Quantity != qty {
				t.Errorf("sale %s stored as %+v, want quantity %d", id, s, qty)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// An import reuses the line buffers of its chunks once their lines are
// stored: over many chunks in flight, every line is stored as it was sent,
// and none in another line's place.
func TestEveryLineOfManyChunksIsStoredAsSent(t *testing.T) {
	st, _, srv := importFixture(t)
	const n = 6*importChunk + 321
	var msgs []*salesv1.ImportSalesRequest
	for i := range n {
		if i%700 == 0 {
			msgs = append(msgs, &salesv1.ImportSalesRequest{})
		}
		m := msgs[len(msgs)-1]
		m.Sales = append(m.Sales, importLine(fmt.Sprintf("o-%05d", i), int64(i%9+1)).GetSale())
	}
	stream := &importStream{ctx: unchecked(), lines: msgs}
	if err := srv.ImportSales(stream); err != nil {
		t.Fatal(err)
	}
	if r := stream.resp; r.GetAccepted() != n || r.GetRejected() != 0 || r.GetDuplicates() != 0 {
		t.Fatalf("answer %v, want %d accepted", r, n)
	}
	if err := st.View(func(tx ingest.ReadTx) error {
		for i := range n {
			id := fmt.Sprintf("o-%05d", i)
			s, err := tx.SaleByKey("DOUYIN", id)
			if err != nil {
				return err
			}
			if s == nil || s.ExternalID != id || s.Quantity != int64(i%9+1) {
				return fmt.Errorf("line %d stored as %+v, want %s with quantity %d", i, s, id, i%9+1)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// slowFirstCommit is the store with its first commit of a group held for a
// while, and the size of every group it was given.
type slowFirstCommit struct {
	*store.Store
	hold   time.Duration
	mu     sync.Mutex
	groups []int
}

func (s *slowFirstCommit) UpdateLines(lines int, fn func(ingest.Tx) error) error {
	s.mu.Lock()
	first := len(s.groups) == 0
	s.groups = append(s.groups, lines)
	s.mu.Unlock()
	if first {
		time.Sleep(s.hold)
	}
	return s.Store.UpdateLines(lines, fn)
}

// While one commit of an import is on disk, the stream's next chunks are
// read, validated and queued, and the next commit takes them together, up
// to 40,000 lines (ingest's MaxCommit): each commit's fsyncs are shared by
// more lines than the 20,000 that used to be a stream's whole window.
func TestAnImportCommitsWhatQueuedMeanwhileInOneGroup(t *testing.T) {
	var slow *slowFirstCommit
	_, _, srv := importFixtureOver(t, func(st *store.Store) ingest.Repo {
		slow = &slowFirstCommit{Store: st, hold: 2 * time.Second}
		return slow
	})
	const n = 30 * importChunk
	var msgs []*salesv1.ImportSalesRequest
	for i := range n {
		if i%1000 == 0 {
			msgs = append(msgs, &salesv1.ImportSalesRequest{})
		}
		m := msgs[len(msgs)-1]
		m.Sales = append(m.Sales, importLine(fmt.Sprintf("o-%05d", i), 1).GetSale())
	}
	stream := &importStream{ctx: unchecked(), lines: msgs}
	if err := srv.ImportSales(stream); err != nil {
		t.Fatal(err)
	}
	if r := stream.resp; r.GetAccepted() != n {
		t.Fatalf("answer %v, want %d accepted", r, n)
	}
	slow.mu.Lock()
	defer slow.mu.Unlock()
	if largest := slices.Max(slow.groups); largest <= 20000 || largest > 40000 {
		t.Fatalf("groups of %v lines, want one after the held commit of more than 20,000 and at most 40,000", slow.groups)
	}
}

// However many streams import at once, the chunks they hold between
// submission and outcome stay within the server's one budget: each
// stream's own window alone would let ten streams hold ten windows.
func TestConcurrentImportsShareOneBudgetOfChunks(t *testing.T) {
	_, _, srv := importFixtureOver(t, func(st *store.Store) ingest.Repo {
		return &slowFirstCommit{Store: st, hold: time.Second}
	})
	const streams, chunks = 3, importInFlight
	var wg sync.WaitGroup
	answers := make([]*importStream, streams)
	for s := range streams {
		var msgs []*salesv1.ImportSalesRequest
		for i := range chunks * importChunk {
			if i%1000 == 0 {
				msgs = append(msgs, &salesv1.ImportSalesRequest{})
			}
			m := msgs[len(msgs)-1]
			m.Sales = append(m.Sales, importLine(fmt.Sprintf("s%d-%06d", s, i), 1).GetSale())
		}
		answers[s] = &importStream{ctx: unchecked(), lines: msgs}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.ImportSales(answers[s]); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for s, a := range answers {
		if got := a.resp.GetAccepted(); got != chunks*importChunk {
			t.Fatalf("stream %d: %v, want %d accepted", s, a.resp, chunks*importChunk)
		}
	}
	if peak := srv.imports.peak.Load(); peak > importBudget || peak < importInFlight {
		t.Fatalf("at most %d chunks were held at once, want between one stream's window (%d) and the budget (%d)", peak, importInFlight, importBudget)
	}
	if held := len(srv.imports.slots); held != 0 {
		t.Fatalf("%d chunks still held after the imports", held)
	}
}

// OnImport sees an import start before its first line is read, and its end
// only once every line is durable: the collector's headroom for imports
// (app) lasts the whole import and no longer.
func TestOnImportLastsTheWholeImport(t *testing.T) {
	st, _, srv := importFixture(t)
	var started, ended int
	srv.OnImport = func() func() {
		started++
		return func() {
			ended++
			if err := st.View(func(tx ingest.ReadTx) error {
				s, err := tx.SaleByKey("DOUYIN", "b")
				if s == nil && err == nil {
					t.Error("the import ended before its last line was stored")
				}
				return err
			}); err != nil {
				t.Error(err)
			}
		}
	}
	stream := &importStream{ctx: unchecked(), lines: []*salesv1.ImportSalesRequest{importLine("a", 1), importLine("b", 2)}}
	if err := srv.ImportSales(stream); err != nil {
		t.Fatal(err)
	}
	if started != 1 || ended != 1 {
		t.Errorf("OnImport started %d and ended %d times for one import, want 1 and 1", started, ended)
	}
	if stream.resp.GetAccepted() != 2 {
		t.Errorf("answer %v, want 2 accepted", stream.resp)
	}
}
