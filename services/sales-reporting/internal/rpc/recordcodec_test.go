package rpc

import (
	"testing"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"google.golang.org/grpc/encoding"
	encproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// decodeRecordBoth decodes b as a RecordSaleRequest with the server's
// codec and with the proto codec, and fails unless they agree: the same
// message, or both an error.
func decodeRecordBoth(t *testing.T, b []byte) {
	t.Helper()
	var ours, theirs salesv1.RecordSaleRequest
	errOurs := wireCodec{encoding.GetCodecV2(encproto.Name)}.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, &ours)
	errTheirs := proto.Unmarshal(b, &theirs)
	if (errOurs == nil) != (errTheirs == nil) {
		t.Fatalf("%x: the codec's error %v, proto's %v", b, errOurs, errTheirs)
	}
	if errOurs == nil && !proto.Equal(&ours, &theirs) {
		t.Fatalf("%x: the codec decoded\n%v\nproto\n%v", b, &ours, &theirs)
	}
}

// TestTheRecordDecoderReadsWhatProtoReads: whatever the bytes (a sale as
// clients send it, every field of a sale, a sale given twice, unknown
// fields, damage, and every import seed read as a RecordSaleRequest), the
// hand decoder of RecordSaleRequest gives what proto.Unmarshal gives.
func TestTheRecordDecoderReadsWhatProtoReads(t *testing.T) {
	for _, b := range recordSeeds(t) {
		decodeRecordBoth(t, b)
		for i := range b { // every truncation
			decodeRecordBoth(t, b[:i])
		}
	}
}

func FuzzTheRecordDecoderReadsWhatProtoReads(f *testing.F) {
	for _, b := range recordSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { decodeRecordBoth(t, b) })
}

func recordSeeds(tb testing.TB) [][]byte {
	m := func(req *salesv1.RecordSaleRequest) []byte {
		b, err := proto.Marshal(req)
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	full := importMessage(1).Sales[0]
	full.Name, full.CreateTime, full.Attribution = "sales/s1", timestamppb.Now(), &salesv1.Attribution{Host: "members/h"}
	refund := importMessage(7).Sales[6]
	one := m(&salesv1.RecordSaleRequest{Sale: importMessage(1).Sales[0]})
	unknown := protowire.AppendBytes(protowire.AppendTag(one, 99, protowire.BytesType), []byte("x"))
	unknownFirst := append(protowire.AppendVarint(protowire.AppendTag(nil, 5, protowire.VarintType), 1), one...)
	// sale given twice: proto merges the two.
	merged := append(m(&salesv1.RecordSaleRequest{Sale: &salesv1.Sale{Session: "sessions/a"}}), m(&salesv1.RecordSaleRequest{Sale: &salesv1.Sale{Quantity: 3}})...)
	seeds := [][]byte{one, m(&salesv1.RecordSaleRequest{Sale: refund}), m(&salesv1.RecordSaleRequest{Sale: full}),
		m(&salesv1.RecordSaleRequest{}), m(&salesv1.RecordSaleRequest{Sale: &salesv1.Sale{}}), unknown, unknownFirst, merged}
	// An import message is sale (1) and sales (2): as a RecordSaleRequest,
	// the same sale and an unknown field.
	return append(seeds, importSeeds(tb)...)
}

// TestTheRecordDecoderMakesTheSaleOneObject: a RecordSale request costs
// one object for the sale, its money and its time, and a string for each
// of its session, product, currency and external id (and here the request
// itself, as gRPC makes one for every call).
func TestTheRecordDecoderMakesTheSaleOneObject(t *testing.T) {
	b, err := proto.Marshal(&salesv1.RecordSaleRequest{Sale: importMessage(1).Sales[0]})
	if err != nil {
		t.Fatal(err)
	}
	codec := wireCodec{encoding.GetCodecV2(encproto.Name)}
	data := mem.BufferSlice{mem.SliceBuffer(b)}
	allocs := testing.AllocsPerRun(100, func() {
		var req salesv1.RecordSaleRequest
		if err := codec.Unmarshal(data, &req); err != nil || req.GetSale().GetExternalId() == "" {
			t.Fatal(err)
		}
	})
	if allocs > 6 {
		t.Errorf("%.0f allocations for a RecordSale request, want at most 6", allocs)
	}
}
