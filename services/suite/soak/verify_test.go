package soak

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The checks are what the soak's verdict rests on, so each must catch
// what it is there to catch, and nothing else.

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	scheduled = sessionv1.SessionState_SESSION_STATE_SCHEDULED
	live      = sessionv1.SessionState_SESSION_STATE_LIVE
	ended     = sessionv1.SessionState_SESSION_STATE_ENDED
	cancelled = sessionv1.SessionState_SESSION_STATE_CANCELLED
)

// booking is a session of studio and host from start for length, in
// state, created at created (minutes after t0); an ENDED one ended at
// endedAt minutes after t0.
type booking struct {
	name, studio, host string
	start, length      time.Duration
	state              sessionv1.SessionState
	created, endedAt   time.Duration
}

func (b booking) session() *sessionv1.Session {
	s := &sessionv1.Session{Name: "sessions/" + b.name, Studio: b.studio, Host: b.host, State: b.state,
		StartTime: timestamppb.New(t0.Add(b.start)), EndTime: timestamppb.New(t0.Add(b.start + b.length)),
		CreateTime: timestamppb.New(t0.Add(b.created))}
	if b.state == ended {
		s.ActualEndTime = timestamppb.New(t0.Add(b.endedAt))
	}
	return s
}

func TestClashesFollowTheBookingRule(t *testing.T) {
	const buffer = 15 * time.Minute
	h := time.Hour
	tests := []struct {
		name  string
		a, b  booking
		clash string // "", "studio" or "host"
	}{
		{"one studio, overlapping", booking{"a", "s1", "h1", 0, h, scheduled, 0, 0}, booking{"b", "s1", "h2", 30 * time.Minute, h, scheduled, 1, 0}, "studio"},
		{"one studio, within the buffer", booking{"a", "s1", "h1", 0, h, scheduled, 0, 0}, booking{"b", "s1", "h2", h + 14*time.Minute, h, live, 1, 0}, "studio"},
		{"one studio, exactly the buffer apart", booking{"a", "s1", "h1", 0, h, scheduled, 0, 0}, booking{"b", "s1", "h2", h + buffer, h, scheduled, 1, 0}, ""},
		{"one studio, the buffer before", booking{"a", "s1", "h1", 2 * h, h, scheduled, 0, 0}, booking{"b", "s1", "h2", 0, 2*h - 10*time.Minute, scheduled, 1, 0}, "studio"},
		{"one host, overlapping in two studios", booking{"a", "s1", "h1", 0, h, live, 0, 0}, booking{"b", "s2", "h1", 59 * time.Minute, h, scheduled, 1, 0}, "host"},
		{"one host, back to back", booking{"a", "s1", "h1", 0, h, scheduled, 0, 0}, booking{"b", "s2", "h1", h, h, scheduled, 1, 0}, ""},
		{"different studios and hosts", booking{"a", "s1", "h1", 0, h, scheduled, 0, 0}, booking{"b", "s2", "h2", 0, h, scheduled, 1, 0}, ""},
		{"a cancelled session holds nothing", booking{"a", "s1", "h1", 0, h, cancelled, 0, 0}, booking{"b", "s1", "h1", 0, h, scheduled, 1, 0}, ""},
		{"booked after the other ended", booking{"a", "s1", "h1", 0, h, ended, 0, 10}, booking{"b", "s1", "h1", 0, h, scheduled, 11, 0}, ""},
		{"booked while the other was live", booking{"a", "s1", "h1", 0, h, ended, 0, 10}, booking{"b", "s1", "h2", 30 * time.Minute, h, scheduled, 5, 0}, "studio"},
		{"both ended, booked while both held", booking{"a", "s1", "h1", 0, h, ended, 0, 20}, booking{"b", "s2", "h1", 0, h, ended, 1, 20}, "host"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, order := range [][]booking{{tc.a, tc.b}, {tc.b, tc.a}} { // the listing's order does not matter
				got := clashes([]*sessionv1.Session{order[0].session(), order[1].session()}, buffer)
				switch {
				case tc.clash == "" && len(got) != 0:
					t.Fatalf("clashes = %q, want none", got)
				case tc.clash != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tc.clash+" ")):
					t.Fatalf("clashes = %q, want one of the %s", got, tc.clash)
				}
			}
		})
	}
}

func sale(ext string, kind salesv1.SaleKind, qty, amount int64) *salesv1.Sale {
	return &salesv1.Sale{Session: "sessions/s1", Product: "members/m/products/p", Kind: kind, Quantity: qty,
		Amount: &typev1.Money{CurrencyCode: "CNY", MinorUnits: amount}, Platform: typev1.Platform_PLATFORM_DOUYIN,
		ExternalId: ext, EventTime: timestamppb.New(t0)}
}

