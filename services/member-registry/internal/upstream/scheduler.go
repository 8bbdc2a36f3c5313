// Package upstream is the registry's client of the service it depends on,
// session-scheduling: it implements registry.Bookings over gRPC, as the
// registry's own service identity. (Every service keeps its outbound
// adapters in internal/upstream.)
package upstream

import (
	"context"
	"time"

	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/config"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
	"google.golang.org/grpc"
)

// Service is the name callers see when session-scheduling does not answer.
const Service = "session-scheduling"

// Client asks session-scheduling.
type Client struct {
	api     sessionv1.SessionSchedulerClient
	timeout time.Duration
}

// New returns a client over cc (made with grpcx.Dial: lazy, so the
// registry starts and serves before session-scheduling is up). timeout
// bounds each question (grpcx.UpstreamContext); a failed one is
// grpcx.Upstream's fault, naming session-scheduling.
func New(cc grpc.ClientConnInterface, timeout time.Duration) *Client {
	config.PositiveOr(&timeout, 3*time.Second)
	return &Client{api: sessionv1.NewSessionSchedulerClient(cc), timeout: timeout}
}

// The states in which a session still needs its studio: a request waiting
// for the base's approval holds it too.
var holding = []sessionv1.SessionState{sessionv1.SessionState_SESSION_STATE_SCHEDULED, sessionv1.SessionState_SESSION_STATE_LIVE, sessionv1.SessionState_SESSION_STATE_PENDING_APPROVAL}

// ActiveSession implements registry.Bookings.
func (c *Client) ActiveSession(ctx context.Context, studio string) (string, error) {
	ctx, cancel := grpcx.UpstreamContext(ctx, c.timeout)
	defer cancel()
	for _, state := range holding {
		resp, err := c.api.ListSessions(ctx, &sessionv1.ListSessionsRequest{Studio: studio, State: state, PageSize: 1})
		if err != nil {
			return "", grpcx.Upstream(ctx, Service, err)
		}
		if ss := resp.GetSessions(); len(ss) > 0 {
			return ss[0].GetName(), nil
		}
	}
	return "", nil
}

var _ registry.Bookings = (*Client)(nil)
