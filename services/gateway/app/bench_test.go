package app_test

import (
	"context"
	"io"
	"strings"
	"testing"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/testkit"
)

// The gateway's cost per call: GetMember and CreateMember through the
// gateway against the same calls over gRPC to the same registry, in
// process. The load test with real processes and ghz is
// services/suite/bench.

func benchEnv(b *testing.B) (env, memberv1.MemberRegistryClient) {
	e := start(b, nil)
	return e, memberv1.NewMemberRegistryClient(testkit.Dial(b, e.regAddr))
}

func BenchmarkGetMember(b *testing.B) {
	e, client := benchEnv(b)
	if r, err := keyed.Post(e.url+"/v1/members?memberId=h1", "application/json", strings.NewReader(host)); err != nil || r.StatusCode != 200 {
		b.Fatalf("create: %v %v", err, r)
	}
	b.Run("grpc", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := client.GetMember(context.Background(), &memberv1.GetMemberRequest{Name: "members/h1"}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("http", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r, err := keyed.Get(e.url + "/v1/members/h1")
				if err != nil || r.StatusCode != 200 {
					b.Errorf("get: %v %v", err, r)
					return
				}
				_, _ = io.Copy(io.Discard, r.Body)
				r.Body.Close()
			}
		})
	})
}
