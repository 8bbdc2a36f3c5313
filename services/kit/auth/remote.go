package auth

import (
	"context"
	"sync"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
	"github.com/cqlive/alliance/services/kit/fault"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// RemoteMemberKeys checks member keys with member-registry, and remembers
// each answer for TTL. A revoked key therefore stops working at most TTL
// after its revocation.
type RemoteMemberKeys struct {
	Registry memberv1.MemberRegistryClient
	TTL      time.Duration
	Now      func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	p       Principal
	ok      bool
	expires time.Time
}

// DefaultKeyCacheTTL bounds how long a revoked key keeps working elsewhere than in the registry.
const DefaultKeyCacheTTL = 10 * time.Second

// maxCached bounds the cache; it is cleared when full.
const maxCached = 10000

// Lookup implements MemberKeys.
func (r *RemoteMemberKeys) Lookup(ctx context.Context, keyID, secret string) (Principal, error) {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	ttl := r.TTL
	if ttl <= 0 {
		ttl = DefaultKeyCacheTTL
	}
	// The cache key is the hash of the whole key, so a wrong secret for a
	// known id never hits a cached yes.
	ck := string(Hash(keyID + "_" + secret))
	r.mu.Lock()
	c, hit := r.cache[ck]
	r.mu.Unlock()
	if hit && now().Before(c.expires) {
		if !c.ok {
			return Principal{}, fault.New(fault.Unauthenticated, "INVALID_API_KEY", "invalid API key")
		}
		return c.p, nil
	}
	resp, err := r.Registry.AuthenticateApiKey(ctx, &memberv1.AuthenticateApiKeyRequest{Key: memberKeyPrefix + keyID + "_" + secret})
	var entry cached
	switch status.Code(err) {
	case codes.OK:
		p, perr := FromAuthentication(keyID, resp)
		entry = cached{ok: perr == nil, p: p}
	case codes.Unauthenticated:
		entry = cached{ok: false}
	default:
		return Principal{}, fault.New(fault.Unavailable, "DEPENDENCY_UNAVAILABLE", "member-registry cannot check the key: %v", status.Convert(err).Message())
	}
	entry.expires = now().Add(ttl)
	r.mu.Lock()
	if r.cache == nil || len(r.cache) >= maxCached {
		r.cache = make(map[string]cached)
	}
	r.cache[ck] = entry
	r.mu.Unlock()
	if !entry.ok {
		return Principal{}, fault.New(fault.Unauthenticated, "INVALID_API_KEY", "invalid API key")
	}
	return entry.p, nil
}

// kindName turns MEMBER_KIND_HOST into HOST.
func kindName(k memberv1.MemberKind) string {
	const prefix = "MEMBER_KIND_"
	s := k.String()
	if len(s) > len(prefix) {
		return s[len(prefix):]
	}
	return s
}
