package auth_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/auth"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	"github.com/cqlive/alliance/services/kit/testkit"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// keyRegistry is member-registry's AuthenticateApiKey on loopback: it
// knows some keys, says API_KEY_NOT_FOUND for ids starting "gone", and
// counts the calls.
type keyRegistry struct {
	memberv1.UnimplementedMemberRegistryServer
	calls atomic.Int64
	down  atomic.Bool // answer UNAVAILABLE, as a registry behind a dead proxy would
	mu    sync.Mutex
	valid map[string]string // key -> member
}

func (k *keyRegistry) AuthenticateApiKey(_ context.Context, req *memberv1.AuthenticateApiKeyRequest) (*memberv1.AuthenticateApiKeyResponse, error) {
	k.calls.Add(1)
	if k.down.Load() {
		return nil, status.Error(codes.Unavailable, "connection error: dial tcp 10.1.2.3:50051: connection refused")
	}
	k.mu.Lock()
	member, ok := k.valid[req.GetKey()]
	k.mu.Unlock()
	if ok {
		return &memberv1.AuthenticateApiKeyResponse{Member: member, Kind: memberv1.MemberKind_MEMBER_KIND_HOST, District: "banan"}, nil
	}
	reason := fault.ReasonInvalidAPIKey
	if id, _, _ := auth.ParseMemberKey(req.GetKey()); strings.HasPrefix(id, "gone") {
		reason = fault.ReasonAPIKeyNotFound
	}
	return nil, grpcx.FaultStatus("member.alliance", fault.New(fault.Unauthenticated, reason, "missing or invalid API key")).Err()
}

func (k *keyRegistry) revoke(key string) {
	k.mu.Lock()
	delete(k.valid, key)
	k.mu.Unlock()
}

// startKeyRegistry serves reg and returns a client of it.
func startKeyRegistry(t *testing.T, reg *keyRegistry) memberv1.MemberRegistryClient {
	t.Helper()
	srv := grpcx.NewServer(grpcx.ServerOptions{Name: "test.Registry", Logger: testkit.Quiet})
	memberv1.RegisterMemberRegistryServer(srv.GRPC, reg)
	return memberv1.NewMemberRegistryClient(testkit.Dial(t, testkit.Serve(t, srv)))
}

func lookup(r *auth.RemoteMemberKeys, key string) (auth.Principal, error) {
	id, secret, ok := auth.ParseMemberKey(key)
	if !ok {
		panic("not a member key: " + key)
	}
	return r.Lookup(context.Background(), id, secret)
}

func newGoodKey(reg *keyRegistry) string {
	_, key, _ := auth.NewMemberKey()
	reg.mu.Lock()
	if reg.valid == nil {
		reg.valid = map[string]string{}
	}
	reg.valid[key] = "members/banan-head"
	reg.mu.Unlock()
	return key
}

func TestAFloodOfRandomKeysNeitherEvictsAGoodKeyNorHammersTheRegistry(t *testing.T) {
	reg := &keyRegistry{}
	client := startKeyRegistry(t, reg)
	good := newGoodKey(reg)
	// The clock stands still: what is measured is eviction, not expiry.
	stopped := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	r := &auth.RemoteMemberKeys{Registry: client, Now: func() time.Time { return stopped }}
	if p, err := lookup(r, good); err != nil || p.Member != "members/banan-head" {
		t.Fatalf("good key: %v %v", p, err)
	}

	// More distinct keys than the cache holds, each tried three times by
	// concurrent attackers.
	const distinct, tries, workers = 10000 + 500, 3, 8 // more than the 10,000 keys a cache holds
	keys := make(chan string)
	var wg sync.WaitGroup
	var accepted atomic.Int64
	var firstErr atomic.Value
	for range workers {
		wg.Go(func() {
			for k := range keys {
				for range tries {
					if _, err := lookup(r, k); err == nil || fault.CodeOf(err) != fault.Unauthenticated {
						accepted.Add(1)
						firstErr.CompareAndSwap(nil, fmt.Sprint(err))
					}
				}
			}
		})
	}
	for range distinct {
		_, k, _ := auth.NewMemberKey()
		keys <- k
	}
	close(keys)
	wg.Wait()
	if accepted.Load() != 0 {
		t.Fatalf("%d made-up keys were not refused as UNAUTHENTICATED; the first: %v", accepted.Load(), firstErr.Load())
	}
	afterFlood := reg.calls.Load()
	if afterFlood > 1+distinct {
		t.Errorf("%d attempts with %d distinct keys cost %d registry calls; want at most one per key",
			distinct*tries, distinct, afterFlood-1)
	}
	if p, err := lookup(r, good); err != nil || p.Member != "members/banan-head" {
		t.Fatalf("good key after the flood: %v %v", p, err)
	}
	if reg.calls.Load() != afterFlood {
		t.Errorf("the good key was asked for again after the flood: it was evicted")
	}
}

