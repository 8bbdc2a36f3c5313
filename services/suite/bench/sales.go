package bench

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/suite/replay"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Sales measures sales-reporting for the side-by-side table of `make
// bench-peers` (services/suite/bench/peers), which runs it between the
// peers' own measurements and reads its JSON:
//
//   - -what record: RecordSale with -c concurrent clients, every sale
//     durable, with a Go client (one connection, as etcd's put is
//     measured) and with ghz, each next to the empty health RPC of the
//     same client;
//   - -what import: ImportSales of the first -n lines of the 2020 replay's
//     generator over one stream (replay.SalesPerMessage lines a message), and the bytes of sales.db per stored sale
//     once the listing indexes cover them.
//
// A fresh suite serves each run, with API keys on.
func Sales(args []string) error {
	fs := flag.NewFlagSet("alliance-bench sales", flag.ContinueOnError)
	bin := fs.String("bin", "bin", "folder of the service binaries and ghz")
	what := fs.String("what", "record", "record or import")
	n := fs.Int("n", 20_000, "calls (record) or lines (import)")
	c := fs.Int("c", 64, "concurrent clients (record)")
	ghz := fs.Bool("ghz", true, "also measure with ghz (record)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	s, err := Up(*bin, false)
	if err != nil {
		return err
	}
	defer s.Stop()
	out := map[string]any{"what": *what, "uptime": Uptime()}
	switch *what {
	case "record":
		if err := salesRecord(ctx, s, *bin, *n, *c, *ghz, out); err != nil {
			return err
		}
	case "import":
		if err := salesImport(ctx, s, *n, out); err != nil {
			return err
		}
	default:
		return fmt.Errorf("-what %q: want record or import", *what)
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

func salesRecord(ctx context.Context, s *Suite, bin string, n, c int, withGhz bool, out map[string]any) error {
	live, err := Seed(ctx, s.Clients.Members, s.Clients.Sessions, 1)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	health := healthpb.NewHealthClient(s.Clients.SalesConn)
	at := timestamppb.New(live.GetActualStartTime().AsTime().Add(time.Second))
	out["health_go"] = Load("Health/Check", c, n, func(w, i int) error {
		_, err := health.Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	})
	out["record_go"] = Load("RecordSale", c, n, func(w, i int) error {
		_, err := s.Clients.Sales.RecordSale(ctx, &salesv1.RecordSaleRequest{Sale: &salesv1.Sale{
			Session: live.GetName(), Product: Product, Kind: salesv1.SaleKind_SALE_KIND_ORDER, Quantity: 1,
			Amount: &typev1.Money{CurrencyCode: "CNY", MinorUnits: 12800}, Platform: typev1.Platform_PLATFORM_DOUYIN,
			ExternalId: fmt.Sprintf("go-%d-%d", w, i), EventTime: at,
		}})
		return err
	})
	if !withGhz {
		return nil
	}
	g := func(method, data string) (Figures, error) {
		return Ghz{Addr: s.Addrs.SalesReporting, Method: method, Data: data, Bearer: s.Bearer(), Workers: c, N: n}.Run(ghzIn(bin))
	}
	hg, err := g("grpc.health.v1.Health.Check", `{}`)
	if err != nil {
		return err
	}
	sale := fmt.Sprintf(`{"sale":{"session":%q,"product":%q,"kind":"SALE_KIND_ORDER","quantity":1,`+
		`"amount":{"currency_code":"CNY","minor_units":12800},"platform":"PLATFORM_DOUYIN","external_id":"ghz-{{.UUID}}","event_time":%q}}`,
		live.GetName(), Product, at.AsTime().Format(time.RFC3339))
	rg, err := g("alliance.sales.v1.SalesReporting.RecordSale", sale)
	if err != nil {
		return err
	}
	out["health_ghz"], out["record_ghz"] = hg, rg
	return nil
}

func salesImport(ctx context.Context, s *Suite, n int, out map[string]any) error {
	g := replay.New(replay.Default())
	sessions, lines := g.First(n)
	if err := replay.LoadCast(ctx, g, s.Clients.Members); err != nil {
		return err
	}
	if err := replay.LoadSessions(ctx, s.Clients.Sessions, sessions); err != nil {
		return err
	}
	// As the replay sends them: replay.SalesPerMessage lines a message.
	var reqs []*salesv1.ImportSalesRequest
	for i, l := range lines {
		if i%replay.SalesPerMessage == 0 {
			reqs = append(reqs, &salesv1.ImportSalesRequest{Sales: make([]*salesv1.Sale, 0, replay.SalesPerMessage)})
		}
		r := reqs[len(reqs)-1]
		r.Sales = append(r.Sales, replay.SaleProto(l))
	}
	start := time.Now()
	stream, err := s.Clients.Sales.ImportSales(ctx)
	if err != nil {
		return err
	}
	for _, r := range reqs {
		if err := stream.Send(r); err != nil {
			return fmt.Errorf("import: %w", err)
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	elapsed := time.Since(start)
	if resp.GetRejected() > 0 {
		return fmt.Errorf("import: %d rejected, the first %v", resp.GetRejected(), resp.GetErrors()[0])
	}
	out["lines"], out["accepted"], out["seconds"] = len(lines), resp.GetAccepted(), elapsed.Seconds()
	out["rate"] = float64(resp.GetAccepted()) / elapsed.Seconds()
	// A listing waits for the listing indexes to cover every sale: the
	// file's size then holds all of them.
	if _, err := s.Clients.Sales.ListSales(ctx, &salesv1.ListSalesRequest{PageSize: 1}); err != nil {
		return err
	}
	fi, err := os.Stat(filepath.Join(s.Dir, "sales-reporting", "sales.db"))
	if err != nil {
		return err
	}
	out["db_bytes"], out["bytes_per_sale"] = fi.Size(), float64(fi.Size())/float64(resp.GetAccepted())
	return nil
}

// Rows writes the first -n lines of the 2020 replay's generator as CSV
// (platform, external_id, session, product, kind, quantity, amount,
// currency, refund_of, event_time in RFC 3339), for the peers to load the
// rows sales-reporting imports.
func Rows(args []string) error {
	fs := flag.NewFlagSet("alliance-bench rows", flag.ContinueOnError)
	n := fs.Int("n", 1_000_000, "lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	_, lines := replay.New(replay.Default()).First(*n)
	return writeRows(os.Stdout, lines)
}

func writeRows(out io.Writer, lines []*replay.Sale) error {
	w := csv.NewWriter(out)
	for _, l := range lines {
		kind := "ORDER"
		if l.Refund {
			kind = "REFUND"
		}
		if err := w.Write([]string{l.Platform, l.ExternalID, l.Session, l.Product, kind, strconv.FormatInt(l.Quantity, 10),
			strconv.FormatInt(l.AmountFen, 10), "CNY", l.RefundOf, l.EventTime.UTC().Format(time.RFC3339Nano)}); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

// Uptime is the machine's load as `uptime` prints it.
func Uptime() string {
	b, err := exec.Command("uptime").Output()
	if err != nil {
		return "uptime: " + err.Error()
	}
	return strings.TrimSpace(string(b))
}
