package registry

import (
	"slices"
	"strconv"
	"testing"
)

func TestAPageHoldsLimitEntriesAndNamesTheNextOnlyWhenThereIsOne(t *testing.T) {
	even := func(n int) bool { return n%2 == 0 }
	for _, c := range []struct {
		name     string
		scan     []int
		limit    int
		keep     func(int) bool
		want     []int
		wantNext string
	}{
		{"fewer than a page: no next", []int{1, 2}, 3, nil, []int{1, 2}, ""},
		{"exactly a page: no next", []int{1, 2, 3}, 3, nil, []int{1, 2, 3}, ""},
		{"one more than a page: the next starts after the last", []int{1, 2, 3, 4}, 3, nil, []int{1, 2, 3}, "3"},
		{"entries it does not keep do not count", []int{1, 2, 3, 4, 5}, 2, even, []int{2, 4}, ""},
		{"one more that it keeps ends the page", []int{2, 3, 4, 5, 6}, 2, even, []int{2, 4}, "4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			pg := page[int]{limit: c.limit, keep: c.keep, cursor: strconv.Itoa}
			for _, v := range c.scan {
				if !pg.add(v) {
					break
				}
			}
			if !slices.Equal(pg.out, c.want) || pg.next != c.wantNext {
				t.Fatalf("page = %v next %q, want %v next %q", pg.out, pg.next, c.want, c.wantNext)
			}
		})
	}
}
