package timekey

import (
	"bytes"
	"testing"
	"time"
)

var edges = []time.Time{
	Min,
	time.Date(1677, 9, 21, 0, 12, 43, 145224191, time.UTC), // just below UnixNano's range
	time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
	time.Unix(0, 0).UTC(),
	time.Date(2020, 11, 11, 12, 0, 0, 1, time.UTC),
	time.Date(2262, 4, 11, 23, 47, 16, 854775807, time.UTC), // UnixNano's last instant
	time.Date(2262, 4, 11, 23, 47, 16, 854775808, time.UTC), // where UnixNano wraps
	time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	Max,
}

func TestKeyRoundTripAndOrder(t *testing.T) {
	for i, tm := range edges {
		got, err := ParseKey(Key(tm))
		if err != nil || !got.Equal(tm) {
			t.Errorf("key round trip of %s: got %s, %v", tm, got, err)
		}
		if i > 0 && bytes.Compare(Key(edges[i-1]), Key(tm)) >= 0 {
			t.Errorf("key of %s does not sort after key of %s", tm, edges[i-1])
		}
	}
}

func TestVarintRoundTrip(t *testing.T) {
	for _, tm := range append(edges, time.Time{}) {
		b := AppendVarint([]byte{0xAA}, tm)
		got, rest, err := ReadVarint(b[1:])
		if err != nil || !got.Equal(tm) || len(rest) != 0 {
			t.Errorf("varint round trip of %s: got %s, rest %d, %v", tm, got, len(rest), err)
		}
	}
	if _, _, err := ReadVarint(nil); err == nil {
		t.Error("ReadVarint(nil) is not an error")
	}
}

func TestCheck(t *testing.T) {
	if !Check(Min) || !Check(Max) || Check(Min.Add(-time.Nanosecond)) || Check(Max.Add(time.Nanosecond)) {
		t.Error("Check does not bound [Min, Max] exactly")
	}
}

// FuzzRoundTrip: every instant of the range survives both forms exactly,
// and keys sort as the instants do.
func FuzzRoundTrip(f *testing.F) {
	for _, tm := range edges {
		f.Add(tm.Unix(), int64(tm.Nanosecond()), tm.Unix()-1, int64(0))
	}
	f.Fuzz(func(t *testing.T, s1, n1, s2, n2 int64) {
		a, b := clamp(s1, n1), clamp(s2, n2)
		for _, tm := range []time.Time{a, b} {
			if got, err := ParseKey(Key(tm)); err != nil || !got.Equal(tm) {
				t.Fatalf("key round trip of %s: got %s, %v", tm, got, err)
			}
			got, rest, err := ReadVarint(AppendVarint(nil, tm))
			if err != nil || !got.Equal(tm) || len(rest) != 0 {
				t.Fatalf("varint round trip of %s: got %s, %v", tm, got, err)
			}
		}
		if c := bytes.Compare(Key(a), Key(b)); c != a.Compare(b) {
			t.Fatalf("keys of %s and %s compare %d, the times %d", a, b, c, a.Compare(b))
		}
	})
}

// clamp maps any pair of integers into [Min, Max].
func clamp(sec, nsec int64) time.Time {
	lo, hi := Min.Unix(), Max.Unix()
	span := uint64(hi - lo + 1)
	sec = lo + int64(uint64(sec)%span)
	nsec = int64(uint64(nsec) % 1000000000)
	return time.Unix(sec, nsec).UTC()
}
