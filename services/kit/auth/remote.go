package auth

import (
	"context"
	"sync"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/apikey"
	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/grpcx"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// RemoteMemberKeys checks member keys with member-registry and remembers
// the answers, so that a key costs one registry call per TTL however often
// it is used:
//   - a valid key for TTL: a revoked key therefore stops working at most
//     TTL after its revocation;
//   - a refused key for NegativeTTL, in a cache of its own, so that a flood
//     of made-up keys never pushes a valid key out;
//   - a key id the registry says does not exist (reason API_KEY_NOT_FOUND)
//     for NegativeTTL, so any secret under it is refused without a call.
//
// Concurrent lookups of one key share one registry call. Each cache is a
// bounded LRU (MaxCachedKeys entries).
type RemoteMemberKeys struct {
	Registry    memberv1.MemberRegistryClient
	TTL         time.Duration
	NegativeTTL time.Duration
	Now         func() time.Time
	// Observe, when set, is told how the cache answered each lookup:
	// CacheHit, CacheNegativeHit or CacheMiss (the registry was asked).
	Observe func(result string)

	once   sync.Once
	good   *lru.Cache[string, goodKey]   // by hash of the whole key
	bad    *lru.Cache[string, time.Time] // by hash of the whole key: until when
	absent *lru.Cache[string, time.Time] // by key id: until when
	flight singleflight.Group
}

type goodKey struct {
	p       Principal
	expires time.Time
}

const (
	// DefaultKeyCacheTTL bounds how long a revoked key keeps working elsewhere than in the registry.
	DefaultKeyCacheTTL = 10 * time.Second
	// DefaultNegativeKeyCacheTTL is how long a refused key, or an unknown key id, is refused without asking.
	DefaultNegativeKeyCacheTTL = 30 * time.Second
	// MaxCachedKeys bounds each of the three caches.
	MaxCachedKeys = 10000
)

// How the cache answered a lookup, for Observe.
const (
	CacheHit         = "hit"          // a remembered valid key
	CacheNegativeHit = "negative_hit" // a remembered refusal, or a key id that does not exist
	CacheMiss        = "miss"         // member-registry was asked
)

func (r *RemoteMemberKeys) observe(result string) {
	if r.Observe != nil {
		r.Observe(result)
	}
}

var errInvalidKey = fault.New(fault.Unauthenticated, fault.ReasonInvalidAPIKey, "invalid API key")

func (r *RemoteMemberKeys) init() {
	r.once.Do(func() {
		// New fails only for a size <= 0.
		r.good, _ = lru.New[string, goodKey](MaxCachedKeys)
		r.bad, _ = lru.New[string, time.Time](MaxCachedKeys)
		r.absent, _ = lru.New[string, time.Time](MaxCachedKeys)
	})
}

func (r *RemoteMemberKeys) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Lookup implements MemberKeys.
func (r *RemoteMemberKeys) Lookup(ctx context.Context, keyID, secret string) (Principal, error) {
	r.init()
	now := r.now()
	// The cache key is the hash of the whole key, so a wrong secret for a
	// known id never hits a cached yes.
	ck := string(apikey.Hash(keyID + "_" + secret))
	if g, ok := r.good.Get(ck); ok && now.Before(g.expires) {
		r.observe(CacheHit)
		return g.p, nil
	}
	if until, ok := r.absent.Get(keyID); ok && now.Before(until) {
		r.observe(CacheNegativeHit)
		return Principal{}, errInvalidKey
	}
	if until, ok := r.bad.Get(ck); ok && now.Before(until) {
		r.observe(CacheNegativeHit)
		return Principal{}, errInvalidKey
	}
	r.observe(CacheMiss)
	// The call is shared, so it must not end when the first caller gives
	// up: it runs under the registry connection's own deadline, and each
	// caller waits only as long as its context allows.
	ch := r.flight.DoChan(ck, func() (any, error) {
		return r.ask(context.WithoutCancel(ctx), keyID, secret, ck)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return Principal{}, res.Err
		}
		return res.Val.(Principal), nil
	case <-ctx.Done():
		return Principal{}, fault.New(fault.Unavailable, fault.ReasonDependencyUnavailable, "member-registry did not check the key in time")
	}
}

// ask calls the registry and caches its answer.
func (r *RemoteMemberKeys) ask(ctx context.Context, keyID, secret, ck string) (Principal, error) {
	resp, err := r.Registry.AuthenticateApiKey(ctx, &memberv1.AuthenticateApiKeyRequest{Key: apikey.MemberKey(keyID, secret)})
	now := r.now()
	switch status.Code(err) {
	case codes.OK:
		p, perr := FromAuthentication(keyID, resp)
		if perr != nil {
			// An answer that names no caller is a refusal, remembered like one.
			r.bad.Add(ck, now.Add(orDefault(r.NegativeTTL, DefaultNegativeKeyCacheTTL)))
			return Principal{}, errInvalidKey
		}
		r.good.Add(ck, goodKey{p: p, expires: now.Add(orDefault(r.TTL, DefaultKeyCacheTTL))})
		return p, nil
	case codes.Unauthenticated:
		until := now.Add(orDefault(r.NegativeTTL, DefaultNegativeKeyCacheTTL))
		// member-registry tells a trusted caller that a key id does not
		// exist at all with API_KEY_NOT_FOUND.
		if grpcx.Reason(err) == fault.ReasonAPIKeyNotFound.String() {
			r.absent.Add(keyID, until)
		} else {
			r.bad.Add(ck, until)
		}
		return Principal{}, errInvalidKey
	}
	// An outage is not an answer: nothing is cached, the next call asks again.
	if up := grpcx.Upstream(ctx, "member-registry", err); fault.CodeOf(up) == fault.Unavailable {
		return Principal{}, up
	}
	return Principal{}, fault.New(fault.Unavailable, fault.ReasonDependencyUnavailable, "member-registry cannot check the key: it answered %s", grpcx.CodeName(status.Code(err)))
}
