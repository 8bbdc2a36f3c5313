package app_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/sales-reporting/app"
	"github.com/cqlive/alliance/services/sales-reporting/internal/rpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// TestARefundIsBoundToItsOrdersSession: with real member keys, a party to
// another session cannot refund an order (and learns nothing of it), so
// the order's own refund still goes through; a caller who may see both
// sessions is told the refund is on the wrong one.
func TestARefundIsBoundToItsOrdersSession(t *testing.T) {
	e := newAuthzEnv(t)
	e.sched.Put(e.a.Session("ended-2", sessionv1.SessionState_SESSION_STATE_ENDED, t0, t0.Add(3*time.Hour))) // same parties as sEnded
	at := t0.Add(time.Hour)
	if _, err := e.sales.RecordSale(e.admin, &salesv1.RecordSaleRequest{Sale: order(sEnded, e.a.Tea, "a-order", 2, 5000, at)}); err != nil {
		t.Fatal(err)
	}
	asOther := func(ext, of string) error {
		_, err := e.sales.RecordSale(e.as["other host"], &salesv1.RecordSaleRequest{Sale: refund(sNoodles, e.a.Noodles, ext, of, 2, 5000, at.Add(time.Minute))})
		return err
	}

	t.Run("a party to another session: the same answer as for an unknown order", func(t *testing.T) {
		foreign, unknown := asOther("b-r1", "a-order"), asOther("b-r2", "no-such-order")
		wantRefusal(t, foreign, codes.FailedPrecondition, "REFUND_ORDER_NOT_FOUND")
		wantRefusal(t, unknown, codes.FailedPrecondition, "REFUND_ORDER_NOT_FOUND")
		fm, um := status.Convert(foreign).Message(), status.Convert(unknown).Message()
		if fm != strings.ReplaceAll(um, "no-such-order", "a-order") {
			t.Fatalf("the two answers differ: %q and %q", fm, um)
		}
		for _, secret := range []string{"5000", sEnded, "units"} {
			if strings.Contains(prototext.Format(status.Convert(foreign).Proto()), secret) {
				t.Fatalf("the refusal tells of the order (%q): %v", secret, status.Convert(foreign).Proto())
			}
		}
		stream, err := e.sales.ImportSales(e.as["other host"])
		if err != nil {
			t.Fatal(err)
		}
		if err := stream.Send(&salesv1.ImportSalesRequest{Sale: refund(sNoodles, e.a.Noodles, "b-r3", "a-order", 1, 1, at.Add(time.Minute))}); err != nil {
			t.Fatal(err)
		}
		r, err := stream.CloseAndRecv()
		if err != nil || r.GetRejected() != 1 || r.GetErrors()[0].GetReason() != "REFUND_ORDER_NOT_FOUND" {
			t.Fatalf("import: %v %v", r, err)
		}
	})
	t.Run("the order's own party still refunds it whole", func(t *testing.T) {
		if _, err := e.sales.RecordSale(e.as["host"], &salesv1.RecordSaleRequest{Sale: refund(sEnded, e.a.Tea, "a-r1", "a-order", 2, 5000, at.Add(time.Hour))}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a caller who sees both sessions is told the refund is on the wrong one", func(t *testing.T) {
		_, err := e.sales.RecordSale(e.admin, &salesv1.RecordSaleRequest{Sale: refund(sNoodles, e.a.Noodles, "b-r4", "a-order", 1, 1, at.Add(time.Minute))})
		wantRefusal(t, err, codes.FailedPrecondition, "REFUND_SESSION_MISMATCH")
		if got := grpcx.ErrorInfo(err).GetMetadata()["session"]; got != sEnded {
			t.Fatalf("metadata names session %q, want %s", got, sEnded)
		}
		_, err = e.sales.RecordSale(e.as["host"], &salesv1.RecordSaleRequest{Sale: refund("sessions/ended-2", e.a.Tea, "b-r5", "a-order", 1, 1, at.Add(time.Minute))})
		wantRefusal(t, err, codes.FailedPrecondition, "REFUND_SESSION_MISMATCH")
	})
	if got := e.externalIDs(sNoodles); len(got) != 0 {
		t.Fatalf("refunds stored on %s: %v", sNoodles, got)
	}
	if got := e.externalIDs(sEnded); strings.Join(got, " ") != "a-order a-r1" {
		t.Fatalf("sales of %s: %v", sEnded, got)
	}
}

// TestImportAnswerFitsTheDefaultReceiveLimit: 20,000 rejected lines with
// long messages, read by a client with gRPC's default 4 MiB receive
// limit. The counts are exact; the errors are the first ones, within the
// budget, and the answer says more were left out.
func TestImportAnswerFitsTheDefaultReceiveLimit(t *testing.T) {
	e := newEnv(t)
	const bad, good = 20000, 100
	var lines []*salesv1.Sale
	for i := range bad {
		s := order(sEnded, e.a.Tea, ext("big", i), 1, 100, t0.Add(time.Hour))
		s.Amount.CurrencyCode = strings.Repeat("Y", 600) // echoed in each message
		lines = append(lines, s)
	}
	for i := range good {
		lines = append(lines, order(sEnded, e.a.Tea, ext("ok", i), 1, 100, t0.Add(time.Hour)))
	}
	r, err := e.importSales(lines) // testkit.Dial: the default receive limit
	if err != nil {
		t.Fatalf("the client could not read the answer: %v", err)
	}
	if r.GetAccepted() != good || r.GetRejected() != bad || r.GetDuplicates() != 0 {
		t.Fatalf("counts: accepted %d rejected %d duplicates %d, want %d %d 0", r.GetAccepted(), r.GetRejected(), r.GetDuplicates(), good, bad)
	}
	if !r.GetErrorsTruncated() || len(r.GetErrors()) == 0 || len(r.GetErrors()) > grpcx.MaxAnswerErrors {
		t.Fatalf("%d errors listed, truncated %v; want at most %d and truncated", len(r.GetErrors()), r.GetErrorsTruncated(), grpcx.MaxAnswerErrors)
	}
	for i, er := range r.GetErrors() {
		if er.GetIndex() != int64(i) || er.GetReason() != "INVALID_ARGUMENT" {
			t.Fatalf("error %d: %v, want the first lines in order", i, er)
		}
	}
	if size := proto.Size(r); size > 2*grpcx.MaxAnswerErrorBytes {
		t.Fatalf("answer of %d bytes", size)
	}
	small, err := e.importSales(lines[:3])
	if err != nil || small.GetErrorsTruncated() || len(small.GetErrors()) != 3 {
		t.Fatalf("a small answer %v %v, want every error and not truncated", small, err)
	}
}

// TestASlowDependencyFailsOnlyTheLinesItConcerns runs the map-backed
// scheduler, a real gRPC server, with calls that answer late: an import
// asks again within its patience and goes through; a dependency that
// stays slow refuses the lines it concerns, not the stream; RecordSale
// fails fast, naming the service.
func TestASlowDependencyFailsOnlyTheLinesItConcerns(t *testing.T) {
	e := newEnv(t)
	e.stop()
	e.cfg.DependencyTimeout = 500 * time.Millisecond
	e.cfg.ImportPatience = 4 * time.Second
	e.start()
	t.Cleanup(func() { e.sched.Slow(0, 0) })

	t.Run("two late answers: the import asks again and every line goes in", func(t *testing.T) {
		var lines []*salesv1.Sale
		for i := range 5000 {
			s := order(sEnded, e.a.Tea, ext("slow", i), 1, 100, t0.Add(time.Duration(i)*time.Second))
			if i%2 == 1 {
				s = order(sKuaishou, e.a.Tea, ext("slow", i), 1, 100, t0.Add(time.Duration(i)*time.Second/10))
				s.Platform = 3 // KUAISHOU
			}
			lines = append(lines, s)
		}
		before := e.sched.BatchCalls.Load()
		e.sched.Slow(2, 3*time.Second)
		r, err := e.importSales(lines)
		if err != nil || r.GetAccepted() != 5000 {
			t.Fatalf("import: %v %v, want all 5,000 accepted", r.GetAccepted(), err)
		}
		if calls := e.sched.BatchCalls.Load() - before; calls < 3 {
			t.Fatalf("%d BatchGetSessions calls: the slow ones were not asked again", calls)
		}
	})
	t.Run("RecordSale fails fast with UNAVAILABLE naming the service", func(t *testing.T) {
		e.sched.Slow(1, 3*time.Second)
		_, err := e.record(order(sLive, e.a.Tea, "slow-live", 1, 100, t0.Add(time.Hour)))
		wantErr(t, err, codes.Unavailable, "DEPENDENCY_UNAVAILABLE")
		if msg := status.Convert(err).Message(); !strings.Contains(msg, "session-scheduling is unavailable") {
			t.Fatalf("message %q does not name the service", msg)
		}
		e.mustRecord(order(sLive, e.a.Tea, "slow-live", 1, 100, t0.Add(time.Hour)))
	})
	t.Run("a dependency that stays slow: its lines are refused, the others go in", func(t *testing.T) {
		e.sched.Put(e.a.Session("never-answered", sessionv1.SessionState_SESSION_STATE_ENDED, t0, t0.Add(3*time.Hour)))
		var lines []*salesv1.Sale
		for i := range 10 {
			lines = append(lines, order("sessions/never-answered", e.a.Tea, ext("na", i), 1, 100, t0.Add(time.Hour)))
		}
		for i := range 10 {
			lines = append(lines, order(sEnded, e.a.Tea, ext("known", i), 1, 100, t0.Add(time.Hour))) // known and final: no call
		}
		e.sched.Slow(1<<30, 3*time.Second)
		defer e.sched.Slow(0, 0)
		r, err := e.importSales(lines)
		if err != nil {
			t.Fatalf("the stream failed: %v", err)
		}
		if r.GetAccepted() != 10 || r.GetRejected() != 10 || len(r.GetErrors()) != 10 {
			t.Fatalf("answer %v, want 10 accepted and 10 rejected", r)
		}
		for i, er := range r.GetErrors() {
			if er.GetIndex() != int64(i) || er.GetCode() != "UNAVAILABLE" || er.GetReason() != "DEPENDENCY_UNAVAILABLE" ||
				!strings.Contains(er.GetMessage(), "session-scheduling") {
				t.Fatalf("error %d: %v", i, er)
			}
		}
	})
}

// TestDependencyErrorsNameTheServiceNotItsAddress: whichever call meets a
// dependency that is down, the caller is told which service, never where
// it runs.
func TestDependencyErrorsNameTheServiceNotItsAddress(t *testing.T) {
	e := newEnv(t)
	// Not from the ephemeral range, which the servers started on port 0
	// draw from.
	deadAddr := func() string { return testkit.FreeAddr(t) }
	check := func(t *testing.T, service, addr string, err error) {
		t.Helper()
		if status.Code(err) != codes.Unavailable {
			t.Fatalf("got %v, want UNAVAILABLE", err)
		}
		all := prototext.Format(status.Convert(err).Proto())
		if !strings.Contains(all, service) {
			t.Fatalf("the error does not name %s: %s", service, all)
		}
		host, port, _ := net.SplitHostPort(addr)
		for _, leak := range []string{addr, host, ":" + port, "dial tcp", "connection refused"} {
			if strings.Contains(all, leak) {
				t.Fatalf("the error carries %q: %s", leak, all)
			}
		}
	}
	lineErr := func(r *salesv1.ImportSalesResponse, err error) error {
		if err != nil {
			return err
		}
		if len(r.GetErrors()) != 1 {
			return fmt.Errorf("answer %v", r)
		}
		er := r.GetErrors()[0]
		return status.Error(codes.Unavailable, er.GetCode()+" "+er.GetReason()+" "+er.GetMessage())
	}
	ctx := context.Background()

	// Ingestion needs both dependencies: down, either is named by both ways in.
	ingestion := func(dep, addr, recordID, importID string) {
		t.Run(dep+" down: RecordSale", func(t *testing.T) {
			_, err := e.record(order(sEnded, e.a.Tea, recordID, 1, 100, t0.Add(time.Hour)))
			check(t, dep, addr, err)
		})
		t.Run(dep+" down: ImportSales", func(t *testing.T) {
			check(t, dep, addr, lineErr(e.importSales([]*salesv1.Sale{order(sEnded, e.a.Tea, importID, 1, 100, t0.Add(time.Hour))})))
		})
	}

	sched := deadAddr()
	e.stop()
	e.cfg.SessionSchedulingAddr, e.cfg.DependencyTimeout, e.cfg.ImportPatience = sched, 300*time.Millisecond, 500*time.Millisecond
	e.start()
	ingestion("session-scheduling", sched, "addr-1", "addr-2")
	t.Run("session-scheduling down: GetSessionSummary", func(t *testing.T) {
		_, err := e.sales.GetSessionSummary(ctx, &salesv1.GetSessionSummaryRequest{Session: sEnded})
		check(t, "session-scheduling", sched, err)
	})
	t.Run("session-scheduling down: GetAllianceOverview", func(t *testing.T) {
		_, err := e.sales.GetAllianceOverview(ctx, &salesv1.GetAllianceOverviewRequest{StartDate: "2026-03-01", EndDate: "2026-04-01"})
		check(t, "session-scheduling", sched, err)
	})

	reg := deadAddr()
	e.stop()
	e.cfg.SessionSchedulingAddr, e.cfg.MemberRegistryAddr = e.schedAddr, reg
	e.start()
	ingestion("member-registry", reg, "addr-3", "addr-4")
}

func TestTheReportingCurrencyMustBeAnISO4217Code(t *testing.T) {
	for _, c := range []struct {
		currency string
		ok       bool
	}{{"CNY", true}, {"USD", true}, {"RMB", false}, {"cny", false}, {"CN", false}, {"人民币", false}} {
		t.Run(c.currency, func(t *testing.T) {
			srv, err := app.New(app.Config{Config: service.Config{DataDir: t.TempDir(), ShutdownTimeout: time.Second},
				Currency: c.currency, MemberRegistryAddr: "127.0.0.1:1", SessionSchedulingAddr: "127.0.0.1:1"}, testkit.Quiet)
			if c.ok != (err == nil) {
				t.Fatalf("currency %q: %v", c.currency, err)
			}
			if srv != nil {
				testkit.Serve(t, srv) // closes the store when the test ends
			}
		})
	}
}

// TestARefundIsBoundToItsOrdersProduct: a refund of another product of the
// same session would move the refund into that product's merchant,
// category and origin rollups; it is refused and nothing is stored.
func TestARefundIsBoundToItsOrdersProduct(t *testing.T) {
	e := newAuthzEnv(t)
	at := t0.Add(time.Hour)
	if _, err := e.sales.RecordSale(e.admin, &salesv1.RecordSaleRequest{Sale: order(sEnded, e.a.Hotpot, "p-order", 2, 5000, at)}); err != nil {
		t.Fatal(err)
	}
	_, err := e.sales.RecordSale(e.admin, &salesv1.RecordSaleRequest{Sale: refund(sEnded, e.a.Tea, "p-r1", "p-order", 1, 100, at.Add(time.Minute))})
	wantRefusal(t, err, codes.FailedPrecondition, "REFUND_PRODUCT_MISMATCH")
	if got := grpcx.ErrorInfo(err).GetMetadata()["product"]; got != e.a.Hotpot {
		t.Fatalf("metadata names product %q, want %s", got, e.a.Hotpot)
	}
	if _, err := e.sales.RecordSale(e.admin, &salesv1.RecordSaleRequest{Sale: refund(sEnded, e.a.Hotpot, "p-r2", "p-order", 1, 100, at.Add(time.Minute))}); err != nil {
		t.Fatalf("the refund of the order's own product: %v", err)
	}
	if got := e.externalIDs(sEnded); strings.Join(got, " ") != "p-order p-r2" {
		t.Fatalf("sales of %s: %v", sEnded, got)
	}
}

// TestAnImportMessageOfTooManySalesEndsTheStream: a message of more than
// MaxImportMessageLines sales (65,537 empty ones, 128 KB; two million
// made the server allocate 600 MB) ends the stream INVALID_ARGUMENT
// MALFORMED_REQUEST before anything of it is decoded (as a stream that
// fails to read, it stores only the chunks it had submitted), and the
// service goes on: a message of MaxImportMessageLines is read.
func TestAnImportMessageOfTooManySalesEndsTheStream(t *testing.T) {
	e := newEnv(t)
	stream, err := e.sales.ImportSales(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&salesv1.ImportSalesRequest{Sale: order(sEnded, e.a.Tea, "before", 1, 100, t0.Add(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	flood := &salesv1.ImportSalesRequest{Sales: make([]*salesv1.Sale, rpc.MaxImportMessageLines+1)}
	for i := range flood.Sales {
		flood.Sales[i] = &salesv1.Sale{}
	}
	_ = stream.Send(flood) // io.EOF once the server has answered
	_, err = stream.CloseAndRecv()
	wantRefusal(t, err, codes.InvalidArgument, "MALFORMED_REQUEST")
	stream, err = e.sales.ImportSales(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&salesv1.ImportSalesRequest{Sales: flood.Sales[:rpc.MaxImportMessageLines]}); err != nil {
		t.Fatal(err)
	}
	r, err := stream.CloseAndRecv()
	if err != nil || r.GetRejected() != rpc.MaxImportMessageLines {
		t.Fatalf("a message of MaxImportMessageLines empty sales: %v, %v", r, err)
	}
}
