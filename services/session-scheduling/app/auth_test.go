package app_test

import (
	"context"
	"flag"
	"strings"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/auth/authtest"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/kit/testkit/memberfake"
	"github.com/cqlive/alliance/services/session-scheduling/app"
	"github.com/cqlive/alliance/services/session-scheduling/internal/rpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// secured is a scheduler with authentication on and a registry
// (memberfake) that holds a key for each member:
//
//	base-x (studios s1, s2), base-y (s1), base-off (s1, suspended)
//	mcn, mcn2: agencies; host-a of mcn, host-b of mcn2, host-c of none
//	farm: a merchant; dist: a district office
type secured struct {
	t     *testing.T
	cc    *grpc.ClientConn
	api   sessionv1.SessionSchedulerClient
	reg   memberv1.MemberRegistryClient
	admin string
	keys  map[string]string // member id -> its key
	clock *testkit.Clock
	// What another scheduler on the same registry needs.
	regAddr string
	admins  *auth.AdminKeys
	secret  auth.ServiceSecret
}

// as is a call with key ("" for none).
func as(key string) context.Context { return testkit.WithKey(key) }

func startSecured(t *testing.T) *secured {
	t.Helper()
	s := &secured{t: t, admin: auth.NewAdminKey(), keys: map[string]string{}, clock: testkit.NewClock(t0)}
	admins := auth.NewAdminKeysFor(s.admin)
	secret := auth.ServiceSecret(auth.RandomSecret(32))
	regAddr := testkit.Serve(t, memberfake.New().Server(grpcx.ServerOptions{}))
	s.regAddr, s.admins, s.secret = regAddr, admins, secret
	s.reg = memberv1.NewMemberRegistryClient(testkit.Dial(t, regAddr))
	type m struct {
		id      string
		kind    memberv1.MemberKind
		agency  string
		studios []string
	}
	for _, x := range []m{
		{"base-x", memberv1.MemberKind_MEMBER_KIND_BASE, "", []string{"s1", "s2"}},
		{"base-y", memberv1.MemberKind_MEMBER_KIND_BASE, "", []string{"s1"}},
		{"base-off", memberv1.MemberKind_MEMBER_KIND_BASE, "", []string{"s1"}},
		{"mcn", memberv1.MemberKind_MEMBER_KIND_AGENCY, "", nil},
		{"mcn2", memberv1.MemberKind_MEMBER_KIND_AGENCY, "", nil},
		{"host-a", memberv1.MemberKind_MEMBER_KIND_HOST, "members/mcn", nil},
		{"host-b", memberv1.MemberKind_MEMBER_KIND_HOST, "members/mcn2", nil},
		{"host-c", memberv1.MemberKind_MEMBER_KIND_HOST, "", nil},
		{"farm", memberv1.MemberKind_MEMBER_KIND_MERCHANT, "", nil},
		{"dist", memberv1.MemberKind_MEMBER_KIND_DISTRICT_OFFICE, "", nil},
	} {
		mem := &memberv1.Member{Kind: x.kind, DisplayName: x.id, District: "jiulongpo", Agency: x.agency}
		for _, st := range x.studios {
			mem.Studios = append(mem.Studios, &memberv1.Studio{StudioId: st, DisplayName: st})
		}
		if _, err := s.reg.CreateMember(as(s.admin), &memberv1.CreateMemberRequest{MemberId: x.id, Member: mem}); err != nil {
			t.Fatalf("create %s: %v", x.id, err)
		}
		k, err := s.reg.CreateApiKey(as(s.admin), &memberv1.CreateApiKeyRequest{Member: "members/" + x.id})
		if err != nil {
			t.Fatal(err)
		}
		s.keys[x.id] = k.Key
	}
	if _, err := s.reg.SuspendMember(as(s.admin), &memberv1.SuspendMemberRequest{Name: "members/base-off", Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	srv, err := app.New(app.Config{
		Config:             service.Config{DataDir: t.TempDir(), Security: auth.Security{Admin: admins, ServiceSecret: secret}},
		MemberRegistryAddr: regAddr, RegistryTimeout: 2 * time.Second, Now: s.clock.Now,
	}, testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	addr := testkit.Serve(t, srv)
	s.cc = testkit.Dial(t, addr)
	s.api = sessionv1.NewSessionSchedulerClient(s.cc)
	return s
}

// book makes a session as the admin.
func (s *secured) book(host, studio string, from, to int) *sessionv1.Session {
	s.t.Helper()
	out, err := s.api.CreateSession(as(s.admin), &sessionv1.CreateSessionRequest{Session: draft(host, studio, from, to)})
	if err != nil {
		s.t.Fatalf("admin books %s in %s: %v", host, studio, err)
	}
	return out
}

// snapshot renders every session the admin can see.
func (s *secured) snapshot() string {
	s.t.Helper()
	list, err := s.api.ListSessions(as(s.admin), &sessionv1.ListSessionsRequest{PageSize: 1000})
	if err != nil {
		s.t.Fatal(err)
	}
	return list.String()
}

func TestEveryRPCHasARule(t *testing.T) {
	authtest.Covers(t, rpc.Policy, sessionv1.File_alliance_session_v1_session_scheduler_proto.Services().ByName("SessionScheduler"))
}

// TestEveryRPCRefusesBadKeys calls every RPC of the service, found from its
// descriptor, with no key, a garbage key, a wrong secret, an unknown key,
// a wrong admin key and a revoked key. Requests that would change
// something if they were let through are well-formed, so that "nothing
// was stored" means something.
func TestEveryRPCRefusesBadKeys(t *testing.T) {
	s := startSecured(t)
	live := s.book("host-a", x1, 60, 120)
	revoked, err := s.reg.CreateApiKey(as(s.admin), &memberv1.CreateApiKeyRequest{Member: "members/base-x"})
	if err != nil {
		t.Fatal(err)
	}
	// Revoked before its first use here, so no cached answer can outlive it.
	if _, err := s.reg.RevokeApiKey(as(s.admin), &memberv1.RevokeApiKeyRequest{Name: revoked.ApiKey.Name}); err != nil {
		t.Fatal(err)
	}
	bad := testkit.BadKeys(t, s.keys["base-x"])
	bad["a wrong service token"] = auth.ServiceSecret(auth.RandomSecret(32)).Token("sales-reporting")
	bad["a revoked key"] = revoked.Key
	moved := draft("host-a", x2, 200, 260)
	moved.Name = live.Name
	valid := map[string]proto.Message{
		"CreateSession":  &sessionv1.CreateSessionRequest{Session: draft("host-b", y1, 60, 120)},
		"UpdateSession":  &sessionv1.UpdateSessionRequest{Session: moved, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"studio", "start_time", "end_time"}}},
		"StartSession":   &sessionv1.StartSessionRequest{Name: live.Name},
		"EndSession":     &sessionv1.EndSessionRequest{Name: live.Name},
		"CancelSession":  &sessionv1.CancelSessionRequest{Name: live.Name},
		"ImportSessions": ended("old", "host-c", y1, -600, -500),
	}
	sd := sessionv1.File_alliance_session_v1_session_scheduler_proto.Services().ByName("SessionScheduler")
	before := s.snapshot()
	testkit.RefusesBadKeys(t, s.cc, sd, bad, valid, "sessions/", "members/")
	if after := s.snapshot(); after != before {
		t.Fatalf("refused calls changed the schedule:\n%s\n---\n%s", before, after)
	}
	for what, key := range map[string]string{"the admin": s.admin, "a member": s.keys["farm"]} {
		if _, err := s.api.GetSession(as(key), &sessionv1.GetSessionRequest{Name: live.Name}); err != nil {
			t.Fatalf("%s reading the schedule: %v", what, err)
		}
	}
}

// TestMembersMayNotTouchOthersSessions: a member's key is refused
// PERMISSION_DENIED for bookings and changes that are not its own, and
// nothing changes.
func TestMembersMayNotTouchOthersSessions(t *testing.T) {
	s := startSecured(t)
	sa := s.book("host-a", x1, 60, 120) // host-a of mcn, in base-x
	sessionOf := func(host, studio string) func(*sessionv1.Session) {
		return func(x *sessionv1.Session) { x.Host, x.Studio = "members/"+host, studio }
	}
	update := func(key string, change func(*sessionv1.Session)) error {
		patch := proto.Clone(sa).(*sessionv1.Session)
		change(patch)
		_, err := s.api.UpdateSession(as(key), &sessionv1.UpdateSessionRequest{Session: patch, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"host", "studio"}}})
		return err
	}
	create := func(key, host, studio string) error {
		_, err := s.api.CreateSession(as(key), &sessionv1.CreateSessionRequest{Session: draft(host, studio, 300, 360)})
		return err
	}
	start := func(key string) error {
		_, err := s.api.StartSession(as(key), &sessionv1.StartSessionRequest{Name: sa.Name})
		return err
	}
	end := func(key string) error {
		_, err := s.api.EndSession(as(key), &sessionv1.EndSessionRequest{Name: sa.Name})
		return err
	}
	cancel := func(key string) error {
		_, err := s.api.CancelSession(as(key), &sessionv1.CancelSessionRequest{Name: sa.Name, Reason: "not mine"})
		return err
	}
	k := s.keys
	s.clock.Set(at(45)) // sa may start: the refusals below are about who asks
	denied := map[string]func() error{
		"create: a base into another base's studio":        func() error { return create(k["base-y"], "host-c", x1) },
		"create: a base into an unknown studio of another": func() error { return create(k["base-y"], "host-c", "members/base-x/studios/s9") },
		"create: an agency for another agency's host":      func() error { return create(k["mcn2"], "host-a", y1) },
		"create: an agency for a host of no agency":        func() error { return create(k["mcn"], "host-c", y1) },
		"create: a host for another host":                  func() error { return create(k["host-b"], "host-a", y1) },
		"create: a merchant":                               func() error { return create(k["farm"], "host-c", y1) },
		"create: a district office":                        func() error { return create(k["dist"], "host-c", y1) },
		"update: another base's session":                   func() error { return update(k["base-y"], func(*sessionv1.Session) {}) },
		"update: another agency's host's session":          func() error { return update(k["mcn2"], func(*sessionv1.Session) {}) },
		"update: another host's session":                   func() error { return update(k["host-b"], func(*sessionv1.Session) {}) },
		"update: its base moves it into another base":      func() error { return update(k["base-x"], sessionOf("host-a", y1)) },
		"update: its agency gives it to another's host":    func() error { return update(k["mcn"], sessionOf("host-b", x1)) },
		"update: its host hands it to another host":        func() error { return update(k["host-a"], sessionOf("host-c", x1)) },
		"start: another base":                              func() error { return start(k["base-y"]) },
		"start: another agency":                            func() error { return start(k["mcn2"]) },
		"start: another host":                              func() error { return start(k["host-b"]) },
		"end: a merchant":                                  func() error { return end(k["farm"]) },
		"cancel: another base":                             func() error { return cancel(k["base-y"]) },
		"cancel: another agency":                           func() error { return cancel(k["mcn2"]) },
		"cancel: another host":                             func() error { return cancel(k["host-b"]) },
		"cancel: a district office":                        func() error { return cancel(k["dist"]) },
		"import: a member's key, even a base's": func() error {
			_, err := importStream(as(k["base-x"]), s.api, ended("old", "host-c", x1, -600, -500))
			return err
		},
	}
	before := s.snapshot()
	for name, do := range denied {
		t.Run(name, func(t *testing.T) {
			err := do()
			if status.Code(err) != codes.PermissionDenied {
				t.Fatalf("%v, want PERMISSION_DENIED", err)
			}
			if msg := status.Convert(err).Message(); strings.Contains(msg, "sessions/") || strings.Contains(msg, "members/") {
				t.Fatalf("the message names a resource: %v", err)
			}
		})
	}
	if after := s.snapshot(); after != before {
		t.Fatalf("denied calls changed the schedule:\n%s\n---\n%s", before, after)
	}
	t.Run("a session that does not exist is NOT_FOUND for anyone, as GetSession says", func(t *testing.T) {
		for _, key := range []string{k["base-y"], k["mcn2"], s.admin} {
			_, err := s.api.CancelSession(as(key), &sessionv1.CancelSessionRequest{Name: "sessions/ghost"})
			wantErr(t, err, codes.NotFound, "SESSION_NOT_FOUND")
		}
	})
}

