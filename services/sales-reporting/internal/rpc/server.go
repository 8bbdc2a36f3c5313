// Package rpc is the gRPC face of sales reporting: it checks the shape of
// each request, calls ingestion or the report engine, adds display names,
// and maps the answer and any fault.
package rpc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/page"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"github.com/cqlive/alliance/services/sales-reporting/internal/upstream"
	"google.golang.org/grpc/status"
)

// Counter counts the sessions that ended in a period.
type Counter interface {
	SessionsEnded(ctx context.Context, from, to time.Time) (int64, error)
}

// Server implements salesv1.SalesReportingServer.
type Server struct {
	salesv1.UnsafeSalesReportingServer
	svc      *ingest.Service
	engine   *report.Engine
	names    *upstream.Names
	counter  Counter
	tokens   *page.Codec
	currency string
	// Meters count each line's outcome; set before serving (app).
	Meters Meters
	// OnImport, when set, is called as an import starts, and what it
	// returns as it ends (app: the collector's headroom for imports).
	OnImport func() (done func())
	// imports bounds the chunks in flight of all import streams together.
	imports *chunkBudget
}

// New returns the adapter.
func New(svc *ingest.Service, engine *report.Engine, names *upstream.Names, counter Counter, tokens *page.Codec, currency string) *Server {
	return &Server{svc: svc, engine: engine, names: names, counter: counter, tokens: tokens, currency: currency, imports: newChunkBudget(importBudget)}
}

func fail(ctx context.Context, err error) error { return grpcx.Status(ctx, ingest.Domain, err) }

func (s *Server) RecordSale(ctx context.Context, req *salesv1.RecordSaleRequest) (*salesv1.Sale, error) {
	if req.GetSale() == nil {
		err := fault.InvalidField("sale", "is required")
		s.Meters.outcome(sourceRecord, ingest.Outcome{Err: err})
		return nil, fail(ctx, err)
	}
	in, err := saleFromProto(req.GetSale())
	if err != nil {
		s.Meters.outcome(sourceRecord, ingest.Outcome{Err: err})
		return nil, fail(ctx, err)
	}
	sale, dup, err := s.svc.Record(withCaller(ctx), in)
	s.Meters.outcome(sourceRecord, ingest.Outcome{Sale: sale, Duplicate: dup, Err: err})
	if err != nil {
		return nil, fail(ctx, err)
	}
	return saleToProto(sale), nil
}

// ImportSales is runImport over sale lines; a slow dependency is retried
// (the import's patience), and at worst fails its lines, not the stream.
func (s *Server) ImportSales(stream salesv1.SalesReporting_ImportSalesServer) error {
	a, err := runImport(stream.Context(), s, importPipe[*salesv1.ImportSalesRequest, ingest.Sale]{
		chunk: importChunk, recv: stream.Recv, lines: salesInMessage,
		read: func(req *salesv1.ImportSalesRequest, i int) (ingest.Sale, error) {
			return saleFromProto(saleOfMessage(req, i))
		},
		submit: submitWith(s.svc.SubmitPatiently, func(o ingest.Outcome) importOutcome {
			s.Meters.outcome(sourceImport, o)
			return importOutcome{duplicate: o.Duplicate, err: o.Err}
		}),
		unreadable: func(err error) { s.Meters.outcome(sourceImport, ingest.Outcome{Err: err}) },
	})
	if err != nil {
		return err
	}
	return stream.SendAndClose(&salesv1.ImportSalesResponse{Accepted: a.accepted, Duplicates: a.duplicates, Rejected: a.rejected,
		Errors: a.errors, ErrorsTruncated: a.truncated})
}

func (s *Server) importError(ctx context.Context, index int64, err error) *salesv1.ImportError {
	st := status.Convert(fail(ctx, err))
	msg := st.Message()
	if fe, ok := fault.As(err); ok && len(fe.Violations) > 0 {
		msg = fe.Error()
	}
	reason := grpcx.Reason(st.Err())
	return &salesv1.ImportError{Index: index, Code: grpcx.CodeName(st.Code()), Reason: reason, Message: msg}
}

