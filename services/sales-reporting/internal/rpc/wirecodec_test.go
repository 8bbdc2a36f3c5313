package rpc

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"google.golang.org/grpc/encoding"
	encproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/protobuf/proto"
)

func nameOf(d report.Dimension, k string) string { return fmt.Sprint(int(d), " ", k) }

// TestTheCodecSendsAWireAnswerAsItsOwnBytes: the codec gRPC marshals with
// sends the bytes of a wire answer as they are, not a copy, and they are
// the marshalled answer; any other message, an answer built of messages
// among them, is marshalled by the proto codec as before.
func TestTheCodecSendsAWireAnswerAsItsOwnBytes(t *testing.T) {
	codec := encoding.GetCodecV2(encproto.Name)
	if codec.Name() != encproto.Name {
		t.Fatalf("the codec is named %q", codec.Name())
	}
	s := &Server{currency: "CNY"}
	rows, dims, groupBy := randomPage(rand.New(rand.NewPCG(3, 3)), 1000, 1)
	head := func() *salesv1.QuerySalesReportResponse {
		return &salesv1.QuerySalesReportResponse{Totals: s.metrics(rows[0].Metrics), NextPageToken: "next",
			DataThrough: protoconv.Timestamp(time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC))}
	}
	wire, err := s.wireAnswer(head(), rows, dims, groupBy, nameOf)
	if err != nil {
		t.Fatal(err)
	}
	data, err := codec.Marshal(wire)
	if err != nil {
		t.Fatal(err)
	}
	defer data.Free()
	unknown := wire.ProtoReflect().GetUnknown()
	if len(data) != 1 || data.Len() != len(unknown) || &data[0].ReadOnlyData()[0] != &unknown[0] {
		t.Fatalf("the wire answer went out as %d buffers of %d bytes, not as its own %d bytes", len(data), data.Len(), len(unknown))
	}
	want := head()
	want.Rows = referenceRows("CNY", rows, dims, groupBy, nameOf)
	wantBytes, err := proto.MarshalOptions{Deterministic: true}.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(data.Materialize()) != string(wantBytes) {
		t.Fatal("the bytes sent are not the marshalled answer")
	}
	for _, m := range []proto.Message{want, head(), &salesv1.QuerySalesReportResponse{}, &salesv1.GetSaleRequest{Name: "sales/1"}} {
		got, err := codec.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := proto.Marshal(m)
		if string(got.Materialize()) != string(plain) {
			t.Fatalf("%T: the codec's bytes differ from proto.Marshal's", m)
		}
		got.Free()
	}
}