// TestMembersBookAndRunTheirOwnSessions: the allowed side of each rule.
func TestMembersBookAndRunTheirOwnSessions(t *testing.T) {
	s := startSecured(t)
	k := s.keys
	create := func(key, host, studio string, from int) (*sessionv1.Session, error) {
		return s.api.CreateSession(as(key), &sessionv1.CreateSessionRequest{Session: draft(host, studio, from, from+60)})
	}
	mustCreate := func(who, host, studio string, from int) *sessionv1.Session {
		t.Helper()
		out, err := create(k[who], host, studio, from)
		if err != nil {
			t.Fatalf("%s books %s into %s: %v", who, host, studio, err)
		}
		return out
	}
	byBase := mustCreate("base-x", "host-c", x1, 60) // a base, any host, its own studio
	byAgency := mustCreate("mcn", "host-a", y1, 60)  // an agency, its own host, any base
	byHost := mustCreate("host-b", "host-b", x2, 60) // a host, itself, any ACTIVE base's studio
	alsoByHost := mustCreate("host-c", "host-c", y1, 200)
	if _, err := create(k["host-c"], "host-c", "members/base-off/studios/s1", 400); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("a host booking into a suspended base: %v, want FAILED_PRECONDITION BASE_NOT_ACTIVE", err)
	}
	if _, err := create(s.admin, "host-a", x2, 300); err != nil {
		t.Fatalf("the admin books anything: %v", err)
	}

	s.clock.Set(at(45))
	steps := []struct {
		what, key string
		do        func(ctx context.Context) error
	}{
		{"host-c starts the session its base booked", k["host-c"], func(ctx context.Context) error {
			_, err := s.api.StartSession(ctx, &sessionv1.StartSessionRequest{Name: byBase.Name})
			return err
		}},
		{"base-x ends it", k["base-x"], func(ctx context.Context) error {
			_, err := s.api.EndSession(ctx, &sessionv1.EndSessionRequest{Name: byBase.Name})
			return err
		}},
		{"base-y moves the agency's booking in its studio 30 minutes later", k["base-y"], func(ctx context.Context) error {
			patch := proto.Clone(byAgency).(*sessionv1.Session)
			later := draft("host-a", y1, 90, 150)
			patch.StartTime, patch.EndTime = later.StartTime, later.EndTime
			_, err := s.api.UpdateSession(ctx, &sessionv1.UpdateSessionRequest{Session: patch, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"start_time", "end_time"}}})
			return err
		}},
		{"mcn2 (host-b's agency) starts host-b's own booking", k["mcn2"], func(ctx context.Context) error {
			_, err := s.api.StartSession(ctx, &sessionv1.StartSessionRequest{Name: byHost.Name})
			return err
		}},
		{"mcn cancels its host's booking", k["mcn"], func(ctx context.Context) error {
			_, err := s.api.CancelSession(ctx, &sessionv1.CancelSessionRequest{Name: byAgency.Name, Reason: "host ill"})
			return err
		}},
		{"host-c cancels its own booking", k["host-c"], func(ctx context.Context) error {
			_, err := s.api.CancelSession(ctx, &sessionv1.CancelSessionRequest{Name: alsoByHost.Name})
			return err
		}},
		{"the admin imports history", s.admin, func(ctx context.Context) error {
			resp, err := importStream(ctx, s.api, ended("old", "host-c", y1, -600, -500))
			if err == nil && resp.Accepted != 1 {
				t.Fatalf("import as admin: %v", resp)
			}
			return err
		}},
	}
	for _, st := range steps {
		if err := st.do(as(st.key)); err != nil {
			t.Fatalf("%s: %v", st.what, err)
		}
	}
	for _, want := range []struct {
		name  string
		state sessionv1.SessionState
	}{
		{byBase.Name, sessionv1.SessionState_SESSION_STATE_ENDED},
		{byHost.Name, sessionv1.SessionState_SESSION_STATE_LIVE},
		{byAgency.Name, sessionv1.SessionState_SESSION_STATE_CANCELLED},
		{alsoByHost.Name, sessionv1.SessionState_SESSION_STATE_CANCELLED},
		{"sessions/old", sessionv1.SessionState_SESSION_STATE_ENDED},
	} {
		got, err := s.api.GetSession(as(k["farm"]), &sessionv1.GetSessionRequest{Name: want.name})
		if err != nil || got.State != want.state {
			t.Fatalf("%s: %v %v, want %s", want.name, got.GetState(), err, want.state)
		}
	}
}

