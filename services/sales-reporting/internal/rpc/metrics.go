package rpc

import (
	"context"
	"errors"
	"io"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
)

// metricsChunk is how many snapshots of an import go to one group commit.
const metricsChunk = 1000

func metricsFromProto(p *salesv1.SessionMetrics) (ingest.SessionMetrics, error) {
	var v fault.Invalid
	m := ingest.SessionMetrics{
		Session: p.GetSession(), Platform: protoconv.EnumName(p.GetPlatform()),
		AsOf:  protoconv.Time(&v, "metrics.as_of", p.GetAsOf()),
		Views: p.GetViews(), Viewers: p.GetViewers(), PeakConcurrentViewers: p.GetPeakConcurrentViewers(),
		Likes: p.GetLikes(), Comments: p.GetComments(), Shares: p.GetShares(), NewFollowers: p.GetNewFollowers(),
		ProductImpressions: p.GetProductImpressions(), ProductClicks: p.GetProductClicks(),
	}
	if p.GetAverageViewDuration() != nil {
		m.AverageViewDuration = protoconv.Duration(&v, "metrics.average_view_duration", p.GetAverageViewDuration())
	}
	for _, x := range p.GetProducts() {
		m.Products = append(m.Products, ingest.ProductTraffic{Product: x.GetProduct(), Impressions: x.GetImpressions(), Clicks: x.GetClicks()})
	}
	return m, v.Err()
}

func metricsToProto(m *ingest.SessionMetrics) *salesv1.SessionMetrics {
	if m == nil {
		return nil
	}
	out := &salesv1.SessionMetrics{
		Session: m.Session, Platform: platformEnum(m.Platform), AsOf: protoconv.Timestamp(m.AsOf),
		Views: m.Views, Viewers: m.Viewers, PeakConcurrentViewers: m.PeakConcurrentViewers,
		AverageViewDuration: durationpb.New(m.AverageViewDuration),
		Likes:               m.Likes, Comments: m.Comments, Shares: m.Shares, NewFollowers: m.NewFollowers,
		ProductImpressions: m.ProductImpressions, ProductClicks: m.ProductClicks,
	}
	for _, p := range m.Products {
		out.Products = append(out.Products, &salesv1.ProductTraffic{Product: p.Product, Impressions: p.Impressions, Clicks: p.Clicks})
	}
	return out
}

func (s *Server) RecordSessionMetrics(ctx context.Context, req *salesv1.RecordSessionMetricsRequest) (*salesv1.SessionMetrics, error) {
	if req.GetMetrics() == nil {
		return nil, fail(ctx, fault.InvalidField("metrics", "is required"))
	}
	m, err := metricsFromProto(req.GetMetrics())
	if err != nil {
		return nil, fail(ctx, err)
	}
	stored, _, err := s.svc.RecordMetrics(withCaller(ctx), m)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return metricsToProto(stored), nil
}

func (s *Server) GetSessionMetrics(ctx context.Context, req *salesv1.GetSessionMetricsRequest) (*salesv1.SessionMetrics, error) {
	session, ok := ingest.ParseMetricsName(req.GetName())
	if !ok {
		return nil, fail(ctx, fault.InvalidField("name", "must be sessions/{session}/metrics, got %q", req.GetName()))
	}
	m, err := s.svc.LatestMetrics(withCaller(ctx), session)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return metricsToProto(m), nil
}

// ImportSessionMetrics reads the stream in chunks, each submitted to the
// traffic group commit while the next is read, and answers once every
// accepted snapshot is durable; refusals are bounded as ImportSales's.
func (s *Server) ImportSessionMetrics(stream salesv1.SalesReporting_ImportSessionMetricsServer) error {
	ctx := withCaller(stream.Context())
	patience := s.svc.NewPatience(ctx)
	resp := &salesv1.ImportSessionMetricsResponse{}
	var budget grpcx.ErrorBudget
	reject := func(index int64, err error) {
		resp.Rejected++
		if len(resp.Errors) >= grpcx.MaxAnswerErrors {
			resp.ErrorsTruncated = true
			return
		}
		e := s.importError(ctx, index, err)
		if budget.Admit(proto.Size(e)) {
			resp.Errors = append(resp.Errors, e)
		}
		resp.ErrorsTruncated = resp.ErrorsTruncated || budget.Truncated
	}
	type chunk struct {
		t      *ingest.MetricsTicket
		unread []error
		base   int64
	}
	var pending []chunk
	collect := func(c chunk) {
		var outs []ingest.MetricsOutcome
		if c.t != nil {
			outs = c.t.Wait()
		}
		for i, unread := range c.unread {
			if unread != nil {
				reject(c.base+int64(i), unread)
				continue
			}
			o := outs[0]
			outs = outs[1:]
			switch {
			case o.Err != nil:
				reject(c.base+int64(i), o.Err)
			case o.Duplicate:
				resp.Duplicates++
			default:
				resp.Accepted++
			}
		}
	}
	var index int64
	var buf []ingest.SessionMetrics
	var unread []error
	flush := func() error {
		if len(unread) == 0 {
			return nil
		}
		c := chunk{unread: unread, base: index - int64(len(unread))}
		if len(buf) > 0 {
			t, err := s.svc.SubmitMetrics(ctx, buf, patience)
			if err != nil {
				return err
			}
			c.t = t
		}
		pending = append(pending, c)
		buf, unread = nil, nil
		if len(pending) > importInFlight {
			collect(pending[0])
			pending = pending[1:]
		}
		return nil
	}
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		m, err := metricsFromProto(req.GetMetrics())
		if err == nil {
			buf = append(buf, m)
		}
		unread = append(unread, err)
		index++
		if len(unread) == metricsChunk {
			if err := flush(); err != nil {
				return fail(ctx, err)
			}
		}
	}
	if err := flush(); err != nil {
		return fail(ctx, err)
	}
	for _, c := range pending {
		collect(c)
	}
	return stream.SendAndClose(resp)
}