func TestCheckSalesCountsEachFailureKind(t *testing.T) {
	order := salesv1.SaleKind_SALE_KIND_ORDER
	sent := func(ext string, acked bool) *sentSale {
		return &sentSale{sale: sale(ext, order, 1, 100), via: "RecordSale", acked: acked}
	}
	stored := func(ext string) *salesv1.Sale {
		s := sale(ext, order, 1, 100)
		s.Name = "sales/" + ext
		return s
	}
	changed := stored("changed")
	changed.EventTime = timestamppb.New(t0.Add(time.Microsecond))
	tests := []struct {
		name   string
		sent   []*sentSale
		listed []*salesv1.Sale
		kind   string // the one failure kind expected, or ""
	}{
		{"acknowledged and listed once", []*sentSale{sent("ok", true)}, []*salesv1.Sale{stored("ok")}, ""},
		{"acknowledged and not listed", []*sentSale{sent("gone", true)}, nil, kindLost},
		{"listed twice", []*sentSale{sent("twice", true)}, []*salesv1.Sale{stored("twice"), stored("twice")}, kindDoubled},
		{"refused and listed", []*sentSale{sent("refused", false)}, []*salesv1.Sale{stored("refused")}, kindPhantom},
		{"never sent and listed", nil, []*salesv1.Sale{stored("stranger")}, kindPhantom},
		{"refused and not listed", []*sentSale{sent("no", false)}, nil, ""},
		{"listed with another event time", []*sentSale{sent("changed", true)}, []*salesv1.Sale{changed}, kindAltered},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := map[string]*sentSale{}
			for _, s := range tc.sent {
				m[saleKey(s.sale.GetPlatform(), s.sale.GetExternalId())] = s
			}
			var p problems
			checkSales(m, tc.listed, &p)
			assertOnly(t, &p, tc.kind)
		})
	}
}

func TestCheckSessionsCountsEachFailureKind(t *testing.T) {
	listed := func(name string, st sessionv1.SessionState) *sessionv1.Session {
		return &sessionv1.Session{Name: name, State: st}
	}
	tests := []struct {
		name   string
		sent   map[string]*sentSession
		listed []*sessionv1.Session
		kind   string
	}{
		{"in the acknowledged state", map[string]*sentSession{"sessions/a": {acked: true, want: ended}}, []*sessionv1.Session{listed("sessions/a", ended)}, ""},
		{"an acknowledged end undone", map[string]*sentSession{"sessions/a": {acked: true, want: ended}}, []*sessionv1.Session{listed("sessions/a", live)}, kindLost},
		{"an acknowledged booking missing", map[string]*sentSession{"sessions/a": {acked: true, want: scheduled}}, nil, kindLost},
		{"a refused booking stored", map[string]*sentSession{"sessions/a": {refused: true}}, []*sessionv1.Session{listed("sessions/a", scheduled)}, kindPhantom},
		{"listed twice", map[string]*sentSession{"sessions/a": {acked: true, want: scheduled}}, []*sessionv1.Session{listed("sessions/a", scheduled), listed("sessions/a", scheduled)}, kindDoubled},
		{"never booked", nil, []*sessionv1.Session{listed("sessions/x", scheduled)}, kindPhantom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p problems
			checkSessions(tc.sent, tc.listed, &p)
			assertOnly(t, &p, tc.kind)
		})
	}
}

// assertOnly fails unless p holds exactly one failure of kind, or none
// when kind is "".
func assertOnly(t *testing.T, p *problems, kind string) {
	t.Helper()
	total := 0
	for _, n := range p.byKind {
		total += n
	}
	switch {
	case kind == "" && total != 0:
		t.Fatalf("failures %v, want none", p.list)
	case kind != "" && (total != 1 || p.count(kind) != 1):
		t.Fatalf("failures %v, want one %q", p.list, kind)
	}
}

