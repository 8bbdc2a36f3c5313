package upstream

import (
	"context"
	"maps"
	"sync"
	"time"

	memberv1 "github.com/cqlive/alliance/gen/pb/alliance/member/v1"
)

// NameTTL is how long display names are kept: a renamed member shows its
// new name in reports within a minute.
const NameTTL = time.Minute

// refreshAfter is the age from which a name still served is fetched again
// in the background, so that a report in steady use never waits for the
// registry: names fetched on the report's path (5–13 ms for the 500 hosts
// of a TOTAL × HOST page, against its 2 ms p50) were the slowest call of
// their report a minute.
const refreshAfter = NameTTL / 2

// Names gives the display names of report keys, cached for NameTTL.
type Names struct {
	c   *Client
	now func() time.Time

	mu         sync.Mutex
	members    map[string]cachedName
	districts  cachedList
	categories cachedList
	// refreshing is set while a background fetch of member names runs:
	// one at a time; names it did not take are taken by a later report.
	refreshing bool
}

// cachedList is one of the registry's code lists (districts, categories)
// as code -> display name, with when it was fetched.
type cachedList struct {
	names      map[string]string
	at         time.Time
	refreshing bool
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
	var fetch, stale []string
	n.mu.Lock()
	for _, x := range names {
		if c, ok := n.members[x]; ok && now.Sub(c.at) < NameTTL {
			if c.known {
				out[x] = c.name
			}
			if now.Sub(c.at) >= refreshAfter {
				stale = append(stale, x)
			}
		} else if x != "" {
			fetch = append(fetch, x)
		}
	}
	if len(stale) > 0 && !n.refreshing {
		n.refreshing = true
		go func() {
			n.fetchMembers(context.WithoutCancel(ctx), stale, now)
			n.mu.Lock()
			n.refreshing = false
			n.mu.Unlock()
		}()
	}
	n.mu.Unlock()
	if len(fetch) > 0 {
		maps.Copy(out, n.fetchMembers(ctx, fetch, now))
	}
	return out
}

// fetchMembers asks the registry for names and caches the answer as of
// now; a registry that is down leaves the cache as it was.
func (n *Names) fetchMembers(ctx context.Context, names []string, now time.Time) map[string]string {
	got, err := n.c.members(ctx, names)
	if err != nil {
		return nil
	}
	out := make(map[string]string, len(got))
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, x := range names {
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

// list returns l, fetched again when older than NameTTL, and in the
// background once older than refreshAfter. A registry that is down
// leaves the last list (or none) in place: a report is still right
// without its names.
func (n *Names) list(ctx context.Context, l *cachedList, fetch func(context.Context) (map[string]string, error)) map[string]string {
	now := n.now()
	n.mu.Lock()
	if l.names != nil && now.Sub(l.at) < NameTTL {
		d := l.names
		if now.Sub(l.at) >= refreshAfter && !l.refreshing {
			l.refreshing = true
			go func() {
				n.fetchList(context.WithoutCancel(ctx), l, fetch, now)
				n.mu.Lock()
				l.refreshing = false
				n.mu.Unlock()
			}()
		}
		n.mu.Unlock()
		return d
	}
	old := l.names
	n.mu.Unlock()
	if d := n.fetchList(ctx, l, fetch, now); d != nil {
		return d
	}
	return old
}

// fetchList fetches l and caches it as of now; nil when the registry failed.
func (n *Names) fetchList(ctx context.Context, l *cachedList, fetch func(context.Context) (map[string]string, error), now time.Time) map[string]string {
	bctx, cancel := n.c.bounded(ctx)
	defer cancel()
	d, err := fetch(bctx)
	if err != nil {
		return nil
	}
	n.mu.Lock()
	l.names, l.at = d, now
	n.mu.Unlock()
	return d
}
