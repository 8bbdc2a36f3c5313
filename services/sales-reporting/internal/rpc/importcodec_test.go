package rpc

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"google.golang.org/grpc/encoding"
	encproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// importMessage is an ImportSales message of n sales as the replay sends
// them: a session and product for runs of lines, refunds now and then.
func importMessage(n int) *salesv1.ImportSalesRequest {
	req := &salesv1.ImportSalesRequest{}
	for i := range n {
		s := &salesv1.Sale{
			Session: fmt.Sprintf("sessions/s%d", i/100), Product: fmt.Sprintf("members/m/products/p%d", i/10),
			Kind: salesv1.SaleKind_SALE_KIND_ORDER, Quantity: int64(i%5 + 1),
			Amount:   &typev1.Money{CurrencyCode: "CNY", MinorUnits: int64(1000 + i)},
			Platform: typev1.Platform_PLATFORM_DOUYIN, ExternalId: fmt.Sprintf("o-%d", i),
			EventTime: timestamppb.New(time.Date(2020, 1, 1, 0, 0, i, i*1000, time.UTC)),
		}
		if i%7 == 6 {
			s.Kind, s.RefundOf = salesv1.SaleKind_SALE_KIND_REFUND, fmt.Sprintf("o-%d", i-1)
		}
		req.Sales = append(req.Sales, s)
	}
	return req
}

// decodeBoth decodes b with the server's codec and with the proto codec,
// and fails unless they agree: the same message, or both an error.
func decodeBoth(t *testing.T, b []byte) {
	t.Helper()
	agreesWithProto[salesv1.ImportSalesRequest](t, b)
}

// TestTheImportDecoderReadsWhatProtoReads: whatever the bytes (the
// replay's shape, every field of a sale, repeats, unknown fields, damage),
// the hand decoder of ImportSalesRequest gives what proto.Unmarshal gives.
func TestTheImportDecoderReadsWhatProtoReads(t *testing.T) {
	for _, b := range importSeeds(t) {
		decodeBoth(t, b)
		for i := range b { // every truncation
			decodeBoth(t, b[:i])
		}
	}
}

func FuzzTheImportDecoderReadsWhatProtoReads(f *testing.F) {
	for _, b := range importSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { decodeBoth(t, b) })
}