func (s *Server) GetSale(ctx context.Context, req *salesv1.GetSaleRequest) (*salesv1.Sale, error) {
	id, ok := ingest.ParseSaleName(req.GetName())
	if !ok {
		return nil, fail(ctx, fault.InvalidField("name", "must be a sale name sales/{sale}, got %q", req.GetName()))
	}
	sale, err := s.svc.Get(withCaller(ctx), id)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return saleToProto(sale), nil
}

func (s *Server) ListSales(ctx context.Context, req *salesv1.ListSalesRequest) (*salesv1.ListSalesResponse, error) {
	size, err := page.Size(req.GetPageSize())
	if err != nil {
		return nil, fail(ctx, err)
	}
	if req.GetSession() != "" {
		if err := ingest.CheckSessionName("session", req.GetSession()); err != nil {
			return nil, fail(ctx, err)
		}
	}
	// v3: the listing keys of schema 3 (session by dictionary id); older tokens are foreign.
	query := fmt.Sprintf("sales.v3|%s|%d", req.GetSession(), req.GetKind())
	cursor, err := s.tokens.Decode(req.GetPageToken(), query)
	if err != nil {
		return nil, fail(ctx, err)
	}
	sales, next, err := s.svc.List(withCaller(ctx), req.GetSession(), kindFromProto(req.GetKind()), cursor, size)
	if err != nil {
		return nil, fail(ctx, err)
	}
	out := &salesv1.ListSalesResponse{Sales: protoconv.List(sales, saleToProto)}
	if next != nil {
		out.NextPageToken = s.tokens.Encode(query, next)
	}
	return out, nil
}

func (s *Server) money(v int64) *typev1.Money { return protoconv.Money(s.currency, v) }

func (s *Server) GetSessionSummary(ctx context.Context, req *salesv1.GetSessionSummaryRequest) (*salesv1.SessionSummary, error) {
	name := req.GetSession()
	if err := ingest.CheckSessionName("session", name); err != nil {
		return nil, fail(ctx, err)
	}
	if err := s.svc.MaySeeSession(withCaller(ctx), name); err != nil {
		return nil, fail(ctx, err)
	}
	sum, ok := s.engine.SessionSummary(name)
	if !ok {
		// No sale yet: a session that exists has a summary of zeros.
		exists, err := s.svc.SessionExists(ctx, name)
		if err != nil {
			return nil, fail(ctx, err)
		}
		if !exists {
			return nil, fail(ctx, fault.New(fault.NotFound, ingest.ReasonSessionNotFound, "session %s not found", name).With("session", name))
		}
	}
	traffic, err := s.svc.LatestMetricsOf(name)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return &salesv1.SessionSummary{
		Session: name, Orders: sum.Orders, Units: sum.Units,
		Gross: s.money(sum.Gross), Refunds: s.money(sum.Refunds), Net: s.money(sum.Gross - sum.Refunds),
		FirstEventTime: protoconv.Timestamp(sum.FirstEvent), LastEventTime: protoconv.Timestamp(sum.LastEvent), RefundCount: sum.RefundLines,
		Metrics: metricsToProto(traffic),
	}, nil
}

// dates parses a [start, end) pair of YYYY-MM-DD into v.
func dates(v *fault.Invalid, prefix, startS, endS string) (report.Day, report.Day) {
	start, err1 := report.ParseDay(startS)
	if err1 != nil {
		v.Add(prefix+"start_date", "must be a date YYYY-MM-DD, got %q", startS)
	}
	end, err2 := report.ParseDay(endS)
	if err2 != nil {
		v.Add(prefix+"end_date", "must be a date YYYY-MM-DD, got %q", endS)
	}
	if err1 == nil && err2 == nil && end <= start {
		v.Add(prefix+"end_date", "must be after start_date: the range is [start_date, end_date)")
	}
	return start, end
}

// engineErr turns the engine's complaint about a request into a field violation.
func engineErr(err error) error {
	var ie *report.InvalidError
	if errors.As(err, &ie) {
		return fault.InvalidField(ie.Field, "%s", ie.Description)
	}
	return err
}

func (s *Server) metrics(m report.Metrics) *salesv1.Metrics { return s.metricsIn(&slab{}, m) }

