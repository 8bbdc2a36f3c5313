package upstream

import (
	"context"
	"sync"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
)

// NameTTL is how long display names are kept: a renamed member shows its
// new name in reports within a minute.
const NameTTL = time.Minute

// Names gives the display names of report keys, cached for NameTTL.
type Names struct {
	c   *Client
	now func() time.Time

	mu        sync.Mutex
	members   map[string]cachedName
	districts map[string]string
	distAt    time.Time
}

type cachedName struct {
	name string
	at   time.Time
}

// NewNames caches display names fetched with c.
func NewNames(c *Client, now func() time.Time) *Names {
	return &Names{c: c, now: now, members: map[string]cachedName{}}
}

// Members returns the display names of member names. A registry that is
// down leaves names out: a report is still right without them.
func (n *Names) Members(ctx context.Context, names []string) map[string]string {
	now := n.now()
	out := make(map[string]string, len(names))
	var fetch []string
	n.mu.Lock()
	for _, x := range names {
		if c, ok := n.members[x]; ok && now.Sub(c.at) < NameTTL {
			out[x] = c.name
		} else if x != "" {
			fetch = append(fetch, x)
		}
	}
	n.mu.Unlock()
	if len(fetch) == 0 {
		return out
	}
	got, err := batchGet(n.c, ctx, MemberRegistry, fetch, func(ctx context.Context, chunk []string) ([]*memberv1.Member, error) {
		ctx, cancel := n.c.bounded(ctx)
		defer cancel()
		r, err := n.c.reg.BatchGetMembers(ctx, &memberv1.BatchGetMembersRequest{Names: chunk})
		return r.GetMembers(), err
	})
	if err != nil {
		return out
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, m := range got {
		n.members[m.GetName()] = cachedName{name: m.GetDisplayName(), at: now}
		out[m.GetName()] = m.GetDisplayName()
	}
	return out
}

// Districts returns district code -> display name.
func (n *Names) Districts(ctx context.Context) map[string]string {
	now := n.now()
	n.mu.Lock()
	if n.districts != nil && now.Sub(n.distAt) < NameTTL {
		d := n.districts
		n.mu.Unlock()
		return d
	}
	old := n.districts
	n.mu.Unlock()
	bctx, cancel := n.c.bounded(ctx)
	defer cancel()
	r, err := n.c.reg.ListDistricts(bctx, &memberv1.ListDistrictsRequest{})
	if err != nil {
		return old
	}
	d := make(map[string]string, len(r.GetDistricts()))
	for _, x := range r.GetDistricts() {
		d[x.GetCode()] = x.GetDisplayName()
	}
	n.mu.Lock()
	n.districts, n.distAt = d, now
	n.mu.Unlock()
	return d
}

// categoryNames are the Chinese names of common category slugs; other
// slugs show as themselves.
var categoryNames = map[string]string{
	"tea": "茶叶", "agri-food": "农副食品", "apparel": "服装", "hotpot": "火锅底料",
	"snacks": "休闲零食", "fruit": "水果", "vegetables": "蔬菜", "meat": "肉类",
	"grain": "粮油", "liquor": "酒类", "beverages": "饮料", "crafts": "手工艺品",
	"cosmetics": "美妆", "home": "家居", "electronics": "数码电器", "herbal": "中药材",
	"seasoning": "调味品", "noodles": "面食", "honey": "蜂蜜", "eggs": "禽蛋",
}

// Category returns the display name of a category slug.
func Category(slug string) string {
	if n, ok := categoryNames[slug]; ok {
		return n
	}
	return slug
}
