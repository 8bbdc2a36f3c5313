package app_test

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/sales-reporting/app"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// startLogged starts the server as e.start does, and returns its log.
func (e *env) startLogged() *testkit.LogBuffer {
	e.t.Helper()
	var log testkit.LogBuffer
	srv, err := app.New(e.cfg, slog.New(slog.NewJSONHandler(&log, nil))) // as the services log
	if err != nil {
		e.t.Fatal(err)
	}
	e.addr, e.stop = testkit.ServeOn(e.t, srv, "127.0.0.1:0")
	e.sales = salesv1.NewSalesReportingClient(testkit.Dial(e.t, e.addr))
	return &log
}

// answers are every report the test asks, as text.
func (e *env) answers() string {
	e.t.Helper()
	ctx := context.Background()
	var b strings.Builder
	add := func(m proto.Message, err error) {
		if err != nil {
			e.t.Fatal(err)
		}
		b.WriteString(prototext.Format(m))
	}
	dims := []salesv1.Dimension{1, 2, 3, 4, 5, 6, 7, 8}
	groupings := [][]salesv1.Dimension{nil, {3, 7}, {6, 1}}
	for _, d := range dims {
		groupings = append(groupings, []salesv1.Dimension{d})
	}
	for _, span := range [][2]string{{"2026-01-01", "2027-01-01"}, {"2026-03-01", "2026-04-01"}, {"2026-03-10", "2026-03-11"}, {"2026-02-20", "2026-05-03"}} {
		for g := salesv1.Granularity_GRANULARITY_DAY; g <= salesv1.Granularity_GRANULARITY_TOTAL; g++ {
			for _, gb := range groupings {
				add(e.sales.QuerySalesReport(ctx, &salesv1.QuerySalesReportRequest{StartDate: span[0], EndDate: span[1], Granularity: g, GroupBy: gb, PageSize: 1000}))
			}
		}
		add(e.sales.GetAllianceOverview(ctx, &salesv1.GetAllianceOverviewRequest{StartDate: span[0], EndDate: span[1]}))
		for _, d := range dims {
			add(e.sales.ListTopPerformers(ctx, &salesv1.ListTopPerformersRequest{Dimension: d, StartDate: span[0], EndDate: span[1]}))
		}
	}
	return b.String()
}

// A restart after a clean stop reads the engine from the image the stop
// wrote, and answers every report as a start that loads sales.db in full;
// sales recorded after that start (by RecordSale, through the log, and
// by an import large enough to commit sales.db itself) and traffic keep
// the two alike, and the next clean stop writes a new image.
func TestARestartFromTheImageAnswersAsTheFullLoad(t *testing.T) {
	e := newEnv(t)
	a := e.a
	rng := rand.New(rand.NewPCG(12, 6))
	sessions := []string{sEnded, sLive, sKuaishou}
	products := []string{a.Tea, a.Hotpot}
	line := func(prefix string, i int) *salesv1.Sale {
		s := sessions[rng.IntN(len(sessions))]
		at := t0.Add(time.Duration(rng.IntN(int(100*time.Minute/time.Second))) * time.Second)
		o := order(s, products[rng.IntN(len(products))], ext(prefix, i), 1+rng.Int64N(4), 1+rng.Int64N(50000), at)
		if s == sKuaishou {
			o.Platform = typev1.Platform_PLATFORM_KUAISHOU
		}
		return o
	}
	var lines []*salesv1.Sale
	for i := range 2500 {
		lines = append(lines, line("im", i))
	}
	if r, err := e.importSales(lines); err != nil || r.GetRejected() != 0 {
		t.Fatalf("import: %d refused (%v), %v", r.GetRejected(), r.GetErrors()[:min(2, len(r.GetErrors()))], err)
	}
	for i := range 40 {
		e.mustRecord(line("rec", i))
	}
	if _, err := e.sales.RecordSessionMetrics(context.Background(), &salesv1.RecordSessionMetricsRequest{Metrics: traffic(sEnded, time.Hour, 7)}); err != nil {
		t.Fatal(err)
	}
	image := filepath.Join(e.cfg.DataDir, "sales.image")

	e.stop()
	if _, err := os.Stat(image); err != nil {
		t.Fatalf("a clean stop left no image: %v", err)
	}
	log := e.startLogged()
	if !strings.Contains(log.String(), "read the report engine from its image") {
		t.Fatalf("the restart did not read the image:\n%s", log)
	}
	// How long it took, as a reader reads a duration (JSON would give a
	// time.Duration as its nanoseconds).
	if !regexp.MustCompile(`"took":"[0-9.]+(ns|µs|ms|s)"`).MatchString(log.String()) {
		t.Errorf("the log does not say how long reading the image took, as a duration:\n%s", log)
	}
	fromImage := e.answers()
	// More of each kind of write, then the same reports both ways.
	for i := range 30 {
		e.mustRecord(line("rec2", i))
	}
	lines = lines[:0]
	for i := range 2100 {
		lines = append(lines, line("im2", i))
	}
	if r, err := e.importSales(lines); err != nil || r.GetRejected() != 0 {
		t.Fatalf("import: %d refused (%v), %v", r.GetRejected(), r.GetErrors()[:min(2, len(r.GetErrors()))], err)
	}
	if _, err := e.sales.RecordSessionMetrics(context.Background(), &salesv1.RecordSessionMetricsRequest{Metrics: traffic(sEnded, 2*time.Hour, 9)}); err != nil {
		t.Fatal(err)
	}
	live := e.answers()

	e.stop()
	log = e.startLogged()
	if !strings.Contains(log.String(), "read the report engine from its image") {
		t.Fatalf("the second restart did not read the image:\n%s", log)
	}
	again := e.answers()
	e.stop()
	if err := os.Remove(image); err != nil {
		t.Fatal(err)
	}
	log = e.startLogged()
	if !strings.Contains(log.String(), "loading the report engine from sales.db in full") {
		t.Fatalf("without an image the start did not load sales.db in full:\n%s", log)
	}
	full := e.answers()
	if again != full {
		t.Fatal("after more writes, the engine read from the image answers otherwise than the full load")
	}
	if live != full {
		t.Fatal("the running engine (started from the image) answers otherwise than the full load of what it stored")
	}
	if fromImage == live {
		t.Fatal("the writes after the first restart changed no answer: the test checks nothing")
	}
	// A crash (no clean stop) after the image was read leaves no image
	// that could be taken for the file.
	e.stop()
	if _, err := os.Stat(image); err != nil {
		t.Fatal(err)
	}
	_ = e.startLogged()
	if _, err := os.Stat(image); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the image is still beside sales.db once it was read: %v", err)
	}
}
