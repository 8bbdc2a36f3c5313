package app_test

// The dependencies of sales reporting in its tests: a small but real gRPC
// session scheduler over an in-memory map, for sessions in any state and
// at any time, which the real scheduler's API cannot make (a session in
// the past, say); and the alliance a test needs, in a member registry
// (memberfake here; the suite's tests run the real one).

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/protoconv"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/kit/testkit/memberfake"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// The fake scheduler's reasons: its own list, named by the real one's enum.
var (
	fakeReasons     fault.Reasons
	sessionNotFound = fakeReasons.Define(protoconv.EnumName(sessionv1.ErrorReason_ERROR_REASON_SESSION_NOT_FOUND))
)

// fakeScheduler is a real gRPC SessionScheduler over an in-memory map.
type fakeScheduler struct {
	sessionv1.UnimplementedSessionSchedulerServer
	mu       sync.Mutex
	sessions map[string]*sessionv1.Session
	// BatchCalls counts BatchGetSessions calls, to check caching.
	BatchCalls atomic.Int64

	slowMu    sync.Mutex
	slowLeft  int
	slowDelay time.Duration
}

// Slow makes the next n BatchGetSessions calls answer only after delay
// (or give up when their caller does), as a scheduler under load would.
func (s *fakeScheduler) Slow(n int, delay time.Duration) {
	s.slowMu.Lock()
	defer s.slowMu.Unlock()
	s.slowLeft, s.slowDelay = n, delay
}

// stall waits out a slow call, if this one is to be slow.
func (s *fakeScheduler) stall(ctx context.Context) error {
	s.slowMu.Lock()
	slow, delay := s.slowLeft > 0, s.slowDelay
	if slow {
		s.slowLeft--
	}
	s.slowMu.Unlock()
	if !slow {
		return nil
	}
	t := time.NewTimer(delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// newScheduler returns an empty scheduler.
func newScheduler() *fakeScheduler { return &fakeScheduler{sessions: map[string]*sessionv1.Session{}} }

// Put stores (or replaces) a session.
func (s *fakeScheduler) Put(ses *sessionv1.Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions[ses.GetName()] = proto.Clone(ses).(*sessionv1.Session)
}

func (s *fakeScheduler) BatchGetSessions(ctx context.Context, req *sessionv1.BatchGetSessionsRequest) (*sessionv1.BatchGetSessionsResponse, error) {
	s.BatchCalls.Add(1)
	if err := s.stall(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &sessionv1.BatchGetSessionsResponse{}
	for _, n := range req.GetNames() {
		ses, ok := s.sessions[n]
		if !ok {
			return nil, grpcx.Status(ctx, "session.alliance", fault.New(fault.NotFound, sessionNotFound, "session %s not found", n).With("name", n))
		}
		out.Sessions = append(out.Sessions, proto.Clone(ses).(*sessionv1.Session))
	}
	return out, nil
}

func (s *fakeScheduler) CountSessions(_ context.Context, req *sessionv1.CountSessionsRequest) (*sessionv1.CountSessionsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, ses := range s.sessions {
		if req.GetState() != 0 && ses.GetState() != req.GetState() {
			continue
		}
		end := ses.GetActualEndTime()
		if req.GetEndedAfter() != nil && (end == nil || end.AsTime().Before(req.GetEndedAfter().AsTime())) {
			continue
		}
		if req.GetEndedBefore() != nil && (end == nil || !end.AsTime().Before(req.GetEndedBefore().AsTime())) {
			continue
		}
		n++
	}
	return &sessionv1.CountSessionsResponse{Count: n}, nil
}

// Server returns a kit gRPC server for s.
func (s *fakeScheduler) Server() *grpcx.Server {
	srv := grpcx.NewServer(grpcx.ServerOptions{Name: "alliance.session.v1.SessionScheduler", Logger: testkit.Quiet, ShutdownTimeout: time.Second})
	sessionv1.RegisterSessionSchedulerServer(srv.GRPC, s)
	return srv
}

// alliance is the members a test needs, by resource name.
type alliance struct {
	Agency, Host, OfficialHost, Base, Studio, Base2, Studio2 string
	Merchant, Tea, Hotpot                                    string // Tea and Hotpot are products of Merchant
	Merchant2, Noodles                                       string // Noodles is a product of Merchant2
}

// seed creates the alliance's members in the registry behind cc.
func seed(ctx context.Context, cc grpc.ClientConnInterface) (*alliance, error) {
	c := memberv1.NewMemberRegistryClient(cc)
	var firstErr error
	create := func(id string, m *memberv1.Member) string {
		if firstErr != nil {
			return ""
		}
		got, err := c.CreateMember(ctx, &memberv1.CreateMemberRequest{MemberId: id, Member: m})
		if err != nil {
			firstErr = fmt.Errorf("create %s: %w", id, err)
		}
		return got.GetName()
	}
	product := func(parent, id, category, origin string) string {
		if firstErr != nil {
			return ""
		}
		got, err := c.CreateProduct(ctx, &memberv1.CreateProductRequest{Parent: parent, ProductId: id, Product: &memberv1.Product{
			DisplayName: id, Category: category, OriginDistrict: origin,
			ListPrice: &typev1.Money{CurrencyCode: "CNY", MinorUnits: 5000},
		}})
		if err != nil {
			firstErr = fmt.Errorf("create product %s: %w", id, err)
		}
		return got.GetName()
	}
	var a alliance
	a.Agency = create("mcn-bayu", &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_AGENCY, DisplayName: "巴渝传媒", District: "yuzhong"})
	a.Host = create("host-li", &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "李主播", District: "yuzhong", Agency: a.Agency})
	a.OfficialHost = create("mayor-banan", &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "巴南区长", District: "banan", Official: true})
	a.Base = create("base-jiulongpo", &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_BASE, DisplayName: "九龙坡直播基地", District: "jiulongpo",
		Studios: []*memberv1.Studio{{StudioId: "a1", DisplayName: "A1"}}})
	a.Studio = a.Base + "/studios/a1"
	a.Base2 = create("base-dazu", &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_BASE, DisplayName: "天下大足直播基地", District: "dazu",
		Studios: []*memberv1.Studio{{StudioId: "b1", DisplayName: "B1"}}})
	a.Studio2 = a.Base2 + "/studios/b1"
	a.Merchant = create("farm-yinzhen", &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_MERCHANT, DisplayName: "银针茶园", District: "banan"})
	a.Tea = product(a.Merchant, "green-tea", "tea", "banan")
	a.Hotpot = product(a.Merchant, "hotpot-base", "hotpot", "yuzhong")
	a.Merchant2 = create("noodle-shop", &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_MERCHANT, DisplayName: "小面馆", District: "jiangbei"})
	a.Noodles = product(a.Merchant2, "xiaomian", "noodles", "jiangbei")
	return &a, firstErr
}

