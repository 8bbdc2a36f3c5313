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

	mu         sync.Mutex
	members    map[string]cachedName
	districts  cachedList
	categories cachedList
}

// cachedList is one of the registry's code lists (districts, categories)
// as code -> display name, with when it was fetched.
type cachedList struct {
	names map[string]string
	at    time.Time
}

// cachedName is a member's display name, or that the registry has no
// such member (known false): a key of a removed member is asked once a
// NameTTL, not on every report (and each unknown name costs the batch
// call one more round, see batchGet).
type cachedName struct {
	name  string
	known bool
	at    time.Time
}

// NewNames caches display names fetched with c.
func NewNames(c *Client, now func() time.Time) *Names {
	return &Names{c: c, now: now, members: map[string]cachedName{}}
}

// Members returns the display names of member names. A registry that is
// down leaves names out: a report is still right without them.
func (n *Names) Members(ctx context.Context, names []string) map[string]string {
	now := n.now()
	// A report names each of a few hundred members in many rows: the map
	// grows to the distinct ones instead of being sized to every row.
	out := make(map[string]string, min(len(names), 64))
	var fetch []string
	n.mu.Lock()
	for _, x := range names {
		if c, ok := n.members[x]; ok && now.Sub(c.at) < NameTTL {
			if c.known {
				out[x] = c.name
			}
		} else if x != "" {
			fetch = append(fetch, x)
		}
	}
	n.mu.Unlock()
	if len(fetch) == 0 {
		return out
	}
	got, err := n.c.members(ctx, fetch)
	if err != nil {
		return out
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, x := range fetch {
		n.members[x] = cachedName{at: now}
	}
	for _, m := range got {
		n.members[m.GetName()] = cachedName{name: m.GetDisplayName(), known: true, at: now}
		out[m.GetName()] = m.GetDisplayName()
	}
	return out
}

// Districts returns district code -> display name.
func (n *Names) Districts(ctx context.Context) map[string]string {
	return n.list(ctx, &n.districts, func(ctx context.Context) (map[string]string, error) {
		r, err := n.c.reg.ListDistricts(ctx, &memberv1.ListDistrictsRequest{})
		return byCode(r.GetDistricts()), err
	})
}

// Categories returns category code -> display name, from the registry's
// category list: the one list products are checked against.
func (n *Names) Categories(ctx context.Context) map[string]string {
	return n.list(ctx, &n.categories, func(ctx context.Context) (map[string]string, error) {
		r, err := n.c.reg.ListCategories(ctx, &memberv1.ListCategoriesRequest{})
		return byCode(r.GetCategories()), err
	})
}

// byCode is a code list as code -> display name.
func byCode[T interface {
	GetCode() string
	GetDisplayName() string
}](list []T) map[string]string {
	d := make(map[string]string, len(list))
	for _, x := range list {
		d[x.GetCode()] = x.GetDisplayName()
	}
	return d
}

// list returns l, fetched again when older than NameTTL. A registry that
// is down leaves the last list (or none) in place: a report is still
// right without its names.
func (n *Names) list(ctx context.Context, l *cachedList, fetch func(context.Context) (map[string]string, error)) map[string]string {
	now := n.now()
	n.mu.Lock()
	if l.names != nil && now.Sub(l.at) < NameTTL {
		d := l.names
		n.mu.Unlock()
		return d
	}
	old := l.names
	n.mu.Unlock()
	bctx, cancel := n.c.bounded(ctx)
	defer cancel()
	d, err := fetch(bctx)
	if err != nil {
		return old
	}
	n.mu.Lock()
	l.names, l.at = d, now
	n.mu.Unlock()
	return d
}
