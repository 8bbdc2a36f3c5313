package grpcx_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// rawCodec sends the test's bytes as they are: what a broken or hostile
// client puts on the wire.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }
func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}
func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*(v.(*[]byte)) = data.Materialize()
	return nil
}

type fakeRegistry struct {
	memberv1.UnimplementedMemberRegistryServer
	calls atomic.Int32
}

func (f *fakeRegistry) CreateMember(_ context.Context, req *memberv1.CreateMemberRequest) (*memberv1.Member, error) {
	f.calls.Add(1)
	return req.GetMember(), nil
}

type fakeSales struct {
	salesv1.UnimplementedSalesReportingServer
	lines atomic.Int32
}

func (f *fakeSales) ImportSales(st grpc.ClientStreamingServer[salesv1.ImportSalesRequest, salesv1.ImportSalesResponse]) error {
	for {
		_, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return st.SendAndClose(&salesv1.ImportSalesResponse{Accepted: int64(f.lines.Load())})
		}
		if err != nil {
			return err
		}
		f.lines.Add(1)
	}
}

// withBadUTF8 marshals m and replaces the placeholder in it by as many
// bytes that are not UTF-8.
func withBadUTF8(t *testing.T, m proto.Message, placeholder string) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Repeat([]byte{0xff}, len(placeholder))
	out := bytes.Replace(b, []byte(placeholder), bad, 1)
	if bytes.Equal(out, b) {
		t.Fatal("placeholder not found")
	}
	return out
}

func serveFakes(t *testing.T, unary ...grpc.UnaryServerInterceptor) (*grpc.ClientConn, *fakeRegistry, *fakeSales, *testkit.LogBuffer) {
	t.Helper()
	logs := &testkit.LogBuffer{}
	srv := grpcx.NewServer(grpcx.ServerOptions{Name: "kit.test", Logger: slog.New(slog.NewJSONHandler(logs, nil)), Unary: unary})
	reg, sales := &fakeRegistry{}, &fakeSales{}
	memberv1.RegisterMemberRegistryServer(srv.GRPC, reg)
	salesv1.RegisterSalesReportingServer(srv.GRPC, sales)
	return testkit.Dial(t, testkit.Serve(t, srv)), reg, sales, logs
}

func TestMalformedRequestsAreInvalidArgument(t *testing.T) {
	cc, reg, sales, logs := serveFakes(t)
	garbage := []byte{0xff, 0xff, 0xff, 0xff, 0xff}
	badName := withBadUTF8(t, &memberv1.CreateMemberRequest{Member: &memberv1.Member{DisplayName: "PLACEHOLDER"}}, "PLACEHOLDER")
	goodLine, _ := proto.Marshal(&salesv1.ImportSalesRequest{Sale: &salesv1.Sale{ExternalId: "dy-1"}})
	badLine := withBadUTF8(t, &salesv1.ImportSalesRequest{Sale: &salesv1.Sale{ExternalId: "PLACEHOLDER"}}, "PLACEHOLDER")

	unary := func(req []byte) error {
		var out []byte
		return cc.Invoke(context.Background(), memberv1.MemberRegistry_CreateMember_FullMethodName, req, &out, grpc.ForceCodecV2(rawCodec{}))
	}
	stream := func(lines ...[]byte) error {
		st, err := cc.NewStream(context.Background(), &salesv1.SalesReporting_ServiceDesc.Streams[0],
			salesv1.SalesReporting_ImportSales_FullMethodName, grpc.ForceCodecV2(rawCodec{}))
		if err != nil {
			return err
		}
		for _, l := range lines {
			if err := st.SendMsg(l); err != nil {
				break // the server answered already; RecvMsg says what
			}
		}
		_ = st.CloseSend()
		var out []byte
		return st.RecvMsg(&out)
	}

	cases := []struct {
		name  string
		call  func() error
		field string
	}{
		{"unary: bytes that are not protobuf", func() error { return unary(garbage) }, ""},
		{"unary: a string that is not UTF-8 is named", func() error { return unary(badName) }, "member.display_name"},
		{"client stream: bytes that are not protobuf", func() error { return stream(goodLine, garbage) }, ""},
		{"client stream: a string that is not UTF-8 is named", func() error { return stream(goodLine, badLine) }, "sale.external_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("code = %v (%v), want INVALID_ARGUMENT", status.Code(err), err)
			}
			ei := grpcx.ErrorInfo(err)
			if ei.GetReason() != "MALFORMED_REQUEST" || ei.GetDomain() != grpcx.ServerDomain {
				t.Fatalf("ErrorInfo = %v", ei)
			}
			fields := grpcx.FieldViolations(err)
			if c.field == "" && len(fields) != 0 || c.field != "" && (len(fields) != 1 || fields[0] != c.field) {
				t.Fatalf("field violations = %v, want %q", fields, c.field)
			}
		})
	}
	if n := reg.calls.Load(); n != 0 {
		t.Errorf("the handler ran %d times on a malformed request", n)
	}
	if n := sales.lines.Load(); n != 2 {
		t.Errorf("the stream handler took %d lines, want the 2 good ones only", n)
	}
	if !strings.Contains(logs.String(), `"code":"InvalidArgument"`) {
		t.Errorf("no log line with the refusal:\n%s", logs.String())
	}

	t.Run("a well-formed request still reaches the handler", func(t *testing.T) {
		ok, _ := proto.Marshal(&memberv1.CreateMemberRequest{Member: &memberv1.Member{DisplayName: "区长"}})
		if err := unary(ok); err != nil || reg.calls.Load() != 1 {
			t.Fatalf("err = %v, calls = %d", err, reg.calls.Load())
		}
		if err := stream(goodLine); err != nil {
			t.Fatalf("stream: %v", err)
		}
	})
}

func TestAuthenticationComesBeforeTheMalformedCheck(t *testing.T) {
	// A caller without a key learns nothing, not even that its bytes were bad.
	refuse := func(context.Context, any, *grpc.UnaryServerInfo, grpc.UnaryHandler) (any, error) {
		return nil, status.Error(codes.Unauthenticated, "no key")
	}
	cc, _, _, _ := serveFakes(t, refuse)
	var out []byte
	err := cc.Invoke(context.Background(), memberv1.MemberRegistry_CreateMember_FullMethodName, []byte{0xff, 0xff}, &out, grpc.ForceCodecV2(rawCodec{}))
	if status.Code(err) != codes.Unauthenticated {
		t.Fatalf("code = %v, want UNAUTHENTICATED", status.Code(err))
	}
}
