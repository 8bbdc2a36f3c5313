package store

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/timekey"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
)

// FuzzIndexKey: an index key reads back as the instant and id it was made
// of, over the whole Timestamp range; under one owner, keys sort as
// (time, id) do; and one owner's keys never fall under another owner's
// prefix, so a studio's scan never meets a sibling's sessions (s1, s10).
// kit/timekey fuzzes the time key alone; this is the composition.
func FuzzIndexKey(f *testing.F) {
	f.Add(wrap.Unix(), int64(wrap.Nanosecond()), "a", wrap.Unix()+1, int64(0), "b", "members/h1", "members/h10")
	f.Add(timekey.Min.Unix(), int64(0), "s", timekey.Max.Unix(), int64(999999999), "s", "members/x/studios/s1", "members/x/studios/s10")
	f.Add(int64(0), int64(0), "zz", int64(0), int64(0), "z", "members/a", "members/a")
	f.Fuzz(func(t *testing.T, s1, n1 int64, id1 string, s2, n2 int64, id2, owner1, owner2 string) {
		if !validOwner(owner1) || !validOwner(owner2) {
			t.Skip()
		}
		a, b := clampTime(s1, n1), clampTime(s2, n2)
		p1, p2 := ownerPrefix(owner1), ownerPrefix(owner2)
		k1, k2 := indexKey(p1, a, id1), indexKey(p1, b, id2)
		for _, c := range []struct {
			k  []byte
			tm time.Time
			id string
		}{{k1, a, id1}, {k2, b, id2}} {
			gotT, gotID, err := parseIndexKey(p1, c.k)
			if err != nil || !gotT.Equal(c.tm) || gotID != c.id {
				t.Fatalf("round trip of (%s, %q): (%s, %q), %v", c.tm, c.id, gotT, gotID, err)
			}
		}
		want := a.Compare(b)
		if want == 0 {
			want = strings.Compare(id1, id2)
		}
		if got := bytes.Compare(k1, k2); got != want {
			t.Fatalf("keys of (%s, %q) and (%s, %q) compare %d, want %d", a, id1, b, id2, got, want)
		}
		if owner1 != owner2 && bytes.HasPrefix(indexKey(p2, b, id2), p1) {
			t.Fatalf("a key of %q lies under the prefix of %q", owner2, owner1)
		}
	})
}

// validOwner is what reaches an owner index: a host or a studio name.
func validOwner(name string) bool {
	_, _, studio := scheduling.ParseStudioName(name)
	return studio || scheduling.ValidMemberName(name)
}

// clampTime maps any pair of integers into the Timestamp range.
func clampTime(sec, nsec int64) time.Time {
	lo, hi := timekey.Min.Unix(), timekey.Max.Unix()
	sec = lo + int64(uint64(sec)%uint64(hi-lo+1))
	return time.Unix(sec, int64(uint64(nsec)%1e9)).UTC()
}