// metricsIn is metrics with its messages taken from a (see slab).
func (s *Server) metricsIn(a *slab, m report.Metrics) *salesv1.Metrics {
	t := m.Traffic
	out := a.newMetrics()
	out.Sessions, out.Orders, out.Units = m.Sessions, m.Orders, m.Units
	out.Gross, out.Refunds, out.Net = a.newMoney(s.currency, m.Gross), a.newMoney(s.currency, m.Refunds), a.newMoney(s.currency, m.Net)
	out.AverageOrderValue = a.newMoney(s.currency, m.AverageOrderValue)
	out.Views, out.Viewers, out.PeakConcurrentViewers = t.Views, t.Viewers, t.PeakConcurrentViewers
	out.ProductClicks, out.ProductImpressions, out.TrafficSessions = t.ProductClicks, t.ProductImpressions, t.Sessions
	if gpm, ok := report.GPM(m.Gross, t.Views); ok {
		out.Gpm = a.newMoney(s.currency, gpm)
	}
	if r, ok := report.Ratio(m.Orders, t.Viewers); ok {
		out.ConversionRate = a.newFloat(r)
	}
	if r, ok := report.Ratio(t.ProductClicks, t.ProductImpressions); ok {
		out.ClickThroughRate = a.newFloat(r)
	}
	if d, ok := t.AverageViewDuration(); ok {
		out.AverageViewDuration = a.newDuration(d)
	}
	return out
}

// reportQuery reads the report a request asks for, held to the caller's
// own data (OwnFilter); prefix names its fields ("query." in an export).
func (s *Server) reportQuery(ctx context.Context, req *salesv1.QuerySalesReportRequest, prefix string) (report.Query, error) {
	var v fault.Invalid
	start, end := dates(&v, prefix, req.GetStartDate(), req.GetEndDate())
	gran := report.Total // unspecified asks for one period: the whole range
	if req.GetGranularity() != salesv1.Granularity_GRANULARITY_UNSPECIFIED {
		g, ok := granularities[req.GetGranularity()]
		if !ok {
			v.Add(prefix+"granularity", "must be DAY, WEEK, MONTH, QUARTER, YEAR or TOTAL")
		}
		gran = g
	}
	if len(req.GetGroupBy()) > 2 {
		v.Add(prefix+"group_by", "at most 2 dimensions, got %d", len(req.GetGroupBy()))
	}
	groupBy := make([]report.Dimension, 0, len(req.GetGroupBy()))
	for i, d := range req.GetGroupBy() {
		dim, ok := dimensions[d]
		if !ok {
			v.Add(fmt.Sprintf("%sgroup_by[%d]", prefix, i), "must be a dimension, got %s", d)
		}
		groupBy = append(groupBy, dim)
	}
	compare := comparisonOf(&v, req.GetCompareTo())
	if err := v.Err(); err != nil {
		return report.Query{}, err
	}
	q := report.Query{Start: start, End: end, Granularity: gran, GroupBy: groupBy, Compare: compare, Filter: report.Filter{
		District: req.GetDistrict(), OriginDistrict: req.GetOriginDistrict(), Host: req.GetHost(),
		Agency: req.GetAgency(), Base: req.GetBase(), Merchant: req.GetMerchant(), Category: req.GetCategory(),
		Platform: protoconv.EnumName(req.GetPlatform()),
	}}
	if err := ingest.OwnFilter(withCaller(ctx), &q.Filter); err != nil {
		return report.Query{}, err
	}
	return q, nil
}

