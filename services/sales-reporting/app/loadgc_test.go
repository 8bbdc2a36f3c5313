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

// TestAfterTheLoadTheHeapGrowsAtMost40PercentUnlessTheEnvironmentSays:
// the collector's setting after the load is a percentage of the live heap
// (GOGC=40), which follows the heap as it grows, and never a memory limit
// fixed at start; GOGC or GOMEMLIMIT from the environment win.
func TestAfterTheLoadTheHeapGrowsAtMost40PercentUnlessTheEnvironmentSays(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	for _, c := range []struct {
		name, gogc, gomemlimit string
		want                   int
	}{
		{"no setting: 40", "", "", settledPercent},
		{"GOGC set: kept", "150", "", 100},
		{"GOMEMLIMIT set: kept", "", "3GiB", 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("GOGC", c.gogc)
			t.Setenv("GOMEMLIMIT", c.gomemlimit)
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			settleGC()
			if got := debug.SetGCPercent(100); got != c.want {
				t.Errorf("GOGC after the load: %d, want %d", got, c.want)
			}
			if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
				t.Errorf("memory limit after the load: %d, want none", got)
			}
		})
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
