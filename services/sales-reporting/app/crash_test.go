package app_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"github.com/cqlive/alliance/services/sales-reporting/internal/store"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// salesProcess is the sales-reporting binary running as a child process.
type salesProcess struct {
	t    *testing.T
	cmd  *exec.Cmd
	addr string
	done chan error
}

func startProcess(t *testing.T, bin string, args ...string) *salesProcess {
	t.Helper()
	p := &salesProcess{t: t, addr: testkit.FreeAddr(t), done: make(chan error, 1)}
	p.cmd = exec.Command(bin, append([]string{"-grpc-addr", p.addr, "-log-level", "warn"}, args...)...)
	p.cmd.Stderr = os.Stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { _ = p.cmd.Process.Kill() })
	health := healthpb.NewHealthClient(testkit.Dial(t, p.addr))
	for deadline := time.Now().Add(20 * time.Second); ; {
		r, err := health.Check(context.Background(), &healthpb.HealthCheckRequest{})
		if err == nil && r.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("sales-reporting did not become healthy: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestCrashMidImport imports 100,000 sales in chunks of 5,000, one stream
// per chunk, into the real binary; kills it with SIGKILL in the middle of a
// chunk; restarts it on the same data folder; and re-sends every chunk
// that was not acknowledged. Dependencies run in this process: a member
// registry (memberfake), and the map-backed scheduler (the sessions are past).
func TestCrashMidImport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "sales-reporting")
	build := exec.Command("go", "build", "-o", bin, "../cmd/sales-reporting")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx := context.Background()
	regAddr := testkit.Serve(t, newRegistry().Server(grpcx.ServerOptions{}))
	a, err := seed(ctx, testkit.Dial(t, regAddr))
	if err != nil {
		t.Fatal(err)
	}
	sched := newScheduler()
	const sessions = 10
	for i := range sessions {
		sched.Put(a.Session(fmt.Sprintf("crash-%d", i), sessionv1.SessionState_SESSION_STATE_ENDED, t0, t0.Add(3*time.Hour)))
	}
	schedAddr := testkit.Serve(t, sched.Server())
	dataDir := t.TempDir()
	args := []string{"-data-dir", dataDir, "-member-registry-addr", regAddr, "-session-scheduling-addr", schedAddr}

	const total, chunkSize = 100000, 5000
	lines := make([]*salesv1.Sale, total)
	var orders, gross, refunds int64
	for i := range lines {
		ses := fmt.Sprintf("sessions/crash-%d", i%sessions)
		at := t0.Add(time.Duration(i) * 100 * time.Millisecond) // 10,000 s: across midnight in Chongqing
		if i%20 == 19 {
			lines[i] = refund(ses, a.Tea, ext("cr", i), ext("cr", i-1), 1, int64(100+(i-1)%900)/2, at)
			refunds += int64(100+(i-1)%900) / 2
			continue
		}
		p := a.Tea
		if i%3 == 0 {
			p = a.Hotpot
		}
		lines[i] = order(ses, p, ext("cr", i), int64(1+i%5), int64(100+i%900), at)
		orders++
		gross += int64(100 + i%900)
	}
	for i := range lines { // refunds name their order on the same session and product
		if i%20 == 19 {
			lines[i].Session, lines[i].Product = lines[i-1].GetSession(), lines[i-1].GetProduct()
		}
	}

	proc := startProcess(t, bin, args...)
	// The binary authenticates every call; its first start made an admin key.
	key, err := os.ReadFile(filepath.Join(dataDir, auth.AdminKeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	client := func() salesv1.SalesReportingClient {
		cc, err := grpcx.Dial(proc.addr, grpcx.DialOptions{GRPC: []grpc.DialOption{
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithPerRPCCredentials(auth.PerRPCToken{Token: strings.TrimSpace(string(key)), Insecure: true}),
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cc.Close() })
		return salesv1.NewSalesReportingClient(cc)
	}
	sales := client()
	send := func(c salesv1.SalesReportingClient, chunk []*salesv1.Sale, killAt int) (*salesv1.ImportSalesResponse, error) {
		stream, err := c.ImportSales(ctx)
		if err != nil {
			return nil, err
		}
		for i, s := range chunk {
			if i == killAt {
				if err := proc.cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				<-proc.done
			}
			if err := stream.Send(&salesv1.ImportSalesRequest{Sale: s}); err != nil {
				break
			}
		}
		return stream.CloseAndRecv()
	}
	acked := map[int]bool{}
	const killChunk = 9
	for c := 0; c < total/chunkSize; c++ {
		chunk := lines[c*chunkSize : (c+1)*chunkSize]
		killAt := -1
		if c == killChunk {
			killAt = 4500 // two chunks of 2,000 lines are on their way to disk
		}
		r, err := send(sales, chunk, killAt)
		if c == killChunk {
			if err == nil {
				t.Fatalf("chunk %d acknowledged although the process was killed", c)
			}
			proc = startProcess(t, bin, args...)
			sales = client()
			continue
		}
		if err != nil {
			t.Fatalf("chunk %d: %v", c, err)
		}
		if r.GetRejected() != 0 || r.GetAccepted()+r.GetDuplicates() != chunkSize {
			t.Fatalf("chunk %d: %v", c, r)
		}
		acked[c] = true
	}
	for c := 0; c < total/chunkSize; c++ { // the client re-sends what it did not see acknowledged
		if acked[c] {
			continue
		}
		r, err := send(sales, lines[c*chunkSize:(c+1)*chunkSize], -1)
		if err != nil || r.GetRejected() != 0 {
			t.Fatalf("re-sending chunk %d: %v %v", c, r, err)
		}
		if r.GetDuplicates() == 0 {
			t.Logf("chunk %d: nothing of it had reached the disk before the kill", c)
		}
		acked[c] = true
	}

	m := e2eTotals(t, sales)
	if m.GetOrders() != orders || m.GetGross().GetMinorUnits() != gross || m.GetRefunds().GetMinorUnits() != refunds {
		t.Fatalf("report totals %v, want orders %d gross %d refunds %d", m, orders, gross, refunds)
	}
	if err := proc.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-proc.done; err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	st, err := store.Open(filepath.Join(dataDir, "sales.db"), boltdb.Options{LockTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(); err != nil {
		t.Fatalf("bbolt consistency check: %v", err)
	}
	seen := map[string]int{}
	var recount report.Cell
	if err := st.ForEachSale(func(s *ingest.Sale) error {
		seen[s.ExternalID]++
		recount.Add(report.Delta{Kind: s.Kind, Quantity: s.Quantity, Amount: s.Amount})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, s := range lines {
		if seen[s.GetExternalId()] != 1 {
			t.Fatalf("line %d (%s) stored %d times, want exactly once", i, s.GetExternalId(), seen[s.GetExternalId()])
		}
	}
	if len(seen) != total {
		t.Fatalf("%d sales stored, want %d", len(seen), total)
	}
	var cells report.Cell
	if err := st.Cells(func(c report.Cell) {
		cells.Orders += c.Orders
		cells.Units += c.Units
		cells.Gross += c.Gross
		cells.Refunds += c.Refunds
		cells.RefundLines += c.RefundLines
	}); err != nil {
		t.Fatal(err)
	}
	if cells.Orders != recount.Orders || cells.Units != recount.Units || cells.Gross != recount.Gross ||
		cells.Refunds != recount.Refunds || cells.RefundLines != recount.RefundLines {
		t.Fatalf("rollup cells %+v differ from a recount of the sales %+v", cells, recount)
	}
}

func e2eTotals(t *testing.T, c salesv1.SalesReportingClient) *salesv1.Metrics {
	t.Helper()
	r, err := c.QuerySalesReport(context.Background(), &salesv1.QuerySalesReportRequest{StartDate: "2026-01-01", EndDate: "2027-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	return r.GetTotals()
}