func (s *Server) QuerySalesReport(ctx context.Context, req *salesv1.QuerySalesReportRequest) (*salesv1.QuerySalesReportResponse, error) {
	size, err := page.Size(req.GetPageSize())
	if err != nil {
		return nil, fail(ctx, err)
	}
	q, err := s.reportQuery(ctx, req, "")
	if err != nil {
		return nil, fail(ctx, err)
	}
	start, end, gran, groupBy, compare := q.Start, q.End, q.Granularity, q.GroupBy, q.Compare
	fingerprint := fmt.Sprintf("report|%s|%s|%d|%v|%+v", start, end, gran, groupBy, q.Filter)
	if compare != report.NoComparison {
		fingerprint += fmt.Sprintf("|compare %d", compare)
	}
	cursor, err := s.tokens.Decode(req.GetPageToken(), fingerprint)
	if err != nil {
		return nil, fail(ctx, err)
	}
	offset := 0
	if len(cursor) > 0 {
		o, n := binary.Uvarint(cursor)
		if n <= 0 {
			return nil, fail(ctx, fault.InvalidField("page_token", "is not a page token of this query"))
		}
		offset = int(o)
	}
	res, count, err := s.engine.QueryPage(q, offset, size)
	if err != nil {
		return nil, fail(ctx, engineErr(err))
	}
	rows := res.Rows
	out := &salesv1.QuerySalesReportResponse{Totals: s.metrics(res.Totals), DataThrough: protoconv.Timestamp(res.DataThrough)}
	if res.PreviousTotals != nil {
		out.PreviousStartDate, out.PreviousEndDate = res.PreviousStart.String(), res.PreviousEnd.String()
		out.PreviousTotals = s.metrics(*res.PreviousTotals)
		out.TotalsChange = change(out.Totals, out.PreviousTotals)
	}
	if count-min(offset, count) > size {
		out.NextPageToken = s.tokens.Encode(fingerprint, binary.AppendUvarint(nil, uint64(offset+size)))
	}
	keys := make([][]string, len(rows))
	for i := range rows {
		keys[i] = rows[i].Keys
	}
	display := s.displayNames(ctx, groupBy, keys)
	if res.PreviousTotals != nil {
		out.Rows = s.reportRows(rows, req.GetGroupBy(), groupBy, display)
		report.Recycle(rows) // the messages hold copies
		return out, nil
	}
	wire, err := s.wireAnswer(out, rows, req.GetGroupBy(), groupBy, display)
	report.Recycle(rows)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return wire, nil
}

// displayNames fetches, in at most two calls, the names of the keys of
// the given dimensions, and returns a lookup.
func (s *Server) displayNames(ctx context.Context, dims []report.Dimension, keys [][]string) func(report.Dimension, string) string {
	var members []string
	var districts, categories map[string]string
	for j, d := range dims {
		switch {
		case isMemberDim(d):
			for _, k := range keys {
				members = append(members, k[j])
			}
		case d == report.DimDistrict || d == report.DimOriginDistrict:
			if districts == nil {
				districts = s.names.Districts(ctx)
			}
		case d == report.DimCategory:
			if categories == nil {
				categories = s.names.Categories(ctx)
			}
		}
	}
	var memberNames map[string]string
	if len(members) > 0 {
		memberNames = s.names.Members(ctx, members)
	}
	return func(d report.Dimension, k string) string {
		switch {
		case isMemberDim(d):
			return memberNames[k]
		case d == report.DimDistrict || d == report.DimOriginDistrict:
			return districts[k]
		case d == report.DimCategory:
			return categories[k]
		case d == report.DimPlatform:
			return platformNames[k]
		}
		return ""
	}
}

// memberDims are the dimensions whose keys are members of the registry
// (a host's, an agency's, a base's, a merchant's resource name), named by
// its display names; the others are the registry's code lists and the
// platforms.
var memberDims = [...]report.Dimension{report.DimHost, report.DimAgency, report.DimBase, report.DimMerchant}

func isMemberDim(d report.Dimension) bool { return slices.Contains(memberDims[:], d) }

func (s *Server) topEntries(ctx context.Context, d report.Dimension, entries []report.TopEntry) []*salesv1.TopPerformer {
	keys := make([][]string, 0, len(entries))
	for _, e := range entries {
		keys = append(keys, []string{e.Key})
	}
	display := s.displayNames(ctx, []report.Dimension{d}, keys)
	out := make([]*salesv1.TopPerformer, 0, len(entries))
	var z size
	for i := range entries {
		z.add(&entries[i].Metrics, entries[i].Previous)
	}
	a := newSlab(z)
	for _, e := range entries {
		tp := &salesv1.TopPerformer{Rank: int32(e.Rank), Key: e.Key, DisplayName: display(d, e.Key), Value: e.Value, Metrics: s.metricsIn(a, e.Metrics)}
		if e.Previous != nil {
			tp.Previous, tp.PreviousRank = s.metricsIn(a, *e.Previous), int32(e.PreviousRank)
			tp.Change = change(tp.Metrics, tp.Previous)
		}
		out = append(out, tp)
	}
	return out
}

