// Package upstream is the scheduler's client of the service it depends
// on, member-registry: it implements scheduling.Directory over gRPC.
// (Every service keeps its outbound adapters in internal/upstream.)
package upstream

import (
	"context"
	"github.com/cqlive/alliance/services/kit/members"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/config"
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
// UNAVAILABLE with backoff). timeout bounds each call, and under the
// caller's deadline grpcx.UpstreamContext keeps a reserve, so that a
// registry that does not answer is grpcx.Upstream's UNAVAILABLE naming it
// inside the caller's deadline. A NOT_FOUND the registry names a member or
// product in is an answer, taken before grpcx.Upstream.
func New(cc grpc.ClientConnInterface, timeout time.Duration) *Client {
	config.PositiveOr(&timeout, 3*time.Second)
	return &Client{api: memberv1.NewMemberRegistryClient(cc), timeout: timeout}
}

// BatchGet implements scheduling.Directory.
func (c *Client) BatchGet(ctx context.Context, names []string) ([]scheduling.Member, error) {
	ctx, cancel := grpcx.UpstreamContext(ctx, c.timeout)
	defer cancel()
	resp, err := c.api.BatchGetMembers(ctx, &memberv1.BatchGetMembersRequest{Names: names})
	if err != nil {
		if status.Code(err) == codes.NotFound {
			if ei := grpcx.ErrorInfo(err); ei != nil && ei.GetMetadata()["name"] != "" {
				return nil, &scheduling.MissingMember{Name: ei.GetMetadata()["name"]}
			}
		}
		return nil, grpcx.Upstream(ctx, Service, err)
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
	ctx, cancel := grpcx.UpstreamContext(ctx, c.timeout)
	defer cancel()
	p, err := c.api.GetProduct(ctx, &memberv1.GetProductRequest{Name: name})
	if status.Code(err) == codes.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, grpcx.Upstream(ctx, Service, err)
	}
	merchant, _ := scheduling.ParseProductName(p.GetName())
	return &scheduling.Product{
		Name:     p.GetName(),
		Merchant: merchant,
		Active:   p.GetState() == memberv1.ProductState_PRODUCT_STATE_ACTIVE,
	}, nil
}
