package rpc

import (
	"bytes"
	"context"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"google.golang.org/grpc"
)

// keepingStream keeps every chunk sent, as a stats handler may: gRPC lets
// a sent message be read after Send returns, so it must not change then.
type keepingStream struct {
	grpc.ServerStream
	kept []*salesv1.ExportChunk
	wire []byte // each chunk's bytes as they were when it was sent
}

func (s *keepingStream) Context() context.Context {
	return auth.WithPrincipal(context.Background(), auth.Principal{Kind: auth.Unchecked})
}

func (s *keepingStream) Send(c *salesv1.ExportChunk) error {
	s.kept = append(s.kept, c)
	s.wire = append(s.wire, c.GetData()...)
	return nil
}

// TestAnExportNeverChangesAChunkItSent: an export of several chunks sends
// each one in a buffer of its own; the chunks kept after Send still hold
// what went on the wire, the first with the file's name.
func TestAnExportNeverChangesAChunkItSent(t *testing.T) {
	engine := report.New(time.UTC)
	first := report.DayOf(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.UTC)
	for d := range 3 * 366 {
		for _, p := range []string{"DOUYIN", "KUAISHOU", "TAOBAO_LIVE"} {
			engine.Load(report.Cell{Session: "sessions/s-" + p, Product: "members/m/products/p", Attr: report.Attribution{Platform: p},
				Day: first + report.Day(d), Orders: int64(d + 1), Units: 2, Gross: int64(1000 + d)})
		}
	}
	stream := &keepingStream{}
	req := &salesv1.ExportSalesReportRequest{Format: "CSV", Query: &salesv1.QuerySalesReportRequest{StartDate: "2024-01-01", EndDate: "2027-01-01",
		Granularity: salesv1.Granularity_GRANULARITY_DAY, GroupBy: []salesv1.Dimension{salesv1.Dimension_DIMENSION_PLATFORM}}}
	if err := New(nil, engine, nil, nil, nil, "CNY").ExportSalesReport(req, stream); err != nil {
		t.Fatal(err)
	}
	if len(stream.kept) < 3 {
		t.Fatalf("%d chunks of %d bytes: the test needs an export of several", len(stream.kept), len(stream.wire))
	}
	var kept []byte
	for i, c := range stream.kept {
		kept = append(kept, c.GetData()...)
		if (c.GetFileName() != "") != (i == 0) || c.GetContentType() == "" {
			t.Errorf("chunk %d: file name %q, type %q; want the name on the first only, the type on every one", i, c.GetFileName(), c.GetContentType())
		}
	}
	if !bytes.Equal(kept, stream.wire) {
		t.Fatalf("the chunks kept (%d bytes) no longer hold what was sent: a sent chunk's buffer was written again", len(kept))
	}
}