func TestRefusalsAreRemembered(t *testing.T) {
	cases := []struct {
		name      string
		key       func(i int) string
		attempts  int
		wantCalls int64
	}{
		{"a wrong key retried costs one call", func(int) string { return "mk_abcdefghijklmnop_wrong" }, 500, 1},
		{"any secret under an id the registry says does not exist costs one call",
			func(i int) string { return "mk_gonebutnotforgotten_" + auth.RandomSecret(8) }, 500, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reg := &keyRegistry{}
			client := startKeyRegistry(t, reg)
			r := &auth.RemoteMemberKeys{Registry: client}
			for i := range c.attempts {
				if _, err := lookup(r, c.key(i)); fault.CodeOf(err) != fault.Unauthenticated {
					t.Fatalf("attempt %d: %v", i, err)
				}
			}
			if got := reg.calls.Load(); got != c.wantCalls {
				t.Fatalf("%d attempts cost %d registry calls, want %d", c.attempts, got, c.wantCalls)
			}
		})
	}
}

func TestConcurrentLookupsOfOneKeyShareOneCall(t *testing.T) {
	reg := &keyRegistry{}
	client := startKeyRegistry(t, reg)
	good := newGoodKey(reg)
	r := &auth.RemoteMemberKeys{Registry: client}
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range 64 {
		wg.Go(func() {
			if _, err := lookup(r, good); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() != 0 || reg.calls.Load() != 1 {
		t.Fatalf("64 concurrent lookups: %d failed, %d registry calls; want 0 and 1", failed.Load(), reg.calls.Load())
	}
}

func TestARevokedKeyStopsWithinTheTTL(t *testing.T) {
	reg := &keyRegistry{}
	client := startKeyRegistry(t, reg)
	good := newGoodKey(reg)
	var mu sync.Mutex
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	r := &auth.RemoteMemberKeys{Registry: client, TTL: 10 * time.Second, Now: now}
	if _, err := lookup(r, good); err != nil {
		t.Fatal(err)
	}
	reg.revoke(good)
	advance(9 * time.Second)
	if _, err := lookup(r, good); err != nil {
		t.Fatalf("within the TTL the cached answer stands: %v", err)
	}
	advance(2 * time.Second)
	if _, err := lookup(r, good); fault.CodeOf(err) != fault.Unauthenticated {
		t.Fatalf("after the TTL a revoked key: %v, want UNAUTHENTICATED", err)
	}
}

func TestAnOutageIsNotCachedAndNamesNoAddress(t *testing.T) {
	reg := &keyRegistry{}
	client := startKeyRegistry(t, reg)
	good := newGoodKey(reg)
	r := &auth.RemoteMemberKeys{Registry: client}
	reg.down.Store(true)
	_, err := lookup(r, good)
	fe, ok := fault.As(err)
	if !ok || fe.Code != fault.Unavailable || strings.Contains(fe.Message, "10.1.2.3") || !strings.Contains(fe.Message, "member-registry") {
		t.Fatalf("registry down: %v", err)
	}
	a := &auth.Authenticator{Admin: auth.NewAdminKeysFor(), Members: r}
	if _, err := a.Authenticate(context.Background(), good); status.Code(err) != codes.Unavailable {
		t.Fatalf("Authenticate with the registry down: %v, want UNAVAILABLE", err)
	}
	reg.down.Store(false)
	if _, err := lookup(r, good); err != nil {
		t.Fatalf("once the registry is back the key works at once: %v", err)
	}
}

// TestTheCacheTellsHowItAnswered: each lookup is counted once, as a hit,
// a remembered refusal or a miss, and only misses cost a registry call.
func TestTheCacheTellsHowItAnswered(t *testing.T) {
	reg := &keyRegistry{}
	client := startKeyRegistry(t, reg)
	good := newGoodKey(reg)
	var mu sync.Mutex
	seen := map[string]int{}
	r := &auth.RemoteMemberKeys{Registry: client, Observe: func(result string) { mu.Lock(); seen[result]++; mu.Unlock() }}
	_, bad, _ := auth.NewMemberKey()
	for _, k := range []string{good, good, good, bad, bad} {
		_, _ = lookup(r, k)
	}
	want := map[string]int{auth.CacheMiss: 2, auth.CacheHit: 2, auth.CacheNegativeHit: 1}
	if fmt.Sprint(seen) != fmt.Sprint(want) || reg.calls.Load() != 2 {
		t.Fatalf("observed %v with %d registry calls; want %v with 2", seen, reg.calls.Load(), want)
	}
}
