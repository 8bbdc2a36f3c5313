package scheduling

import (
	"math/big"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/timekey"
)

// FuzzClash checks the clash rule against a naive interval check done in
// exact integer nanoseconds (math/big), for two sessions anywhere in the
// Timestamp range, with any changeover buffer: two intervals keep apart
// by gap exactly when one ends, plus gap, at or before the other starts.
func FuzzClash(f *testing.F) {
	wrap := time.Date(2262, 4, 11, 23, 47, 16, 854775807, time.UTC)
	seed := func(a, b time.Time, aLen, bLen, buffer time.Duration, flags uint8) {
		f.Add(a.Unix(), int64(a.Nanosecond()), int64(aLen), b.Unix(), int64(b.Nanosecond()), int64(bLen), int64(buffer), flags)
	}
	seed(wrap.Add(-30*time.Minute), wrap.Add(10*time.Minute), time.Hour, time.Hour, 15*time.Minute, 0b0001_0000)
	seed(wrap.Add(-time.Hour), wrap.Add(14*time.Minute), time.Hour-time.Nanosecond, time.Hour, 15*time.Minute, 0b0010_0000)
	seed(timekey.Min, timekey.Min, time.Hour, time.Hour, 0, 0b0011_0010)
	seed(timekey.Max.Add(-time.Hour), timekey.Max.Add(-time.Minute), time.Hour, time.Minute, 1<<62, 0b0011_1001)
	seed(timekey.Min, timekey.Max.Add(-time.Hour), 1<<63-1, time.Hour, 1<<63-1, 0b1111_0000)
	f.Fuzz(func(t *testing.T, aSec, aNsec, aLen, bSec, bNsec, bLen, buffer int64, flags uint8) {
		a := session("a", aSec, aNsec, aLen, flags)
		b := session("b", bSec, bNsec, bLen, flags>>2)
		if flags&(1<<4) != 0 {
			b.Studio = a.Studio
		}
		if flags&(1<<5) != 0 {
			b.Host = a.Host
		}
		if flags>>6 == 0b11 {
			b.ID = a.ID // an update meets its own stored version
		}
		gap := time.Duration(uint64(buffer) % (1 << 63)) // any non-negative buffer
		if got, want := Clash(a, b, gap), naiveClash(a, b, gap); got != want {
			t.Fatalf("Clash(%s..%s %s, %s..%s %s, buffer %s) = %v, want %v",
				a.Start, a.End, a.State, b.Start, b.End, b.State, gap, got, want)
		}
	})
}

// session is a session of the fuzzer's choosing: start anywhere in the
// Timestamp range, a length up to the largest Duration (cut at the end of
// the range), and its state from the two low bits of flags.
func session(id string, sec, nsec, length int64, flags uint8) *Session {
	lo, hi := timekey.Min.Unix(), timekey.Max.Unix()
	start := time.Unix(lo+int64(uint64(sec)%uint64(hi-lo+1)), int64(uint64(nsec)%1e9)).UTC()
	end := start.Add(time.Duration(uint64(length) % (1 << 63)))
	if end.After(timekey.Max) {
		end = timekey.Max
	}
	return &Session{ID: id, Start: start, End: end, State: StateScheduled + State(flags&0b11),
		Studio: "members/b/studios/" + id, Host: "members/" + id}
}

// naiveClash restates the rule from its parts: which states meet, that
// the studio is named first, and the interval check in big integers.
func naiveClash(s, other *Session, buffer time.Duration) Conflict {
	meets := other.State == StateScheduled || other.State == StateLive
	switch s.State {
	case StateEnded:
		meets = meets || other.State == StateEnded
	case StateCancelled:
		meets = false
	}
	if !meets || s.ID == other.ID {
		return NoConflict
	}
	if s.Studio == other.Studio && !apart(s, other, buffer) {
		return StudioConflict
	}
	if s.Host == other.Host && !apart(s, other, 0) {
		return HostConflict
	}
	return NoConflict
}

// apart: one session ends, plus gap, at or before the other starts.
func apart(a, b *Session, gap time.Duration) bool {
	g := big.NewInt(int64(gap))
	aEnd, bEnd := new(big.Int).Add(nanos(a.End), g), new(big.Int).Add(nanos(b.End), g)
	return aEnd.Cmp(nanos(b.Start)) <= 0 || bEnd.Cmp(nanos(a.Start)) <= 0
}

func nanos(t time.Time) *big.Int {
	n := new(big.Int).Mul(big.NewInt(t.Unix()), big.NewInt(1e9))
	return n.Add(n, big.NewInt(int64(t.Nanosecond())))
}
