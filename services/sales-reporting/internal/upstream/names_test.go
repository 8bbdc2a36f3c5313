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

// namesOfAFakeRegistry is Names over a fake registry that knows
// members/a as "Host A", on a clock that moves only by advance.
func namesOfAFakeRegistry(t *testing.T) (*memberfake.Registry, *Names, func(time.Duration)) {
	reg := memberfake.New()
	reg.Put(&memberv1.Member{Name: "members/a", DisplayName: "Host A"})
	cc := testkit.Dial(t, testkit.Serve(t, reg.Server(grpcx.ServerOptions{})))
	var mu sync.Mutex
	now := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	return reg, NewNames(New(cc, cc, 5*time.Second), clock), advance
}

// TestMemberNamesAreAskedOnceANameTTL: within NameTTL a report's member
// keys cost the registry no call, whether the registry knows them or not
// (a removed member's key is asked once, not on every report, and each
// unknown name costs the batch call a round); after it, both are asked
// again, so a member created or renamed since shows its name.
func TestMemberNamesAreAskedOnceANameTTL(t *testing.T) {
	reg, names, advance := namesOfAFakeRegistry(t)
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
	advance(NameTTL)
	if calls := ask(map[string]string{"members/a": "Host A, renamed", "members/gone": "Back again"}); calls != 1 {
		t.Fatalf("after NameTTL: %d calls, want 1 (both names in one batch)", calls)
	}
}

// TestNamesInSteadyUseAreFetchedBeforeTheyExpire: a report that finds its
// names past half of NameTTL is answered from the cache while they are
// fetched again behind it, so a report in steady use never waits for the
// registry (a TOTAL × HOST page waited 5–13 ms for its 500 names once a
// minute), and no name older than NameTTL is ever shown.
func TestNamesInSteadyUseAreFetchedBeforeTheyExpire(t *testing.T) {
	reg, names, advance := namesOfAFakeRegistry(t)
	ctx := context.Background()
	keys := []string{"members/a"}

	names.Members(ctx, keys)
	reg.Put(&memberv1.Member{Name: "members/a", DisplayName: "Host A, renamed"})
	advance(NameTTL * 2 / 3)
	before := reg.Lookups.Load()
	if got := names.Members(ctx, keys)["members/a"]; got != "Host A" {
		t.Fatalf("within NameTTL the name is %q, want the cached one", got)
	}
	// The new name arrives behind the reports, with the clock standing.
	deadline := time.Now().Add(10 * time.Second)
	for names.Members(ctx, keys)["members/a"] != "Host A, renamed" {
		if time.Now().After(deadline) {
			t.Fatalf("names past half of NameTTL were not fetched again (%d registry calls since)", reg.Lookups.Load()-before)
		}
		time.Sleep(time.Millisecond)
	}
	// Past the first fetch's NameTTL, but younger than refreshAfter since
	// the refresh: at NameTTL / 2 the call below would start the next
	// background refresh, whose registry call the count could then see.
	advance(NameTTL/3 + time.Second)
	before = reg.Lookups.Load()
	if got := names.Members(ctx, keys)["members/a"]; got != "Host A, renamed" {
		t.Fatalf("after the refresh the name is %q, want the new one", got)
	}
	if calls := reg.Lookups.Load() - before; calls != 0 {
		t.Fatalf("a report past the first fetch's NameTTL waited for %d registry calls; the refresh should have covered it", calls)
	}
}
