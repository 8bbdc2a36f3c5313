package rpc

import (
	"slices"
	"testing"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"google.golang.org/grpc/encoding"
	encproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// agreesWithProto decodes b as an M with the server's codec and with
// proto.Unmarshal, and fails unless they agree: the same message, or
// both an error.
func agreesWithProto[M any, P interface {
	*M
	proto.Message
}](t *testing.T, b []byte) {
	t.Helper()
	ours, theirs := P(new(M)), P(new(M))
	errOurs := wireCodec{encoding.GetCodecV2(encproto.Name)}.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, ours)
	errTheirs := proto.Unmarshal(b, theirs)
	if (errOurs == nil) != (errTheirs == nil) {
		t.Fatalf("%x: the codec's error %v, proto's %v", b, errOurs, errTheirs)
	}
	if errOurs == nil && !proto.Equal(ours, theirs) {
		t.Fatalf("%x: the codec decoded\n%v\nproto\n%v", b, ours, theirs)
	}
}

// TestTheRecordDecoderReadsWhatProtoReads: whatever the bytes (a sale as
// clients send it, every field of a sale, a sale given twice, unknown
// fields, damage, and every import seed read as a RecordSaleRequest, each
// cut short at every byte), the hand decoder of RecordSaleRequest gives
// what proto.Unmarshal gives.
func TestTheRecordDecoderReadsWhatProtoReads(t *testing.T) {
	for _, b := range recordSeeds(t) {
		for i := range len(b) + 1 {
			agreesWithProto[salesv1.RecordSaleRequest](t, b[:i])
		}
	}
}

func FuzzTheRecordDecoderReadsWhatProtoReads(f *testing.F) {
	for _, b := range recordSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(agreesWithProto[salesv1.RecordSaleRequest])
}

// recordSeeds are importSeeds, which read as RecordSaleRequests too (an
// import message's sale is field 1, as a record request's: a sale as
// clients send it, one of every field, one not UTF-8, one given twice;
// its sales are an unknown field), and a few more.
func recordSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	for _, req := range []*salesv1.RecordSaleRequest{{Sale: importMessage(7).Sales[6]}, {Sale: &salesv1.Sale{}}, {}} {
		b, err := proto.Marshal(req)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	// An unknown field before the sale, and one after it.
	one := seeds[0]
	seeds = append(seeds, append(protowire.AppendVarint(protowire.AppendTag(nil, 5, protowire.VarintType), 1), one...),
		protowire.AppendBytes(protowire.AppendTag(slices.Clone(one), 99, protowire.BytesType), []byte("x")))
	return append(seeds, importSeeds(tb)...)
}

// TestTheRecordDecoderMakesTheSaleOneObject: a RecordSale request costs
// one object for the sale, its money and its time, and a string for each
// of its session, product, currency, external id and (a refund's) order:
// 7 with the request itself, which gRPC makes for every call. The proto
// codec makes 9.
func TestTheRecordDecoderMakesTheSaleOneObject(t *testing.T) {
	data := mem.BufferSlice{mem.SliceBuffer(recordSeeds(t)[0])} // a refund, as clients send it
	var sale *salesv1.Sale
	allocs := testing.AllocsPerRun(100, func() {
		var req salesv1.RecordSaleRequest
		if err := (wireCodec{encoding.GetCodecV2(encproto.Name)}).Unmarshal(data, &req); err != nil {
			t.Fatal(err)
		}
		sale = req.GetSale()
	})
	if sale.GetRefundOf() == "" || allocs > 7 {
		t.Errorf("%.0f allocations for a RecordSale request (%v), want at most 7", allocs, sale)
	}
}