func TestRecountAgainstSummaryAndReport(t *testing.T) {
	var tl tally
	tl.add(sale("o1", salesv1.SaleKind_SALE_KIND_ORDER, 2, 500))
	tl.add(sale("o2", salesv1.SaleKind_SALE_KIND_ORDER, 3, 900))
	tl.add(sale("r1", salesv1.SaleKind_SALE_KIND_REFUND, 1, 250))
	money := func(v int64) *typev1.Money { return &typev1.Money{CurrencyCode: "CNY", MinorUnits: v} }
	summary := &salesv1.SessionSummary{Orders: 2, Units: 5, Gross: money(1400), Refunds: money(250), Net: money(1150),
		RefundCount: 1, FirstEventTime: timestamppb.New(t0), LastEventTime: timestamppb.New(t0)}
	if d := diffSummary(summary, &tl); d != "" {
		t.Fatalf("a matching summary differs: %s", d)
	}
	metrics := &salesv1.Metrics{Sessions: 1, Orders: 2, Units: 5, Gross: money(1400), Refunds: money(250), Net: money(1150)}
	if d := diffMetrics(metrics, &tl); d != "" {
		t.Fatalf("matching metrics differ: %s", d)
	}
	for name, change := range map[string]func(s *salesv1.SessionSummary, m *salesv1.Metrics){
		"orders":  func(s *salesv1.SessionSummary, m *salesv1.Metrics) { s.Orders++; m.Orders++ },
		"units":   func(s *salesv1.SessionSummary, m *salesv1.Metrics) { s.Units--; m.Units-- },
		"gross":   func(s *salesv1.SessionSummary, m *salesv1.Metrics) { s.Gross = money(1401); m.Gross = money(1401) },
		"refunds": func(s *salesv1.SessionSummary, m *salesv1.Metrics) { s.Refunds = money(0); m.Refunds = money(0) },
		"net":     func(s *salesv1.SessionSummary, m *salesv1.Metrics) { s.Net = money(1400); m.Net = money(1400) },
	} {
		s, m := proto.Clone(summary).(*salesv1.SessionSummary), proto.Clone(metrics).(*salesv1.Metrics)
		change(s, m)
		if !strings.Contains(diffSummary(s, &tl), name) {
			t.Errorf("summary with wrong %s: diff %q", name, diffSummary(s, &tl))
		}
		if !strings.Contains(diffMetrics(m, &tl), name) {
			t.Errorf("metrics with wrong %s: diff %q", name, diffMetrics(m, &tl))
		}
	}
	late := proto.Clone(summary).(*salesv1.SessionSummary)
	late.LastEventTime = timestamppb.New(t0.Add(time.Nanosecond))
	if diffSummary(late, &tl) == "" {
		t.Error("a summary with another last event time matches")
	}
}

func TestOnlyOutagesAreResent(t *testing.T) {
	for c, want := range map[codes.Code]bool{
		codes.Unavailable: true, codes.DeadlineExceeded: true, codes.ResourceExhausted: true, codes.Aborted: true,
		codes.Internal: true, codes.Unknown: true,
		codes.OK: false, codes.InvalidArgument: false, codes.FailedPrecondition: false, codes.AlreadyExists: false,
		codes.NotFound: false, codes.PermissionDenied: false, codes.Unauthenticated: false,
	} {
		if transient(c) != want {
			t.Errorf("transient(%s) = %v, want %v", c, !want, want)
		}
		if codeOf(grpcx.CodeName(c)) != c {
			t.Errorf("codeOf(%q) = %s", grpcx.CodeName(c), codeOf(grpcx.CodeName(c)))
		}
	}
}

func TestCheckFilesFindsALostFreelist(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "svc", "data.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Several transactions, so that pages are freed and listed as free.
	for tx := range 10 {
		if err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("sales"))
			if err != nil {
				return err
			}
			for i := range 300 {
				if err := b.Put(fmt.Appendf(nil, "key-%05d", i), make([]byte, 100)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatalf("transaction %d: %v", tx, err)
		}
	}
	pageSize := db.Info().PageSize
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	var p problems
	checkFiles(dir, 1, &p)
	assertOnly(t, &p, "")

	// Empty every freelist page, as a torn write could: the free pages are
	// then neither reachable nor free.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const freelistFlag = 0x10
	emptied := 0
	for off := 2 * pageSize; off+pageSize <= len(b); off += pageSize {
		if binary.LittleEndian.Uint16(b[off+8:]) == freelistFlag && binary.LittleEndian.Uint16(b[off+10:]) > 0 {
			binary.LittleEndian.PutUint16(b[off+10:], 0)
			emptied++
		}
	}
	if emptied == 0 {
		t.Fatal("no freelist with free pages to empty")
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	p = problems{}
	checkFiles(dir, 1, &p)
	if p.count(kindCheck) == 0 {
		t.Fatal("tx.Check found nothing in a file that lost its freelist")
	}

	p = problems{}
	checkFiles(t.TempDir(), 1, &p)
	if p.count(kindCheck) != 1 {
		t.Fatalf("a folder without bbolt files: %v, want one check error", p.list)
	}
}
