package servicetest_test

import (
	"context"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	sessionv1 "github.com/cqlive/alliance/gen/pb/alliance/session/v1"
	typev1 "github.com/cqlive/alliance/gen/pb/alliance/type/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/service"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/kit/tlsx"
	"github.com/cqlive/alliance/services/kit/tlsx/tlsxtest"
	memberapp "github.com/cqlive/alliance/services/member-registry/app"
	schedapp "github.com/cqlive/alliance/services/session-scheduling/app"
	"github.com/cqlive/alliance/services/suite/servicetest"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// as is a context that carries key as a bearer token.
func as(key string) context.Context { return testkit.WithKey(key) }

// TestTLSEndToEnd runs registry and scheduler with TLS and authentication:
// the scheduler's calls to the registry (member checks, key checks) go over
// TLS with its service token, and a plaintext client is refused.
func TestTLSEndToEnd(t *testing.T) {
	certs := tlsxtest.Write(t, t.TempDir())
	tlsCfg := tlsx.Config{CertFile: certs.ServerCert, KeyFile: certs.ServerKey, CAFile: certs.CA}
	admin := auth.NewAdminKey()
	security := auth.Security{Admin: auth.NewAdminKeysFor(admin), ServiceSecret: auth.ServiceSecret(auth.RandomSecret(32)), TLS: tlsCfg}

	regAddr := servicetest.Registry(t, memberapp.Config{Config: service.Config{Security: security}})
	addr := servicetest.Scheduler(t, schedapp.Config{Config: service.Config{Security: security}, MemberRegistryAddr: regAddr})
	creds, err := tlsCfg.DialOption()
	if err != nil {
		t.Fatal(err)
	}
	dialTLS := func(target string) *grpc.ClientConn {
		cc, err := grpc.NewClient(target, creds)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cc.Close() })
		return cc
	}
	reg := memberv1.NewMemberRegistryClient(dialTLS(regAddr))
	for _, m := range []*memberv1.CreateMemberRequest{
		{MemberId: "host-a", Member: &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_HOST, DisplayName: "a", District: "jiulongpo"}},
		{MemberId: "base-x", Member: &memberv1.Member{Kind: memberv1.MemberKind_MEMBER_KIND_BASE, DisplayName: "x", District: "jiulongpo",
			Studios: []*memberv1.Studio{{StudioId: "s1", DisplayName: "s1"}}}},
	} {
		if _, err := reg.CreateMember(as(admin), m); err != nil {
			t.Fatal(err)
		}
	}
	key, err := reg.CreateApiKey(as(admin), &memberv1.CreateApiKeyRequest{Member: "members/base-x"})
	if err != nil {
		t.Fatal(err)
	}
	api := sessionv1.NewSessionSchedulerClient(dialTLS(addr))
	ctx, cancel := context.WithTimeout(as(key.Key), 10*time.Second)
	defer cancel()
	s := &sessionv1.Session{
		Title: "Banan Yinzhen green tea", Host: "members/host-a", Studio: "members/base-x/studios/s1", Platform: typev1.Platform_PLATFORM_DOUYIN,
		StartTime: timestamppb.New(time.Now().Add(time.Hour)), EndTime: timestamppb.New(time.Now().Add(2 * time.Hour)),
	}
	if _, err := api.CreateSession(ctx, &sessionv1.CreateSessionRequest{Session: s}); err != nil {
		t.Fatalf("base-x booking over TLS: %v", err)
	}
	plain := sessionv1.NewSessionSchedulerClient(testkit.Dial(t, addr))
	pctx, pcancel := context.WithTimeout(as(key.Key), 2*time.Second)
	defer pcancel()
	if _, err := plain.CountSessions(pctx, &sessionv1.CountSessionsRequest{}); err == nil {
		t.Fatal("a plaintext client reached the TLS server")
	}
}
