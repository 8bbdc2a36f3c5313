package store

import (
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	storev1 "github.com/cqlive/alliance/gen/pb/alliance/sales/store/v1"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// mappedRSSKiB is how much of the file at path this process has resident
// through its mappings, summed over /proc/self/smaps.
func mappedRSSKiB(t *testing.T, path string) int {
	t.Helper()
	raw, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skip("no /proc/self/smaps:", err)
	}
	total, in := 0, false
	for _, l := range strings.Split(string(raw), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"): // a mapping's first line
			in = len(f) >= 6 && f[5] == path
		case in && len(f) == 3 && f[0] == "Rss:":
			n, _ := strconv.Atoi(f[1])
			total += n
		}
	}
	return total
}

func TestDroppingTheMappedPagesLeavesEveryRecordReadable(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("DropMappedPages acts on Linux only")
	}
	st := open(t)
	path := st.db.Path()
	sales := put(t, st, 20000)
	// Read everything, so that the file's pages are resident.
	count := func() int {
		seen := 0
		if err := st.ForEachSale(func(*ingest.Sale) error { seen++; return nil }); err != nil {
			t.Fatal(err)
		}
		return seen
	}
	if got := count(); got != len(sales) {
		t.Fatalf("read %d sales, put %d", got, len(sales))
	}
	before := mappedRSSKiB(t, path)
	if before == 0 {
		t.Fatal("no page of the file is resident after reading it all: the measure sees nothing")
	}
	if err := st.DropMappedPages(); err != nil {
		t.Fatal(err)
	}
	if after := mappedRSSKiB(t, path); after >= before/2 {
		t.Errorf("resident through the mapping: %d KiB before, %d KiB after the drop", before, after)
	}
	if got := count(); got != len(sales) {
		t.Fatalf("read %d sales after the drop, put %d", got, len(sales))
	}

	// Concurrent writers that grow the file (bbolt remaps it) and readers:
	// the drop waits for no remap to move the mapping, and loses nothing.
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range 20 {
				err := st.Update(func(tx ingest.Tx) error {
					for j := range 500 {
						id, err := tx.NextID()
						if err != nil {
							return err
						}
						if err := tx.PutSale(&ingest.Sale{ID: id, Session: "sessions/s0", Product: "members/m/products/p",
							Kind: report.Order, Quantity: 1, Amount: 100, Currency: "CNY", Platform: "DOUYIN",
							ExternalID: fmt.Sprintf("w%d-%d-%d", w, i, j), EventTime: base, CreateTime: base}); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			if err := st.DropMappedPages(); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
	if got, want := count(), len(sales)+2*20*500; got != want {
		t.Fatalf("read %d sales after the concurrent drops, stored %d", got, want)
	}
}

func TestCellsReadAlikeWhileTheirPagesAreDropped(t *testing.T) {
	st := open(t)
	ses := &ingest.Session{Name: "sessions/a", State: ingest.Ended, Platform: "DOUYIN"}
	err := st.Update(func(tx ingest.Tx) error {
		if err := tx.PutSession(ses); err != nil {
			return err
		}
		for p := range 3 {
			prod := &ingest.Product{Name: fmt.Sprintf("members/m/products/p%d", p), Merchant: "members/m"}
			if err := tx.PutProduct(prod); err != nil {
				return err
			}
			attr := ingest.Attribution(ses, prod)
			for d := range 5000 { // 15,000 cells: several batches
				if err := tx.AddToCell(report.Delta{Session: ses.Name, Product: prod.Name, Attr: attr, Day: report.Day(15000 + d),
					EventTime: base, Kind: report.Order, Quantity: int64(1 + d%7), Amount: int64(100 + d)}, attr); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	read := func(every int) []report.Cell {
		defer func(old int) { dropBatches = old }(dropBatches)
		dropBatches = every
		var cells []report.Cell
		if err := st.Cells(func(c report.Cell) { cells = append(cells, c) }); err != nil {
			t.Fatal(err)
		}
		return cells
	}
	kept, dropped := read(1<<30), read(1)
	if len(kept) != 15000 || !reflect.DeepEqual(dropped, kept) {
		t.Fatalf("cells read while dropping the pages after every batch differ: %d against %d", len(dropped), len(kept))
	}
}

func TestCellCountIsTheNumberOfCellsLoaded(t *testing.T) {
	st := open(t)
	if n, err := st.CellCount(); n != 0 || err != nil {
		t.Fatalf("empty store: CellCount %d %v", n, err)
	}
	ses := &ingest.Session{Name: "sessions/a", State: ingest.Ended, Platform: "DOUYIN"}
	p := &ingest.Product{Name: "members/m/products/p", Merchant: "members/m"}
	attr := ingest.Attribution(ses, p)
	err := st.Update(func(tx ingest.Tx) error {
		if err := records(tx, ses.Name); err != nil { // ses and p
			return err
		}
		for i := range 300 { // 100 days, 3 deltas each: 100 cells
			d := report.Delta{Session: ses.Name, Product: p.Name, Attr: attr, Day: report.Day(20000 + i%100), EventTime: base,
				Kind: report.Order, Quantity: 1, Amount: 100}
			if err := tx.AddToCell(d, attr); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	loaded := 0
	if err := st.Cells(func(report.Cell) { loaded++ }); err != nil {
		t.Fatal(err)
	}
	if n, err := st.CellCount(); n != loaded || loaded != 100 || err != nil {
		t.Fatalf("CellCount %d %v, Cells loaded %d, want 100", n, err, loaded)
	}
}

func TestCellDecodingAgreesWithProto(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 2020))
	val := func() int64 {
		switch r.IntN(4) {
		case 0:
			return 0
		case 1:
			return -r.Int64N(1 << 40)
		default:
			return r.Int64N(1 << 50)
		}
	}
	stampOf := func() *timestamppb.Timestamp {
		switch r.IntN(4) {
		case 0:
			return nil
		case 1:
			return &timestamppb.Timestamp{} // set, and zero: the epoch, not time.Time{}
		default:
			return &timestamppb.Timestamp{Seconds: r.Int64N(4e9) - 1e9, Nanos: r.Int32N(1e9)}
		}
	}
	for i := range 5000 {
		msg := &storev1.Cell{Orders: val(), Units: val(), Gross: val(), Refunds: val(), RefundLines: val(), FirstEvent: stampOf(), LastEvent: stampOf()}
		b, err := proto.Marshal(msg)
		if err != nil {
			t.Fatal(err)
		}
		switch i % 5 {
		case 1: // two records end to end: proto merges them
			more, _ := proto.Marshal(&storev1.Cell{Units: val(), LastEvent: stampOf()})
			b = append(b, more...)
		case 2: // a field this code does not know
			b = protowire.AppendVarint(protowire.AppendTag(b, 99, protowire.VarintType), 7)
		case 3: // damaged
			if len(b) > 0 {
				b = b[:r.IntN(len(b))]
				if len(b) > 0 {
					b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
				}
			}
		}
		var want report.Cell
		var m storev1.Cell
		protoErr := proto.Unmarshal(b, &m)
		setCell(&want, &m)
		var got report.Cell
		err = decodeCell(b, &got)
		if protoErr == nil && (err != nil || !reflect.DeepEqual(got, want)) {
			t.Fatalf("%x: decodeCell %+v (%v), proto %+v", b, got, err, want)
		}
		if protoErr != nil && err == nil {
			t.Fatalf("%x: proto refuses it (%v), decodeCell takes it as %+v", b, protoErr, got)
		}
	}
}

// recordName reads a record's name as proto does: the last name field
// wins, unknown and other fields are skipped, a record cut short is an
// error. (A record damaged inside another field, which proto refuses,
// may still give its name: those fields are checked where they are used.)
func TestRecordNameAgreesWithProto(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 12))
	for i := range 5000 {
		var b []byte
		var err error
		if i%2 == 0 {
			b, err = proto.Marshal(&storev1.SessionRecord{Name: fmt.Sprintf("sessions/s%d", r.IntN(1e6)), State: 3, Platform: "DOUYIN",
				Products: []string{"members/m/products/p", "members/m/products/q"}, Merchants: []string{"members/m"}, Host: "members/h",
				ActualStart: &timestamppb.Timestamp{Seconds: r.Int64N(4e9)}})
		} else {
			b, err = proto.Marshal(&storev1.ProductRecord{Name: fmt.Sprintf("members/m/products/p%d", r.IntN(1e6)), Merchant: "members/m", Category: "tea"})
		}
		if err != nil {
			t.Fatal(err)
		}
		switch i % 5 {
		case 1: // two records end to end: the second name wins
			more, _ := proto.Marshal(&storev1.ProductRecord{Name: "members/m/products/later"})
			b = append(b, more...)
		case 2: // a field this code does not know
			b = protowire.AppendVarint(protowire.AppendTag(b, 99, protowire.VarintType), 7)
		case 3: // cut short
			b = b[:r.IntN(len(b))]
		case 4: // a name that is not UTF-8
			b = protowire.AppendBytes(protowire.AppendTag(b, 1, protowire.BytesType), []byte{0xff, 0xfe})
		}
		var m interface {
			proto.Message
			GetName() string
		} = &storev1.SessionRecord{}
		if i%2 == 1 {
			m = &storev1.ProductRecord{}
		}
		protoErr := proto.Unmarshal(b, m)
		got, err := recordName(b)
		switch {
		case protoErr == nil && (err != nil || got != m.GetName()):
			t.Fatalf("%x: recordName %q (%v), proto %q", b, got, err, m.GetName())
		case protoErr != nil && err == nil && i%5 != 0 && i%5 != 2:
			t.Fatalf("%x: proto refuses it (%v), recordName reads %q", b, protoErr, got)
		}
	}
}
