package ingest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
)

// countingDir answers two sessions and two products from memory and
// counts the product lookups.
type countingDir struct {
	mu       sync.Mutex
	products map[string]int
}

var attrT0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func (d *countingDir) Sessions(_ context.Context, names []string) (map[string]SessionInfo, error) {
	out := map[string]SessionInfo{}
	for _, n := range names {
		switch n {
		case "sessions/a", "sessions/b":
			out[n] = SessionInfo{Name: n, State: Live, ActualStart: attrT0.Add(-time.Hour), Host: "members/h", Studio: "members/base/studios/s1",
				Platform: "DOUYIN", Merchants: []string{"members/farm"}, Products: []string{"members/farm/products/tea", "members/farm/products/honey"}}
		}
	}
	return out, nil
}

func (d *countingDir) Members(_ context.Context, names []string) (map[string]MemberInfo, error) {
	out := map[string]MemberInfo{}
	for _, n := range names {
		out[n] = MemberInfo{Name: n, District: "banan"}
	}
	return out, nil
}

func (d *countingDir) Product(_ context.Context, name string) (Product, bool, error) {
	d.mu.Lock()
	d.products[name]++
	d.mu.Unlock()
	switch name {
	case "members/farm/products/tea", "members/farm/products/honey":
		return Product{Name: name, Merchant: MerchantOf(name), Category: "tea"}, true, nil
	}
	return Product{}, false, nil
}

// emptyRepo stores nothing: every snapshot comes from the directory.
type emptyRepo struct{ Repo }

func (emptyRepo) View(fn func(ReadTx) error) error { return fn(emptyTx{}) }

type emptyTx struct{ ReadTx }

func (emptyTx) Session(string) (*Session, error) { return nil, nil }
func (emptyTx) Product(string) (*Product, error) { return nil, nil }

// attribute, which looks a chunk's sessions and products up once each,
// gives every line the session and product of its own names, refuses
// the lines of an unknown session or product as before, and leaves alone
// a line refused before; the directory is asked for each product found
// once (one not found is asked for again, as ever).
func TestAttributeGivesEachLineItsOwnSessionAndProduct(t *testing.T) {
	dir := &countingDir{products: map[string]int{}}
	r := newResolver(dir, emptyRepo{}, func() time.Time { return attrT0 }, 0)
	tea, honey := "members/farm/products/tea", "members/farm/products/honey"
	type want struct {
		session, product string       // "" for none
		reason           fault.Reason // the refusal's reason, zero for none
	}
	cases := []struct {
		session, product string
		before           error
		want             want
	}{
		{"sessions/a", tea, nil, want{"sessions/a", tea, fault.Reason{}}},
		{"sessions/a", honey, nil, want{"sessions/a", honey, fault.Reason{}}},
		{"sessions/b", tea, nil, want{"sessions/b", tea, fault.Reason{}}},
		{"sessions/a", tea, nil, want{"sessions/a", tea, fault.Reason{}}},
		{"sessions/x", tea, nil, want{"", "", ReasonSessionNotFound}},
		{"sessions/a", "members/farm/products/none", nil, want{"sessions/a", "", ReasonProductNotFound}},
		{"sessions/a", honey, fault.New(fault.InvalidArgument, ReasonExternalIDReused, "refused before"), want{"", "", ReasonExternalIDReused}},
		{"sessions/x", honey, nil, want{"", "", ReasonSessionNotFound}},
		{"sessions/b", honey, nil, want{"sessions/b", honey, fault.Reason{}}},
		{"sessions/b", "members/farm/products/none", nil, want{"sessions/b", "", ReasonProductNotFound}},
	}
	lines := make([]Line, len(cases))
	for i, c := range cases {
		lines[i] = Line{Sale: &Sale{Session: c.session, Product: c.product, Platform: "DOUYIN", ExternalID: "x", EventTime: attrT0.Add(-time.Minute)}, err: c.before}
	}
	if err := r.attribute(context.Background(), lines, attrT0, nil); err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		l := lines[i]
		var got want
		if l.session != nil {
			got.session = l.session.Name
		}
		if l.product != nil {
			got.product = l.product.Name
		}
		if l.err != nil {
			got.reason = fault.ReasonOf(l.err)
		}
		if got != c.want {
			t.Errorf("line %d (%s, %s): %+v, want %+v", i, c.session, c.product, got, c.want)
		}
	}
	for _, name := range []string{tea, honey} {
		if n := dir.products[name]; n != 1 {
			t.Errorf("product %s asked for %d times, want once", name, n)
		}
	}
}
