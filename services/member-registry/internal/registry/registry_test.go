package registry

import (
	"testing"
)

func TestDefaultDistrictsAreChongqingsThirtyEight(t *testing.T) {
	d := DefaultDistricts()
	if n := len(d.All()); n != 38 {
		t.Fatalf("%d districts, want 38 (26 districts, 8 counties, 4 autonomous counties)", n)
	}
}

func TestTheDefaultCategoriesAreAValidList(t *testing.T) {
	if _, err := NewCategories(goods); err != nil {
		t.Fatal(err)
	}
}

func TestDistrictListIsChecked(t *testing.T) {
	cases := map[string][]District{
		"an empty list":         {},
		"a code listed twice":   {{"a", "甲"}, {"a", "乙"}},
		"an upper-case code":    {{"Yuzhong", "渝中区"}},
		"an empty display name": {{"yuzhong", ""}},
	}
	for name, list := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := NewDistricts(list); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestResolveMask(t *testing.T) {
	updatable := []string{"display_name", "contact", "contact.phone"}
	set := func(p string) bool { return p == "display_name" }
	cases := []struct {
		name string
		mask []string
		want []string
		fail bool
	}{
		{"an empty mask takes the set top-level fields", nil, []string{"display_name"}, false},
		{"a star replaces every top-level updatable field", []string{"*"}, []string{"display_name", "contact"}, false},
		{"a sub-field path is kept", []string{"contact.phone"}, []string{"contact.phone"}, false},
		{"an output-only path is ignored", []string{"etag", "display_name"}, []string{"display_name"}, false},
		{"an immutable path is refused", []string{"kind"}, nil, true},
		{"an unknown path is refused", []string{"nope"}, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := resolveMask(c.mask, updatable, []string{"etag"}, []string{"kind"}, "member", set)
			if (err != nil) != c.fail {
				t.Fatalf("err = %v", err)
			}
			if !c.fail && len(got) != len(c.want) {
				t.Fatalf("paths = %v, want %v", got, c.want)
			}
			for i := range c.want {
				if !c.fail && got[i] != c.want[i] {
					t.Fatalf("paths = %v, want %v", got, c.want)
				}
			}
		})
	}
}
