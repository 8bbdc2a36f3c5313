package rpc

import (
	"strings"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/sales-reporting/internal/export"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// exportChunk is the size of the pieces an export is sent in.
const exportChunk = 64 << 10

// dimNames are the header names of the dimensions in an export.
var dimNames = map[report.Dimension]string{
	report.DimDistrict: "district", report.DimOriginDistrict: "origin_district", report.DimHost: "host",
	report.DimAgency: "agency", report.DimBase: "base", report.DimMerchant: "merchant",
	report.DimCategory: "category", report.DimPlatform: "platform",
}

// exportSender sends an export's chunks, the first with the file's name
// and type (the type on every one).
type exportSender struct {
	stream      salesv1.SalesReporting_ExportSalesReportServer
	contentType string
	fileName    string
	sent        bool
}

func (c *exportSender) send(chunk []byte) error {
	ch := &salesv1.ExportChunk{ContentType: c.contentType, Data: chunk}
	if !c.sent {
		ch.FileName = c.fileName
	}
	c.sent = true
	return c.stream.Send(ch)
}

func (s *Server) ExportSalesReport(req *salesv1.ExportSalesReportRequest, stream salesv1.SalesReporting_ExportSalesReportServer) error {
	ctx := stream.Context()
	format := strings.ToUpper(req.GetFormat())
	if _, ok := export.ContentType[format]; !ok {
		return fail(ctx, fault.InvalidField("format", "must be CSV or XLSX, got %q", req.GetFormat()))
	}
	if req.GetQuery() == nil {
		return fail(ctx, fault.InvalidField("query", "is required"))
	}
	q, err := s.reportQuery(ctx, req.GetQuery(), "query.")
	if err != nil {
		return fail(ctx, err)
	}
	q.Compare = report.NoComparison // not exported (see ExportSalesReportRequest)
	res, err := s.engine.Query(q)
	if err != nil {
		return fail(ctx, engineErr(err))
	}
	// Display names are fetched once, for the distinct keys of each dimension.
	keys := make([][]string, 0)
	seen := make(map[string]bool)
	for _, r := range res.Rows {
		k := strings.Join(r.Keys, "\x00")
		if !seen[k] {
			seen[k] = true
			keys = append(keys, r.Keys)
		}
	}
	display := s.displayNames(ctx, q.GroupBy, keys)
	t := &export.Table{Rows: res.Rows, Totals: res.Totals, DataThrough: res.DataThrough}
	for _, d := range q.GroupBy {
		t.Dims = append(t.Dims, export.Column{Name: dimNames[d], Display: func(k string) string { return display(d, k) }})
	}
	out := &exportSender{stream: stream, contentType: export.ContentType[format], fileName: export.FileName(q.Start, q.End, format)}
	w := &grpcx.ChunkWriter{Size: exportChunk, Send: out.send}
	write := export.WriteCSV
	if format == export.XLSX {
		write = export.WriteXLSX
	}
	if err := write(w, t); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if !out.sent { // an empty file is still one chunk, with its name
		return out.send(nil)
	}
	return nil
}
