package app_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/kit/testkit/memberfake"
	"github.com/cqlive/alliance/services/session-scheduling/app"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// t0 is the scheduler's clock at the start of each test: Monday 7 January
// 2030, 08:00 UTC. Sessions are booked relative to it.
var t0 = time.Date(2030, 1, 7, 8, 0, 0, 0, time.UTC)

// world is a member registry (memberfake: the real one runs with the
// scheduler in the suite's tests) and a real scheduler on loopback, with
// the members most tests book.
type world struct {
	t       testing.TB
	reg     memberv1.MemberRegistryClient
	regAddr string
	api     sessionv1.SessionSchedulerClient
	clock   *testkit.Clock
	dir     string
	stop    func()
	// log, when set, is the scheduler's logger (else testkit.Quiet).
	log *slog.Logger
}

// startRegistry serves reg on addr ("127.0.0.1:0" for any port); unary
// interceptors, if any, run in front of its handlers (a slow registry, a
// call count). Served again on the same address, it holds what it held.
func startRegistry(t testing.TB, reg *memberfake.Registry, addr string, unary ...grpc.UnaryServerInterceptor) (string, func()) {
	t.Helper()
	return testkit.ServeOn(t, reg.Server(grpcx.ServerOptions{Unary: unary}), addr)
}

func newWorld(t testing.TB) *world {
	t.Helper()
	return newWorldWith(t)
}

// newWorldWith is newWorld with interceptors in front of the registry.
func newWorldWith(t testing.TB, unary ...grpc.UnaryServerInterceptor) *world {
	t.Helper()
	w := &world{t: t, clock: testkit.NewClock(t0), dir: t.TempDir()}
	w.regAddr, _ = startRegistry(t, memberfake.New(), "127.0.0.1:0", unary...)
	w.reg = memberv1.NewMemberRegistryClient(testkit.Dial(t, w.regAddr))
	w.member("host-a", memberv1.MemberKind_MEMBER_KIND_HOST)
	w.member("host-b", memberv1.MemberKind_MEMBER_KIND_HOST)
	w.member("base-x", memberv1.MemberKind_MEMBER_KIND_BASE, "s1", "s2")
	w.member("base-y", memberv1.MemberKind_MEMBER_KIND_BASE, "s1")
	w.member("mcn", memberv1.MemberKind_MEMBER_KIND_AGENCY)
	w.member("farm", memberv1.MemberKind_MEMBER_KIND_MERCHANT)
	w.member("shop", memberv1.MemberKind_MEMBER_KIND_MERCHANT)
	w.product("farm", "tea", memberv1.ProductState_PRODUCT_STATE_ACTIVE)
	w.product("farm", "old-tea", memberv1.ProductState_PRODUCT_STATE_DISCONTINUED)
	w.product("shop", "rice", memberv1.ProductState_PRODUCT_STATE_ACTIVE)
	w.startScheduler(app.Config{})
	return w
}

// startScheduler (re)starts the scheduler on w.dir with c plus the world's
// registry and clock.
func (w *world) startScheduler(c app.Config) {
	w.t.Helper()
	c.DataDir = w.dir
	if c.MemberRegistryAddr == "" {
		c.MemberRegistryAddr = w.regAddr
	}
	if c.RegistryTimeout == 0 {
		c.RegistryTimeout = 2 * time.Second
	}
	c.Now = w.clock.Now
	log := w.log
	if log == nil {
		log = testkit.Quiet
	}
	srv, err := app.New(c, log)
	if err != nil {
		w.t.Fatalf("scheduler: %v", err)
	}
	var addr string
	addr, w.stop = testkit.ServeOn(w.t, srv, "127.0.0.1:0")
	w.api = sessionv1.NewSessionSchedulerClient(testkit.Dial(w.t, addr))
}

func (w *world) member(id string, kind memberv1.MemberKind, studios ...string) {
	w.t.Helper()
	m := &memberv1.Member{Kind: kind, DisplayName: id, District: "jiulongpo"}
	for _, s := range studios {
		m.Studios = append(m.Studios, &memberv1.Studio{StudioId: s, DisplayName: s})
	}
	if _, err := w.reg.CreateMember(context.Background(), &memberv1.CreateMemberRequest{Member: m, MemberId: id}); err != nil {
		w.t.Fatalf("create member %s: %v", id, err)
	}
}

func (w *world) product(merchant, id string, state memberv1.ProductState) {
	w.t.Helper()
	_, err := w.reg.CreateProduct(context.Background(), &memberv1.CreateProductRequest{
		Parent: "members/" + merchant, ProductId: id,
		Product: &memberv1.Product{DisplayName: id, Category: "tea", OriginDistrict: "banan", State: state,
			ListPrice: &typev1.Money{CurrencyCode: "CNY", MinorUnits: 1250}},
	})
	if err != nil {
		w.t.Fatalf("create product %s: %v", id, err)
	}
}

func (w *world) suspend(name string) {
	w.t.Helper()
	if _, err := w.reg.SuspendMember(context.Background(), &memberv1.SuspendMemberRequest{Name: name, Reason: "test"}); err != nil {
		w.t.Fatalf("suspend %s: %v", name, err)
	}
}

// suspendedHostAndBase adds the suspended members the rule tests book
// with: host-off, a host, and base-off, a base with studio s1.
func (w *world) suspendedHostAndBase() {
	w.t.Helper()
	w.member("host-off", memberv1.MemberKind_MEMBER_KIND_HOST)
	w.suspend("members/host-off")
	w.member("base-off", memberv1.MemberKind_MEMBER_KIND_BASE, "s1")
	w.suspend("members/base-off")
}

// at is t0 plus a number of minutes.
func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

// draft is a session of host in studio from..to minutes after t0.
func draft(host, studio string, from, to int) *sessionv1.Session {
	return &sessionv1.Session{
		Title:     "Banan Yinzhen green tea",
		Host:      "members/" + host,
		Studio:    studio,
		Platform:  typev1.Platform_PLATFORM_DOUYIN,
		StartTime: timestamppb.New(at(from)),
		EndTime:   timestamppb.New(at(to)),
	}
}

func (w *world) create(s *sessionv1.Session) (*sessionv1.Session, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return w.api.CreateSession(ctx, &sessionv1.CreateSessionRequest{Session: s})
}

func (w *world) mustCreate(s *sessionv1.Session) *sessionv1.Session {
	w.t.Helper()
	out, err := w.create(s)
	if err != nil {
		w.t.Fatalf("create session: %v", err)
	}
	return out
}

// wantErr checks the code and ErrorInfo reason of err, from this service.
func wantErr(t testing.TB, err error, code codes.Code, reason string) {
	t.Helper()
	testkit.WantError(t, err, code, reason, "session.alliance")
}

func appConfig(registry string) app.Config { return app.Config{MemberRegistryAddr: registry} }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
