package app

import (
	"runtime/debug"
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
