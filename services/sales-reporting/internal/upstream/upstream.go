// Package upstream is how sales reporting calls the services it depends
// on: session scheduling and the member registry, over gRPC. It turns
// their answers into the domain's types and their outages into UNAVAILABLE
// faults. (Every service keeps its outbound adapters in internal/upstream.)
package upstream

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
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

// batchGet calls get on names in chunks. Both services' batch calls are all
// or nothing and name the unknown entry, so an unknown name is dropped and
// the call repeated: k unknown names cost k more calls.
func batchGet[T any](c *Client, ctx context.Context, service string, names []string, get func(context.Context, []string) ([]T, error)) ([]T, error) {
	var out []T
	names = dedupe(names)
	for len(names) > 0 {
		n := min(len(names), maxBatch)
		chunk := append([]string(nil), names[:n]...)
		names = names[n:]
		for len(chunk) > 0 {
			got, err := get(ctx, chunk)
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

func platformName(p interface{ String() string }) string {
	return strings.TrimPrefix(p.String(), "PLATFORM_")
}

func sessionState(s sessionv1.SessionState) ingest.SessionState {
	switch s {
	case sessionv1.SessionState_SESSION_STATE_SCHEDULED:
		return ingest.Scheduled
	case sessionv1.SessionState_SESSION_STATE_LIVE:
		return ingest.Live
	case sessionv1.SessionState_SESSION_STATE_ENDED:
		return ingest.Ended
	case sessionv1.SessionState_SESSION_STATE_CANCELLED:
		return ingest.Cancelled
	}
	return ingest.StateUnknown
}

func ts(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

// Sessions implements ingest.Directory.
func (c *Client) Sessions(ctx context.Context, names []string) (map[string]ingest.SessionInfo, error) {
	got, err := batchGet(c, ctx, SessionScheduling, names, func(ctx context.Context, chunk []string) ([]*sessionv1.Session, error) {
		ctx, cancel := c.bounded(ctx)
		defer cancel()
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
			Platform: platformName(s.GetPlatform()), State: sessionState(s.GetState()),
			ActualStart: ts(s.GetActualStartTime()), ActualEnd: ts(s.GetActualEndTime()),
		}
	}
	return out, nil
}

// Members implements ingest.Directory.
func (c *Client) Members(ctx context.Context, names []string) (map[string]ingest.MemberInfo, error) {
	got, err := batchGet(c, ctx, MemberRegistry, names, func(ctx context.Context, chunk []string) ([]*memberv1.Member, error) {
		ctx, cancel := c.bounded(ctx)
		defer cancel()
		r, err := c.reg.BatchGetMembers(ctx, &memberv1.BatchGetMembersRequest{Names: chunk})
		return r.GetMembers(), err
	})
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
		return ingest.Product{}, false, c.upstream(ctx, MemberRegistry, err)
	}
	return ingest.Product{Name: name, Merchant: ingest.MerchantOf(name), Category: p.GetCategory(), OriginDistrict: p.GetOriginDistrict()}, true, nil
}

// SessionsEnded counts the sessions that reached ENDED in [from, to).
func (c *Client) SessionsEnded(ctx context.Context, from, to time.Time) (int64, error) {
	bctx, cancel := c.bounded(ctx)
	defer cancel()
	r, err := c.sched.CountSessions(bctx, &sessionv1.CountSessionsRequest{
		State:      sessionv1.SessionState_SESSION_STATE_ENDED,
		EndedAfter: timestamppb.New(from), EndedBefore: timestamppb.New(to),
	})
	if err != nil {
		return 0, c.upstream(ctx, SessionScheduling, err)
	}
	return r.GetCount(), nil
}

// NameTTL is how long display names are kept: a renamed member shows its
// new name in reports within a minute.
const NameTTL = time.Minute

// Names gives the display names of report keys, cached for NameTTL.
type Names struct {
	c   *Client
	now func() time.Time

	mu        sync.Mutex
	members   map[string]cachedName
	districts map[string]string
	distAt    time.Time
}

type cachedName struct {
	name string
	at   time.Time
}

// NewNames caches display names fetched with c.
func NewNames(c *Client, now func() time.Time) *Names {
	return &Names{c: c, now: now, members: map[string]cachedName{}}
}

// Members returns the display names of member names. A registry that is
// down leaves names out: a report is still right without them.
func (n *Names) Members(ctx context.Context, names []string) map[string]string {
	now := n.now()
	out := make(map[string]string, len(names))
	var fetch []string
	n.mu.Lock()
	for _, x := range names {
		if c, ok := n.members[x]; ok && now.Sub(c.at) < NameTTL {
			out[x] = c.name
		} else if x != "" {
			fetch = append(fetch, x)
		}
	}
	n.mu.Unlock()
	if len(fetch) == 0 {
		return out
	}
	got, err := batchGet(n.c, ctx, MemberRegistry, fetch, func(ctx context.Context, chunk []string) ([]*memberv1.Member, error) {
		ctx, cancel := n.c.bounded(ctx)
		defer cancel()
		r, err := n.c.reg.BatchGetMembers(ctx, &memberv1.BatchGetMembersRequest{Names: chunk})
		return r.GetMembers(), err
	})
	if err != nil {
		return out
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, m := range got {
		n.members[m.GetName()] = cachedName{name: m.GetDisplayName(), at: now}
		out[m.GetName()] = m.GetDisplayName()
	}
	return out
}

// Districts returns district code -> display name.
func (n *Names) Districts(ctx context.Context) map[string]string {
	now := n.now()
	n.mu.Lock()
	if n.districts != nil && now.Sub(n.distAt) < NameTTL {
		d := n.districts
		n.mu.Unlock()
		return d
	}
	old := n.districts
	n.mu.Unlock()
	bctx, cancel := n.c.bounded(ctx)
	defer cancel()
	r, err := n.c.reg.ListDistricts(bctx, &memberv1.ListDistrictsRequest{})
	if err != nil {
		return old
	}
	d := make(map[string]string, len(r.GetDistricts()))
	for _, x := range r.GetDistricts() {
		d[x.GetCode()] = x.GetDisplayName()
	}
	n.mu.Lock()
	n.districts, n.distAt = d, now
	n.mu.Unlock()
	return d
}

// categoryNames are the Chinese names of common category slugs; other
// slugs show as themselves.
var categoryNames = map[string]string{
	"tea": "茶叶", "agri-food": "农副食品", "apparel": "服装", "hotpot": "火锅底料",
	"snacks": "休闲零食", "fruit": "水果", "vegetables": "蔬菜", "meat": "肉类",
	"grain": "粮油", "liquor": "酒类", "beverages": "饮料", "crafts": "手工艺品",
	"cosmetics": "美妆", "home": "家居", "electronics": "数码电器", "herbal": "中药材",
	"seasoning": "调味品", "noodles": "面食", "honey": "蜂蜜", "eggs": "禽蛋",
}

// Category returns the display name of a category slug.
func Category(slug string) string {
	if n, ok := categoryNames[slug]; ok {
		return n
	}
	return slug
}
