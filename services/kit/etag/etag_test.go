package etag_test

import (
	"testing"

	"github.com/cqlive/alliance/services/kit/etag"
	"github.com/cqlive/alliance/services/kit/fault"
)

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name     string
		given    string
		revision uint64
		refused  bool
	}{
		{"no etag: the write applies to whatever is current", "", 7, false},
		{"the current etag passes", etag.Of(7), 7, false},
		{"an older etag is refused", etag.Of(6), 7, true},
		{"a newer one (from another resource) is refused", etag.Of(8), 7, true},
		{"a made-up etag is refused", "W/\"7\"", 7, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := etag.Check(c.given, c.revision, "members/a")
			if !c.refused {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			fe, ok := fault.As(err)
			if !ok || fe.Code != fault.Aborted || fe.Reason != fault.ReasonETagMismatch {
				t.Fatalf("%v, want ABORTED ETAG_MISMATCH", err)
			}
		})
	}
}

func TestAnEtagNamesOneRevision(t *testing.T) {
	seen := map[string]uint64{}
	for _, r := range []uint64{0, 1, 35, 36, 1 << 40, ^uint64(0)} {
		e := etag.Of(r)
		if prev, dup := seen[e]; dup {
			t.Fatalf("revisions %d and %d share etag %q", prev, r, e)
		}
		seen[e] = r
	}
}
