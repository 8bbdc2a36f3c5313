// Package upstream is the scheduler's client of the service it depends
// on, member-registry: it implements scheduling.Directory over gRPC.
// (Every service keeps its outbound adapters in internal/upstream.)
package upstream

import (
	"context"
	"github.com/cqlive/alliance/services/kit/members"
	"log/slog"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Service is the name the caller sees when the registry is down.
const Service = "member-registry"

// Client asks the member registry.
type Client struct {
	api     memberv1.MemberRegistryClient
	timeout time.Duration
}

// New returns a client over cc (made with grpcx.Dial, which retries
// UNAVAILABLE with backoff). timeout bounds each call.
func New(cc grpc.ClientConnInterface, timeout time.Duration) *Client {
	config.PositiveOr(&timeout, 3*time.Second)
	return &Client{api: memberv1.NewMemberRegistryClient(cc), timeout: timeout}
}

// callContext bounds one registry call by the client's timeout, and keeps
// a tenth of the caller's remaining time (at most 200ms) in reserve: when
// the registry does not answer, the caller still gets UNAVAILABLE naming
// the registry inside its own deadline, not a bare DEADLINE_EXCEEDED.
func (c *Client) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	d := c.timeout
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		left -= min(left/10, 200*time.Millisecond)
		d = min(d, left)
	}
	return context.WithTimeout(ctx, d)
}

// BatchGet implements scheduling.Directory.
func (c *Client) BatchGet(ctx context.Context, names []string) ([]scheduling.Member, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	resp, err := c.api.BatchGetMembers(ctx, &memberv1.BatchGetMembersRequest{Names: names})
	if err != nil {
		if status.Code(err) == codes.NotFound {
			if ei := grpcx.ErrorInfo(err); ei != nil && ei.GetMetadata()["name"] != "" {
				return nil, &scheduling.MissingMember{Name: ei.GetMetadata()["name"]}
			}
		}
		return nil, upstream(ctx, err)
	}
	out := make([]scheduling.Member, 0, len(resp.GetMembers()))
	for _, m := range resp.GetMembers() {
		sm := scheduling.Member{
			Name:   m.GetName(),
			Kind:   members.Kind(m.GetKind()),
			State:  members.State(m.GetState()),
			Agency: m.GetAgency(),
		}
		for _, st := range m.GetStudios() {
			sm.Studios = append(sm.Studios, st.GetStudioId())
		}
		out = append(out, sm)
	}
	return out, nil
}

// Product implements scheduling.Directory.
func (c *Client) Product(ctx context.Context, name string) (*scheduling.Product, error) {
	ctx, cancel := c.callContext(ctx)
	defer cancel()
	p, err := c.api.GetProduct(ctx, &memberv1.GetProductRequest{Name: name})
	if status.Code(err) == codes.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, upstream(ctx, err)
	}
	merchant, _ := scheduling.ParseProductName(p.GetName())
	return &scheduling.Product{
		Name:     p.GetName(),
		Merchant: merchant,
		Active:   p.GetState() == memberv1.ProductState_PRODUCT_STATE_ACTIVE,
	}, nil
}

// upstream turns a failed registry call into a domain fault. An outage is
// UNAVAILABLE naming the registry and nothing more: the transport's words
// ("dial tcp 10.0.0.7:50051: connect: connection refused") carry internal
// addresses, so they go to this service's log, never to the caller. Any
// other answer is an internal error of this service (the scheduler sends
// only well-formed requests), so the registry's own error details never
// reach the scheduler's caller either.
func upstream(ctx context.Context, err error) error {
	st := status.Convert(err)
	slog.WarnContext(ctx, Service+" call failed", "code", st.Code().String(), "err", st.Message(), "request_id", grpcx.RequestID(ctx))
	switch st.Code() {
	case codes.Unavailable:
		return grpcx.Upstream(Service, status.Error(codes.Unavailable, "it cannot be reached"))
	case codes.DeadlineExceeded:
		return grpcx.Upstream(Service, status.Error(codes.DeadlineExceeded, "it did not answer in time"))
	}
	return fault.New(fault.Internal, fault.ReasonDependencyFailed, "%s answered %s", Service, grpcx.CodeName(st.Code()))
}
