package rpc

import (
	"context"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
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

// ImportSessionMetrics is runImport over snapshots, each chunk submitted
// to the traffic group commit; refusals are bounded as ImportSales's.
func (s *Server) ImportSessionMetrics(stream salesv1.SalesReporting_ImportSessionMetricsServer) error {
	a, err := runImport(stream.Context(), s, importPipe[*salesv1.ImportSessionMetricsRequest, ingest.SessionMetrics]{
		chunk: metricsChunk, recv: stream.Recv,
		read: func(req *salesv1.ImportSessionMetricsRequest, _ int) (ingest.SessionMetrics, error) {
			return metricsFromProto(req.GetMetrics())
		},
		submit: submitWith(s.svc.SubmitMetrics, func(o ingest.MetricsOutcome) importOutcome {
			return importOutcome{duplicate: o.Duplicate, err: o.Err}
		}),
	})
	if err != nil {
		return err
	}
	return stream.SendAndClose(&salesv1.ImportSessionMetricsResponse{Accepted: a.accepted, Duplicates: a.duplicates, Rejected: a.rejected,
		Errors: a.errors, ErrorsTruncated: a.truncated})
}