// TestARevokedKeyStopsWorkingWithinTheCacheTTL: the scheduler remembers a
// key's check for KeyCacheTTL (10s by default); after that a key revoked
// in the registry is refused here too.
func TestARevokedKeyStopsWorkingWithinTheCacheTTL(t *testing.T) {
	s := startSecured(t)
	const ttl = 200 * time.Millisecond
	srv, err := app.New(app.Config{MemberRegistryAddr: s.regAddr,
		Config: service.Config{DataDir: t.TempDir(), Security: auth.Security{Admin: s.admins, ServiceSecret: s.secret, KeyCacheTTL: ttl}}}, testkit.Quiet)
	if err != nil {
		t.Fatal(err)
	}
	addr := testkit.Serve(t, srv)
	api := sessionv1.NewSessionSchedulerClient(testkit.Dial(t, addr))
	key, err := s.reg.CreateApiKey(as(s.admin), &memberv1.CreateApiKeyRequest{Member: "members/farm"})
	if err != nil {
		t.Fatal(err)
	}
	count := func() error {
		_, err := api.CountSessions(as(key.Key), &sessionv1.CountSessionsRequest{})
		return err
	}
	if err := count(); err != nil {
		t.Fatalf("a fresh key: %v", err)
	}
	if _, err := s.reg.RevokeApiKey(as(s.admin), &memberv1.RevokeApiKeyRequest{Name: key.ApiKey.Name}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(ttl + 50*time.Millisecond)
	if err := count(); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("a key revoked %s ago: %v, want UNAUTHENTICATED", ttl, err)
	}
}

func TestAuthAndTLSFlags(t *testing.T) {
	var c app.Config
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	args := []string{"-admin-key-file", "/k", "-service-secret-file", "/s", "-tls-cert", "/c", "-tls-key", "/k2", "-tls-ca", "/ca"}
	if err := c.BindFlags(fs).Parse(args); err != nil {
		t.Fatal(err)
	}
	if c.AuthFlags.AdminKeyFile != "/k" || c.AuthFlags.ServiceSecretFile != "/s" || c.TLS.CertFile != "/c" || c.TLS.KeyFile != "/k2" || c.TLS.CAFile != "/ca" {
		t.Fatalf("config %+v", c)
	}
}
