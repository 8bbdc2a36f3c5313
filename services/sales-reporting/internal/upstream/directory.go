package upstream

import (
	"context"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// sessionState converts by number: ingest.SessionState numbers its values
// as alliance.session.v1.SessionState does (TestSessionStatesConvertByNumber);
// a state ingestion does not know takes no sales.
func sessionState(s sessionv1.SessionState) ingest.SessionState { return ingest.SessionState(s) }

// Sessions implements ingest.Directory.
func (c *Client) Sessions(ctx context.Context, names []string) (map[string]ingest.SessionInfo, error) {
	got, err := batchGet(c, ctx, SessionScheduling, names, func(ctx context.Context, chunk []string) ([]*sessionv1.Session, error) {
		r, err := c.sched.BatchGetSessions(ctx, &sessionv1.BatchGetSessionsRequest{Names: chunk})
		return r.GetSessions(), err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]ingest.SessionInfo, len(got))
	for _, s := range got {
		out[s.GetName()] = ingest.SessionInfo{
			Name: s.GetName(), Host: s.GetHost(), Studio: s.GetStudio(),
			Merchants: s.GetMerchants(), Products: s.GetProducts(),
			Platform: protoconv.EnumName(s.GetPlatform()), State: sessionState(s.GetState()),
			ActualStart: protoconv.AnswerTime(s.GetActualStartTime()), ActualEnd: protoconv.AnswerTime(s.GetActualEndTime()),
		}
	}
	return out, nil
}

// Members implements ingest.Directory.
func (c *Client) Members(ctx context.Context, names []string) (map[string]ingest.MemberInfo, error) {
	got, err := c.members(ctx, names)
	if err != nil {
		return nil, err
	}
	out := make(map[string]ingest.MemberInfo, len(got))
	for _, m := range got {
		out[m.GetName()] = ingest.MemberInfo{Name: m.GetName(), Agency: m.GetAgency(), District: m.GetDistrict(), Official: m.GetOfficial()}
	}
	return out, nil
}

// Product implements ingest.Directory.
func (c *Client) Product(ctx context.Context, name string) (ingest.Product, bool, error) {
	bctx, cancel := c.bounded(ctx)
	defer cancel()
	p, err := c.reg.GetProduct(bctx, &memberv1.GetProductRequest{Name: name})
	if status.Code(err) == codes.NotFound {
		return ingest.Product{}, false, nil
	}
	if err != nil {
		return ingest.Product{}, false, grpcx.Upstream(ctx, MemberRegistry, err)
	}
	return ingest.Product{Name: name, Merchant: ingest.MerchantOf(name), Category: p.GetCategory(), OriginDistrict: p.GetOriginDistrict()}, true, nil
}

// SessionsEnded counts the sessions that reached ENDED in [from, to).
func (c *Client) SessionsEnded(ctx context.Context, from, to time.Time) (int64, error) {
	bctx, cancel := c.bounded(ctx)
	defer cancel()
	r, err := c.sched.CountSessions(bctx, &sessionv1.CountSessionsRequest{
		State:      sessionv1.SessionState_SESSION_STATE_ENDED,
		EndedAfter: protoconv.Timestamp(from), EndedBefore: protoconv.Timestamp(to),
	})
	if err != nil {
		return 0, grpcx.Upstream(ctx, SessionScheduling, err)
	}
	return r.GetCount(), nil
}
