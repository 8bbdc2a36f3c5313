// Package upstream is how sales reporting calls the services it depends
// on: session scheduling and the member registry, over gRPC. It turns
// their answers into the domain's types and their outages into UNAVAILABLE
// faults. (Every service keeps its outbound adapters in internal/upstream.)
package upstream

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/fault"
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
	log     *slog.Logger
}

// New wraps two connections. timeout bounds every call, even under a
// caller's longer deadline: a dependency that hangs is reported as
// unavailable while the caller can still use the answer (0: no bound).
// log gets the details of failed calls, which callers are not told.
func New(sessions, members grpc.ClientConnInterface, timeout time.Duration, log *slog.Logger) *Client {
	return &Client{sched: sessionv1.NewSessionSchedulerClient(sessions), reg: memberv1.NewMemberRegistryClient(members),
		timeout: timeout, log: log}
}

// bounded is ctx limited to the client's timeout.
func (c *Client) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.timeout)
}

var _ ingest.Directory = (*Client)(nil)

// upstream is grpcx.Upstream with a message that says which service failed
// and how, and nothing of the failure's own text, which can hold the
// service's address ("dial tcp 127.0.0.1:…"): that goes to the log only.
func (c *Client) upstream(ctx context.Context, service string, err error) error {
	out := grpcx.Upstream(service, err)
	fe, ok := fault.As(out)
	if !ok || fe.Code != fault.Unavailable {
		return out
	}
	c.log.WarnContext(ctx, "dependency call failed", "service", service, "err", err, "request_id", grpcx.RequestID(ctx))
	how := "it cannot be reached"
	if status.Code(err) == codes.DeadlineExceeded {
		how = "it did not answer in time"
	}
	named := *fe
	named.Message = fmt.Sprintf("%s is unavailable (%s); nothing was changed, try again later", service, how)
	return &named
}

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
				return nil, c.upstream(ctx, service, err)
			}
			before := len(chunk)
			chunk = remove(chunk, missing)
			if len(chunk) == before {
				return nil, c.upstream(ctx, service, err)
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
