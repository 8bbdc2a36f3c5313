// Package upstream is how sales reporting calls the services it depends
// on: session scheduling and the member registry, over gRPC. It turns
// their answers into the domain's types and their outages into UNAVAILABLE
// faults. (Every service keeps its outbound adapters in internal/upstream.)
package upstream

import (
	"context"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Service names in UNAVAILABLE messages.
const (
	SessionScheduling = "session-scheduling"
	MemberRegistry    = "member-registry"
)

// maxBatch is the batch limit of both services' BatchGet RPCs.
const maxBatch = 1000

// Client calls both dependencies.
type Client struct {
	sched   sessionv1.SessionSchedulerClient
	reg     memberv1.MemberRegistryClient
	timeout time.Duration
}

// New wraps two connections. timeout bounds every call, even under a
// caller's longer deadline: a dependency that hangs is reported as
// unavailable while the caller can still use the answer (0: no bound but
// the reserve under the caller's deadline, see grpcx.UpstreamContext). A
// failed call is grpcx.Upstream's fault, and what the dependency said goes
// to the call's log line, never to the caller.
func New(sessions, members grpc.ClientConnInterface, timeout time.Duration) *Client {
	return &Client{sched: sessionv1.NewSessionSchedulerClient(sessions), reg: memberv1.NewMemberRegistryClient(members),
		timeout: timeout}
}

// bounded is ctx limited to the client's timeout, with the reserve of
// grpcx.UpstreamContext under the caller's deadline.
func (c *Client) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return grpcx.UpstreamContext(ctx, c.timeout)
}

var _ ingest.Directory = (*Client)(nil)

// notFoundName is the name an all-or-nothing batch call refused, or "".
func notFoundName(err error) string {
	if status.Code(err) != codes.NotFound {
		return ""
	}
	if ei := grpcx.ErrorInfo(err); ei != nil {
		return ei.GetMetadata()["name"]
	}
	return ""
}

// batchGet calls get on names in chunks, each call bounded by the
// client's timeout. Both services' batch calls are all or nothing and name
// the unknown entry, so an unknown name is dropped and the call repeated:
// k unknown names cost k more calls.
func batchGet[T any](c *Client, ctx context.Context, service string, names []string, get func(context.Context, []string) ([]T, error)) ([]T, error) {
	var out []T
	names = dedupe(names)
	for len(names) > 0 {
		n := min(len(names), maxBatch)
		chunk := append([]string(nil), names[:n]...)
		names = names[n:]
		for len(chunk) > 0 {
			bctx, cancel := c.bounded(ctx)
			got, err := get(bctx, chunk)
			cancel()
			if err == nil {
				out = append(out, got...)
				break
			}
			missing := notFoundName(err)
			if missing == "" {
				return nil, grpcx.Upstream(ctx, service, err)
			}
			before := len(chunk)
			chunk = remove(chunk, missing)
			if len(chunk) == before {
				return nil, grpcx.Upstream(ctx, service, err)
			}
		}
	}
	return out, nil
}

// members is the registry's members of names; unknown names are left out.
func (c *Client) members(ctx context.Context, names []string) ([]*memberv1.Member, error) {
	return batchGet(c, ctx, MemberRegistry, names, func(ctx context.Context, chunk []string) ([]*memberv1.Member, error) {
		r, err := c.reg.BatchGetMembers(ctx, &memberv1.BatchGetMembersRequest{Names: chunk})
		return r.GetMembers(), err
	})
}

func dedupe(names []string) []string {
	seen := make(map[string]bool, len(names))
	out := names[:0:0]
	for _, n := range names {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

func remove(names []string, x string) []string {
	out := names[:0]
	for _, n := range names {
		if n != x {
			out = append(out, n)
		}
	}
	return out
}
