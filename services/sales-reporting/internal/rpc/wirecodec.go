package rpc

import (
	"sync"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"google.golang.org/grpc/encoding"
	encproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
)

// wireCodec is gRPC's proto codec but for the answers wireAnswer makes,
// which are already their bytes: it sends those bytes as they are, where
// the proto codec would size the answer and copy it into a buffer of its
// own, and hands their buffer back to wireBuffers once gRPC has written
// it (a page of 1,000 rows is some 130 kB). The
// server's codec (kit/grpcx) marshals with the codec registered as
// "proto" when the server is made, so registering this one in init puts
// it under every server of the process; every other message goes to the
// proto codec as before.
type wireCodec struct{ encoding.CodecV2 }

func init() { encoding.RegisterCodecV2(wireCodec{encoding.GetCodecV2(encproto.Name)}) }

// wireBuffers are the buffers of wire answers. gRPC's default pool would
// do, but its sizes jump from 32 KiB to 1 MiB, which it hands out for a
// page of 1,000 rows and clears whole at every Get; a wire answer
// overwrites what it takes.
var wireBuffers mem.BufferPool = &bufferPool{}

type bufferPool struct{ p sync.Pool }

func (p *bufferPool) Get(n int) *[]byte {
	if b, _ := p.p.Get().(*[]byte); b != nil && cap(*b) >= n {
		*b = (*b)[:n]
		return b
	}
	b := make([]byte, n)
	return &b
}

func (p *bufferPool) Put(b *[]byte) { p.p.Put(b) }

func (c wireCodec) Marshal(v any) (mem.BufferSlice, error) {
	if b, ok := wireBytes(v); ok {
		return mem.BufferSlice{mem.NewBuffer(&b, wireBuffers)}, nil
	}
	return c.CodecV2.Marshal(v)
}

// wireBytes are the bytes of v when it is an answer of wireAnswer: a
// QuerySalesReportResponse of unknown fields only (an answer built of
// messages always has its totals and data_through). Those bytes are what
// proto.Marshal would make of v, whoever made it.
func wireBytes(v any) ([]byte, bool) {
	w, ok := v.(*salesv1.QuerySalesReportResponse)
	if !ok || w == nil || w.Totals != nil || w.DataThrough != nil || len(w.Rows) > 0 {
		return nil, false
	}
	b := w.ProtoReflect().GetUnknown()
	if len(b) == 0 || w.NextPageToken != "" || w.PreviousStartDate != "" || w.PreviousEndDate != "" || w.PreviousTotals != nil || w.TotalsChange != nil {
		return nil, false
	}
	return b, true
}
