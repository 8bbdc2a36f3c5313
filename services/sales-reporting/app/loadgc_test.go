package app

import (
	"math"
	"runtime/debug"
	"sync"
	"testing"
)

func TestTheLoadHoldsTheCollectorBackAndRestoresItAfter(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(77))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	for _, limit := range []int64{1 << 40, 1 << 20} { // above the load's bound, and a GOMEMLIMIT below it
		debug.SetMemoryLimit(limit)
		restore := loadGC(loadGCLimit(1000))
		if got := debug.SetGCPercent(-1); got != -1 {
			t.Errorf("GOGC during the load: %d, want off (-1)", got)
		}
		if got := debug.SetMemoryLimit(-1); got != min(limit, loadGCLimit(1000)) {
			t.Errorf("memory limit during the load: %d, want %d", got, min(limit, loadGCLimit(1000)))
		}
		restore()
		if got := debug.SetGCPercent(77); got != 77 {
			t.Errorf("GOGC after the load: %d, want 77 again", got)
		}
		if got := debug.SetMemoryLimit(-1); got != limit {
			t.Errorf("memory limit after the load: %d, want %d again", got, limit)
		}
	}
}

func TestAfterTheLoadTheHeapIsBoundedUnlessGOMEMLIMITSaysOtherwise(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	for _, c := range []struct {
		live uint64
		want int64
	}{
		{1 << 20, 768 << 20},       // a small store: the floor
		{600 << 20, 960 << 20},     // the replay's year: 1.6 times its heap
		{4 << 30, 4 << 30 * 8 / 5}, // four times the year
	} {
		if got := settledLimit(c.live); got != c.want {
			t.Errorf("live %d: limit %d, want %d", c.live, got, c.want)
		}
	}
	t.Setenv("GOMEMLIMIT", "")
	debug.SetMemoryLimit(math.MaxInt64)
	settleGC()
	if got := debug.SetMemoryLimit(-1); got == math.MaxInt64 || got < 768<<20 {
		t.Errorf("without GOMEMLIMIT the limit after the load is %d, want at least 768 MiB", got)
	}
	t.Setenv("GOMEMLIMIT", "3GiB")
	debug.SetMemoryLimit(3 << 30)
	settleGC()
	if got := debug.SetMemoryLimit(-1); got != 3<<30 {
		t.Errorf("with GOMEMLIMIT=3GiB the limit after the load is %d", got)
	}
}

func TestOverlappingLoadsRestoreTheCollectorOnlyWhenTheLastEnds(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(90))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(5 << 30))
	a := loadGC(loadGCLimit(10))
	b := loadGC(loadGCLimit(10)) // begins while a runs, ends after it
	a()
	a() // a second call changes nothing
	if got := debug.SetGCPercent(-1); got != -1 {
		t.Errorf("GOGC while the second load still runs: %d, want off", got)
	}
	b()
	if got := debug.SetGCPercent(90); got != 90 {
		t.Errorf("GOGC after both loads: %d, want 90 again", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 5<<30 {
		t.Errorf("memory limit after both loads: %d, want 5 GiB again", got)
	}

	var wg sync.WaitGroup // and under -race, from many goroutines
	for range 8 {
		wg.Go(func() { loadGC(loadGCLimit(10))() })
	}
	wg.Wait()
	if got := debug.SetGCPercent(90); got != 90 {
		t.Errorf("GOGC after concurrent loads: %d, want 90 again", got)
	}
}
