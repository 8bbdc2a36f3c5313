package rpc

import (
	"context"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/ids"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
)

func seriesID(field, name string) (string, error) {
	return ids.Named(field, name, "series name sessionSeries/{series}", scheduling.ParseSeriesName)
}

func (s *Server) CreateSessionSeries(ctx context.Context, req *sessionv1.CreateSessionSeriesRequest) (*sessionv1.CreateSessionSeriesResponse, error) {
	res, err := s.createSessionSeries(ctx, req)
	s.Meters.series(res, err)
	if err != nil {
		return nil, fail(ctx, err)
	}
	series, sessions, skipped := seriesResultToProto(res)
	return &sessionv1.CreateSessionSeriesResponse{Series: series, Sessions: sessions, Skipped: skipped}, nil
}

func (s *Server) createSessionSeries(ctx context.Context, req *sessionv1.CreateSessionSeriesRequest) (*scheduling.SeriesResult, error) {
	if req.GetSeries() == nil {
		return nil, fault.InvalidField("series", "is required")
	}
	in, err := seriesFromProto(req.GetSeries())
	if err != nil {
		return nil, err
	}
	return s.svc.CreateSessionSeries(withCaller(ctx), in, req.GetSeriesId(), req.GetRequestId(), req.GetAllowPartial())
}

func (s *Server) GetSessionSeries(ctx context.Context, req *sessionv1.GetSessionSeriesRequest) (*sessionv1.SessionSeries, error) {
	id, err := seriesID("name", req.GetName())
	if err != nil {
		return nil, fail(ctx, err)
	}
	res, err := s.svc.GetSessionSeries(id)
	if err != nil {
		return nil, fail(ctx, err)
	}
	return seriesToProto(res.Series), nil
}

func (s *Server) CancelSessionSeries(ctx context.Context, req *sessionv1.CancelSessionSeriesRequest) (*sessionv1.CancelSessionSeriesResponse, error) {
	id, err := seriesID("name", req.GetName())
	if err != nil {
		return nil, fail(ctx, err)
	}
	res, err := s.svc.CancelSessionSeries(withCaller(ctx), id, req.GetReason())
	if err != nil {
		return nil, fail(ctx, err)
	}
	return &sessionv1.CancelSessionSeriesResponse{Series: seriesToProto(res.Series), Sessions: sessionsToProto(res.Sessions)}, nil
}
