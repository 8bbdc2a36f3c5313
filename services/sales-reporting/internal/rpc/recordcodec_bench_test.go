package rpc

import (
	"testing"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"google.golang.org/grpc/encoding"
	encproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// BenchmarkRecordDecode decodes a RecordSale request as clients send it,
// with the server's codec (hand) and with proto.Unmarshal (proto), which
// is what the proto codec does with a message of one buffer, in the same
// run. (The codec registered as "proto" is the server's own, wireCodec.)
func BenchmarkRecordDecode(b *testing.B) {
	msg, err := proto.Marshal(&salesv1.RecordSaleRequest{Sale: importMessage(1).Sales[0]})
	if err != nil {
		b.Fatal(err)
	}
	data := mem.BufferSlice{mem.SliceBuffer(msg)}
	codec := wireCodec{encoding.GetCodecV2(encproto.Name)}
	for _, c := range []struct {
		name   string
		decode func(req *salesv1.RecordSaleRequest) error
	}{
		{"hand", func(req *salesv1.RecordSaleRequest) error { return codec.Unmarshal(data, req) }},
		{"proto", func(req *salesv1.RecordSaleRequest) error { return proto.Unmarshal(data[0].ReadOnlyData(), req) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.decode(new(salesv1.RecordSaleRequest)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
