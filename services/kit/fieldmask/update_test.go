package fieldmask_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/fault"
	"github.com/cqlive/alliance/services/kit/fieldmask"
)

type contact struct{ Phone, Email string }

type shop struct {
	Name    string
	Open    bool
	Tags    []string
	Since   time.Time
	Contact contact
	Kind    int
}

var shopUpdate = fieldmask.Update[shop]{
	Resource: "shop",
	Fields: []fieldmask.Field[shop]{
		fieldmask.Value("name", func(s *shop) *string { return &s.Name }),
		fieldmask.Value("open", func(s *shop) *bool { return &s.Open }),
		fieldmask.List("tags", func(s *shop) *[]string { return &s.Tags }),
		fieldmask.Time("since", func(s *shop) *time.Time { return &s.Since }),
		fieldmask.Value("contact", func(s *shop) *contact { return &s.Contact }),
		fieldmask.Value("contact.email", func(s *shop) *string { return &s.Contact.Email }),
	},
	OutputOnly: []string{"etag"},
	Immutable:  []fieldmask.Field[shop]{fieldmask.Value("kind", func(s *shop) *int { return &s.Kind })},
}

func TestUpdateResolvesAndAppliesByItsFields(t *testing.T) {
	since := time.Date(2030, 1, 7, 10, 0, 0, 0, time.UTC)
	old := shop{Name: "老店", Open: true, Tags: []string{"茶"}, Since: since, Contact: contact{Phone: "1", Email: "a@x"}, Kind: 1}
	for _, c := range []struct {
		name   string
		patch  shop
		mask   []string
		paths  []string
		want   shop
		reason fault.Reason // zero: no error
	}{
		{name: "an empty mask takes the top-level fields the patch sets, in the fields' order",
			patch: shop{Tags: []string{"米"}, Name: "新店"}, paths: []string{"name", "tags"},
			want: shop{Name: "新店", Open: true, Tags: []string{"米"}, Since: since, Contact: old.Contact, Kind: 1}},
		{name: "an empty mask takes a set time and a set struct",
			patch: shop{Since: since.Add(time.Hour), Contact: contact{Phone: "2"}}, paths: []string{"since", "contact"},
			want: shop{Name: "老店", Open: true, Tags: old.Tags, Since: since.Add(time.Hour), Contact: contact{Phone: "2"}, Kind: 1}},
		{name: "a star replaces every top-level field, clearing what the patch leaves zero",
			patch: shop{Name: "新店"}, mask: []string{"*"}, paths: []string{"name", "open", "tags", "since", "contact"},
			want: shop{Name: "新店", Kind: 1}},
		{name: "a sub-field path changes that part alone",
			patch: shop{Contact: contact{Email: "b@x"}}, mask: []string{"contact.email"}, paths: []string{"contact.email"},
			want: shop{Name: "老店", Open: true, Tags: old.Tags, Since: since, Contact: contact{Phone: "1", Email: "b@x"}, Kind: 1}},
		{name: "a named path clears a field the patch leaves zero",
			patch: shop{}, mask: []string{"open", "etag"}, paths: []string{"open"},
			want: shop{Name: "老店", Tags: old.Tags, Since: since, Contact: old.Contact, Kind: 1}},
		{name: "an immutable path with another value is refused, and nothing of the patch applied",
			patch: shop{Name: "新店", Kind: 2}, mask: []string{"name", "kind"}, paths: []string{"name", "kind"}, reason: fault.ReasonImmutableField},
		{name: "an immutable path with the stored value passes (the resource sent back as read, AIP-203)",
			patch: shop{Name: "新店", Kind: 1}, mask: []string{"kind", "name", "etag"}, paths: []string{"name", "kind"},
			want: shop{Name: "新店", Open: true, Tags: old.Tags, Since: since, Contact: old.Contact, Kind: 1}},
		{name: "a mask of an immutable path alone changes nothing else, though the patch sets more",
			patch: shop{Name: "新店", Kind: 1}, mask: []string{"kind"}, paths: []string{"kind"}, want: old},
		{name: "an unknown path is refused", patch: shop{}, mask: []string{"owner"}, reason: fault.ReasonInvalidArgument},
	} {
		t.Run(c.name, func(t *testing.T) {
			paths, err := shopUpdate.Resolve(c.mask, &c.patch)
			if c.reason != (fault.Reason{}) && c.paths == nil {
				if fe, ok := fault.As(err); !ok || fe.Reason != c.reason {
					t.Fatalf("%v, want %s", err, c.reason)
				}
				return
			}
			if err != nil || !slices.Equal(paths, c.paths) {
				t.Fatalf("paths %v, %v; want %v", paths, err, c.paths)
			}
			got := old
			got.Tags = slices.Clone(old.Tags)
			err = shopUpdate.Apply(&got, &c.patch, paths)
			if c.reason != (fault.Reason{}) {
				if fe, ok := fault.As(err); !ok || fe.Reason != c.reason || fe.Metadata["field"] != "kind" {
					t.Fatalf("applied: %v, want %s on kind", err, c.reason)
				}
				if !reflect.DeepEqual(got, old) {
					t.Fatalf("a refused patch changed %+v into %+v", old, got)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("applied (%v):\n got %+v\nwant %+v", err, got, c.want)
			}
		})
	}
}

func TestUpdateMaskListsTheFieldsInOrder(t *testing.T) {
	m := shopUpdate.Mask()
	if want := []string{"name", "open", "tags", "since", "contact", "contact.email"}; !slices.Equal(m.Updatable, want) {
		t.Fatalf("updatable %v, want %v", m.Updatable, want)
	}
	if m.Resource != "shop" || !slices.Equal(m.OutputOnly, []string{"etag"}) || !slices.Equal(m.Immutable, []string{"kind"}) {
		t.Fatalf("mask %+v", m)
	}
}

func TestChangedNamesThePathsWhoseValueMoved(t *testing.T) {
	before := shop{Name: "老店", Open: true, Tags: []string{"茶"}, Kind: 1}
	after := before
	after.Open = false
	changed := shopUpdate.Changed(&before, &after, []string{"name", "open", "tags"})
	for path, want := range map[string]bool{
		"name":  false, // named, same value
		"open":  true,  // named, moved
		"tags":  true,  // a list has no Same: named is changed
		"since": false, // not named
		"owner": false, // not a field
	} {
		if got := changed(path); got != want {
			t.Errorf("changed(%q) = %v, want %v", path, got, want)
		}
	}
}