func (s *Server) ListTopPerformers(ctx context.Context, req *salesv1.ListTopPerformersRequest) (*salesv1.ListTopPerformersResponse, error) {
	var v fault.Invalid
	start, end := dates(&v, "", req.GetStartDate(), req.GetEndDate())
	dim, ok := dimensions[req.GetDimension()]
	if !ok {
		v.Add("dimension", "must be one of DISTRICT, ORIGIN_DISTRICT, HOST, AGENCY, BASE, MERCHANT, CATEGORY, PLATFORM")
	}
	metric := report.MetricNet // unspecified ranks by net, the headline figure
	if req.GetMetric() != salesv1.Metric_METRIC_UNSPECIFIED {
		if metric, ok = metricsOf[req.GetMetric()]; !ok {
			v.Add("metric", "must be NET, GROSS, ORDERS or UNITS")
		}
	}
	if req.GetLimit() < 0 {
		v.Add("limit", "must not be negative")
	}
	compare := comparisonOf(&v, req.GetCompareTo())
	if err := v.Err(); err != nil {
		return nil, fail(ctx, err)
	}
	var own report.Filter
	if err := ingest.OwnFilter(withCaller(ctx), &own); err != nil {
		return nil, fail(ctx, err)
	}
	entries, through, err := s.engine.TopCompared(dim, metric, own, start, end, int(req.GetLimit()), compare)
	if err != nil {
		return nil, fail(ctx, engineErr(err))
	}
	return &salesv1.ListTopPerformersResponse{Entries: s.topEntries(ctx, dim, entries), DataThrough: protoconv.Timestamp(through)}, nil
}

func (s *Server) GetAllianceOverview(ctx context.Context, req *salesv1.GetAllianceOverviewRequest) (*salesv1.AllianceOverview, error) {
	var v fault.Invalid
	start, end := dates(&v, "", req.GetStartDate(), req.GetEndDate())
	compare := comparisonOf(&v, req.GetCompareTo())
	if err := v.Err(); err != nil {
		return nil, fail(ctx, err)
	}
	if compare == report.NoComparison {
		return s.overview(ctx, start, end, s.engine.Overview(start, end))
	}
	// Both periods from one state of the engine.
	now, before := s.engine.OverviewCompared(start, end, compare)
	out, err := s.overview(ctx, start, end, now)
	if err != nil {
		return nil, err
	}
	ps, pe := report.EarlierRange(compare, start, end)
	if out.Previous, err = s.overview(ctx, ps, pe, before); err != nil {
		return nil, err
	}
	out.Change = change(out.Totals, out.Previous.Totals)
	return out, nil
}

// overview is the AllianceOverview of [start, end) from the engine's o.
func (s *Server) overview(ctx context.Context, start, end report.Day, o report.Overview) (*salesv1.AllianceOverview, error) {
	loc := s.engine.Location()
	held, err := s.counter.SessionsEnded(ctx, start.Start(loc), end.Start(loc))
	if err != nil {
		return nil, fail(ctx, err)
	}
	return &salesv1.AllianceOverview{
		StartDate: start.String(), EndDate: end.String(), SessionsHeld: held,
		SessionsWithSales: o.SessionsWithSales, Orders: o.Orders,
		Gross: s.money(o.Gross), Refunds: s.money(o.Refunds), Net: s.money(o.Net),
		ActiveHosts: o.ActiveHosts, ActiveBases: o.ActiveBases, ActiveAgencies: o.ActiveAgencies,
		TopDistricts: s.topEntries(ctx, report.DimDistrict, o.TopDistricts), DataThrough: protoconv.Timestamp(o.DataThrough),
		Totals: s.metrics(report.Metrics{Sessions: o.SessionsWithSales, Orders: o.Orders, Units: o.Units, Gross: o.Gross,
			Refunds: o.Refunds, Net: o.Net, AverageOrderValue: report.AverageOrderValue(o.Gross, o.Orders), Traffic: o.Traffic}),
	}, nil
}