// Session builds a session of the alliance's host in its studio, selling
// Merchant's products (Tea featured) on Douyin, in the given state; actual
// times are set as the state implies.
func (a *alliance) Session(id string, state sessionv1.SessionState, start, end time.Time) *sessionv1.Session {
	s := &sessionv1.Session{
		Name: "sessions/" + id, Title: id, Host: a.Host, Studio: a.Studio,
		Merchants: []string{a.Merchant}, Products: []string{a.Tea},
		Platform:  typev1.Platform_PLATFORM_DOUYIN,
		StartTime: timestamppb.New(start), EndTime: timestamppb.New(end), State: state,
	}
	if state == sessionv1.SessionState_SESSION_STATE_LIVE || state == sessionv1.SessionState_SESSION_STATE_ENDED {
		s.ActualStartTime = timestamppb.New(start)
	}
	if state == sessionv1.SessionState_SESSION_STATE_ENDED {
		s.ActualEndTime = timestamppb.New(end)
	}
	return s
}

// newRegistry is a member registry that knows the districts and the
// categories of the alliance's members, by the display names of the real
// one.
func newRegistry() *memberfake.Registry {
	r := memberfake.New()
	for _, d := range [][2]string{{"yuzhong", "渝中区"}, {"jiangbei", "江北区"}, {"jiulongpo", "九龙坡区"}, {"dazu", "大足区"}, {"banan", "巴南区"}} {
		r.Districts = append(r.Districts, &memberv1.District{Code: d[0], DisplayName: d[1]})
	}
	for _, c := range [][2]string{{"tea", "茶叶"}, {"hotpot", "火锅底料"}, {"agri-food", "农副产品"}, {"fruit", "水果"}} {
		r.Categories = append(r.Categories, &memberv1.Category{Code: c[0], DisplayName: c[1]})
	}
	return r
}
