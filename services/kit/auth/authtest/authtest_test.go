package authtest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/auth/authtest"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// fatals records a helper's Fatalf instead of failing the test that
// checks the helper.
type fatals struct {
	testing.TB
	msg string
}

func (f *fatals) Helper() {}
func (f *fatals) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// covers runs Covers on a recorder and returns its failure, or "".
func covers(t *testing.T, p auth.Policy, sd protoreflect.ServiceDescriptor) string {
	rec := &fatals{TB: t}
	done := make(chan struct{})
	go func() { defer close(done); authtest.Covers(rec, p, sd) }()
	<-done
	return rec.msg
}

func TestCoversFailsOnEveryRPCWithoutAFullRule(t *testing.T) {
	health := healthpb.File_grpc_health_v1_health_proto.Services().ByName("Health")
	registry := memberv1.File_alliance_member_v1_member_registry_proto.Services().ByName("MemberRegistry")
	for _, c := range []struct {
		name   string
		policy auth.Policy
		sd     protoreflect.ServiceDescriptor
		want   []string // the methods the failure names; none: it passes
	}{
		{name: "every RPC with who and read or write passes", sd: health,
			policy: auth.Policy{"/grpc.health.v1.Health/Check": auth.Public | auth.Read, "/grpc.health.v1.Health/Watch": auth.Public | auth.Read, "/grpc.health.v1.Health/List": auth.Public | auth.Read}},
		{name: "the platform's rules count: health needs no rule of the service's own", sd: health, policy: auth.Policy{}},
		{name: "a rule that says who but not read or write fails, naming its RPC", sd: health,
			policy: auth.Policy{"/grpc.health.v1.Health/Check": auth.Public},
			want:   []string{"/grpc.health.v1.Health/Check"}},
		{name: "a service's RPCs without rules fail, all of them named", sd: registry, policy: auth.Policy{},
			want: []string{"/alliance.member.v1.MemberRegistry/GetMember", "/alliance.member.v1.MemberRegistry/CreateApiKey"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := covers(t, c.policy, c.sd)
			if (msg != "") != (len(c.want) > 0) {
				t.Fatalf("failure %q, want one naming %v", msg, c.want)
			}
			for _, m := range c.want {
				if !strings.Contains(msg, m) {
					t.Errorf("failure %q does not name %s", msg, m)
				}
			}
		})
	}
}
