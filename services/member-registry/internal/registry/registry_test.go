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
