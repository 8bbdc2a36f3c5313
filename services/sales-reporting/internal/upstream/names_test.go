package upstream

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"github.com/cqlive/alliance/services/kit/testkit/memberfake"
)

// TestMemberNamesAreAskedOnceANameTTL: within NameTTL a report's member
// keys cost the registry no call, whether the registry knows them or not
// (a removed member's key is asked once, not on every report, and each
// unknown name costs the batch call a round); after it, both are asked
// again, so a member created or renamed since shows its name.
func TestMemberNamesAreAskedOnceANameTTL(t *testing.T) {
	reg := memberfake.New()
	reg.Put(&memberv1.Member{Name: "members/a", DisplayName: "Host A"})
	cc := testkit.Dial(t, testkit.Serve(t, reg.Server(grpcx.ServerOptions{})))
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	names := NewNames(New(cc, cc, 5*time.Second, testkit.Quiet), clock)
	ctx := context.Background()
	keys := []string{"members/a", "members/gone", "members/a", ""}

	ask := func(want map[string]string) int64 {
		t.Helper()
		before := reg.Lookups.Load()
		if got := names.Members(ctx, keys); !maps.Equal(got, want) {
			t.Fatalf("names %v, want %v", got, want)
		}
		return reg.Lookups.Load() - before
	}
	if calls := ask(map[string]string{"members/a": "Host A"}); calls == 0 {
		t.Fatal("the first report asked the registry nothing")
	}
	for range 3 {
		if calls := ask(map[string]string{"members/a": "Host A"}); calls != 0 {
			t.Fatalf("within NameTTL the registry was asked %d times", calls)
		}
	}
	reg.Put(&memberv1.Member{Name: "members/gone", DisplayName: "Back again"})
	reg.Put(&memberv1.Member{Name: "members/a", DisplayName: "Host A, renamed"})
	mu.Lock()
	now = now.Add(NameTTL)
	mu.Unlock()
	if calls := ask(map[string]string{"members/a": "Host A, renamed", "members/gone": "Back again"}); calls != 1 {
		t.Fatalf("after NameTTL: %d calls, want 1 (both names in one batch)", calls)
	}
}