func importSeeds(tb testing.TB) [][]byte {
	m := func(req *salesv1.ImportSalesRequest) []byte {
		b, err := proto.Marshal(req)
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	full := importMessage(1).Sales[0]
	full.Name, full.CreateTime, full.Attribution = "sales/s1", timestamppb.Now(), &salesv1.Attribution{Host: "members/h"}
	one := m(&salesv1.ImportSalesRequest{Sale: importMessage(1).Sales[0]})
	many := m(importMessage(30))
	neg := importMessage(2)
	neg.Sales[0].Quantity, neg.Sales[0].Amount.MinorUnits, neg.Sales[1].EventTime.Seconds = -5, -1, -62135596800
	badUTF8 := m(&salesv1.ImportSalesRequest{Sale: &salesv1.Sale{Session: "sessions/x", ExternalId: "AAAA"}})
	for i := range len(badUTF8) - 3 {
		if string(badUTF8[i:i+4]) == "AAAA" {
			badUTF8[i+1] = 0xff
		}
	}
	unknown := protowire.AppendBytes(protowire.AppendTag(m(importMessage(1)), 99, protowire.BytesType), []byte("x"))
	// An unknown field inside a sale.
	unknownInSale := protowire.AppendTag(nil, 2, protowire.BytesType)
	unknownInSale = protowire.AppendBytes(unknownInSale, protowire.AppendVarint(protowire.AppendTag(nil, 40, protowire.VarintType), 7))
	// A second session field in the sale: the last wins.
	twice := protowire.AppendTag(nil, 2, protowire.BytesType)
	inner := protowire.AppendString(protowire.AppendTag(nil, 2, protowire.BytesType), "sessions/a")
	inner = protowire.AppendString(protowire.AppendTag(inner, 2, protowire.BytesType), "sessions/b")
	twice = protowire.AppendBytes(twice, inner)
	// sale set twice: proto merges them.
	merged := append(m(&salesv1.ImportSalesRequest{Sale: &salesv1.Sale{Session: "sessions/a"}}), m(&salesv1.ImportSalesRequest{Sale: &salesv1.Sale{Quantity: 3}})...)
	return [][]byte{one, many, m(neg), m(&salesv1.ImportSalesRequest{Sale: full}), m(&salesv1.ImportSalesRequest{}),
		m(&salesv1.ImportSalesRequest{Sales: []*salesv1.Sale{{}}}), badUTF8, unknown, unknownInSale, twice, merged,
		m(&salesv1.ImportSalesRequest{Sale: &salesv1.Sale{Session: "sessions/é"}, Sales: importMessage(3).Sales})}
}

// TestTheImportDecoderMakesAboutOneStringALine: a message of 1,000 sales
// costs a few slices and a string a line (its external id; a refund's
// order too), not the seven objects a line of the proto codec.
func TestTheImportDecoderMakesAboutOneStringALine(t *testing.T) {
	b, err := proto.Marshal(importMessage(1000))
	if err != nil {
		t.Fatal(err)
	}
	codec := wireCodec{encoding.GetCodecV2(encproto.Name)}
	data := mem.BufferSlice{mem.SliceBuffer(b)}
	allocs := testing.AllocsPerRun(20, func() {
		var req salesv1.ImportSalesRequest
		if err := codec.Unmarshal(data, &req); err != nil || len(req.Sales) != 1000 {
			t.Fatal(err)
		}
	})
	// 1,000 external ids, 143 refunds' orders, the sessions and products
	// that change (10 and 100), and the slices.
	t.Logf("%.0f allocations", allocs)
	if allocs > 1300 {
		t.Errorf("%.0f allocations for a message of 1,000 sales, want at most 1,300", allocs)
	}
}

// emptySales is an ImportSalesRequest of n empty sales (two bytes each),
// after prefix.
func emptySales(prefix []byte, n int) []byte {
	b := append(make([]byte, 0, len(prefix)+2*n), prefix...)
	for range n {
		b = append(b, 0x12, 0x00)
	}
	return b
}

// TestAMessageOfTooManySalesIsRefusedUndecoded: a 4 MiB message of two
// million empty sales made the codec allocate 600 MB (the proto codec,
// which a field the hand decoder does not read sends it to, 440 MB), a
// few of them at once more than the server has. More than
// MaxImportMessageLines sales are refused before anything is decoded,
// whatever else the message holds; that many still decode.
func TestAMessageOfTooManySalesIsRefusedUndecoded(t *testing.T) {
	codec := wireCodec{encoding.GetCodecV2(encproto.Name)}
	unknown := protowire.AppendBytes(protowire.AppendTag(nil, 99, protowire.BytesType), []byte("x"))
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"plain", emptySales(nil, 2<<20-8)},
		{"after an unknown field", emptySales(unknown, 2<<20-8)},
		{"one too many", emptySales(nil, MaxImportMessageLines+1)},
		{"before bytes that do not parse", append(emptySales(nil, MaxImportMessageLines+1), 0xff)},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		var req salesv1.ImportSalesRequest
		err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(c.b)}, &req)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, errTooManyLines) || len(req.GetSales()) != 0 {
			t.Errorf("%s: %v, %d sales; want errTooManyLines", c.name, err, len(req.GetSales()))
		}
		if mb := (after.TotalAlloc - before.TotalAlloc) >> 20; mb > 8 {
			t.Errorf("%s: %d MB allocated to refuse it", c.name, mb)
		}
	}
	for _, b := range [][]byte{emptySales(nil, MaxImportMessageLines), emptySales(unknown, MaxImportMessageLines)} {
		var req salesv1.ImportSalesRequest
		if err := codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, &req); err != nil || len(req.GetSales()) != MaxImportMessageLines {
			t.Errorf("a message of MaxImportMessageLines sales: %v, %d sales", err, len(req.GetSales()))
		}
	}
}
