package app

import (
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
	"github.com/cqlive/alliance/services/sales-reporting/internal/store"
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
		{"no setting: 40, or the floor of a small heap", "", "", -1},
		{"GOGC set: kept", "150", "", 100},
		{"GOMEMLIMIT set: kept", "", "3GiB", 100},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("GOGC", c.gogc)
			t.Setenv("GOMEMLIMIT", c.gomemlimit)
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			settleGC()
			got := debug.SetGCPercent(100)
			if c.want == -1 {
				// The live heap of this test process is small.
				if lo, hi := settledPercentFor(1<<40), settledPercentFor(1); got < lo || got > hi {
					t.Errorf("GOGC after the load: %d, want between %d and %d", got, lo, hi)
				}
			} else if got != c.want {
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

// TestTheCollectorLetsASmallHeapGrowByAFloorAndALargeOneBy40Percent: the
// settled GOGC is 40 once 40% of the live heap is more than minHeadroom;
// below, the heap may grow by minHeadroom (at most 10 times over).
func TestTheCollectorLetsASmallHeapGrowByAFloorAndALargeOneBy40Percent(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, settledPercent},
		{1 << 30, settledPercent},
		{minHeadroom * 100 / settledPercent, settledPercent},
		{minHeadroom, 100},
		{minHeadroom / 4, 400},
		{1 << 20, 1000},
	} {
		if got := settledPercentFor(c.live); got != c.want {
			t.Errorf("live heap %d bytes: GOGC %d, want %d", c.live, got, c.want)
		}
	}
}

// TestTheSettledCollectorFollowsTheLiveHeapUntilSomeoneElseSetsIt: after
// a collection the percentage is set again from the live heap; a GOGC
// set by someone else stops that.
func TestTheSettledCollectorFollowsTheLiveHeapUntilSomeoneElseSetsIt(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	settleGC()
	gcState.mu.Lock()
	gcState.followed = 999 // as if it had set 999 after the last collection
	gcState.mu.Unlock()
	debug.SetGCPercent(999)
	waitFor(t, func() bool {
		runtime.GC()
		gcState.mu.Lock()
		defer gcState.mu.Unlock()
		return gcState.followed != 999
	})
	// Someone else sets 123.
	if got := debug.SetGCPercent(123); got < settledPercent || got == 999 {
		t.Errorf("GOGC after a collection: %d, want the live heap's", got)
	}
	for range 3 {
		runtime.GC()
	}
	waitFor(t, func() bool {
		gcState.mu.Lock()
		defer gcState.mu.Unlock()
		return !gcState.following
	})
	if got := debug.SetGCPercent(100); got != 123 {
		t.Errorf("GOGC set by someone else: %d after collections, want 123 kept", got)
	}
}

func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for range 200 {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("timed out")
}

// A start from the engine's image settles the collector on the heap that
// the image made live, as the full load does, not on the few MB that were
// live when the store opened: settled on those, GOGC stayed near its
// ceiling and the year's heap grew to twice what is live (1.1 GB resident
// after the reports, against 0.7).
func TestAStartFromTheImageSettlesTheCollectorOnTheHeapItRead(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sales.db")
	st, err := store.Open(path, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	big := report.New(loc)
	day := report.DayOf(time.Date(2020, 6, 1, 0, 0, 0, 0, loc), loc)
	batch := make([]report.Delta, 0, 1000)
	for i := range 80_000 {
		batch = append(batch, report.Delta{
			Session: fmt.Sprintf("sessions/s%d", i), Product: fmt.Sprintf("members/m%d/products/p%d", i%300, i),
			Attr: report.Attribution{Host: fmt.Sprintf("members/h%d", i%500), Merchant: fmt.Sprintf("members/m%d", i%300), Category: "tea", District: "yuzhong", OriginDistrict: "yuzhong", Platform: "douyin"},
			Day:  day + report.Day(i%300), EventTime: time.Date(2020, 6, 1, 12, 0, 0, 0, loc).AddDate(0, 0, i%300),
			Kind: report.Order, Quantity: 1, Amount: 100,
		})
		if len(batch) == cap(batch) {
			big.Apply(batch)
			batch = batch[:0]
		}
	}
	big.Compact()
	st.WriteImageOnClose(big.WriteImage, func(string, error) {})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	big = nil
	if st, err = store.Open(path, boltdb.Options{}); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	runtime.GC() // what is live before the read: the store, the test
	engine, err := imageEngine(st, loc)
	if err != nil {
		t.Fatal(err)
	}
	got := readMetric("/gc/gogc:percent")
	runtime.GC()
	want := uint64(settledPercentFor(liveHeap()))
	runtime.KeepAlive(engine)
	if got > want+want/4 {
		t.Errorf("GOGC after a start from the image: %d, want about %d (for the %d MB live with the engine)", got, want, liveHeap()>>20)
	}
}

// TestAnImportWidensTheCollectorsHeadroomUntilItEnds: while an import
// runs, the heap may grow by importHeadroom over what is live (not
// minHeadroom); overlapping imports share it, and the last one's end
// narrows it again. A GOGC set by someone else is left alone.
func TestAnImportWidensTheCollectorsHeadroomUntilItEnds(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	// Some 100 MB live, so that neither headroom is capped at 1,000%.
	ballast := make([][]byte, 100)
	for i := range ballast {
		ballast[i] = make([]byte, 1<<20)
	}
	runtime.GC()
	settleGC()
	gogc := func() int { return int(readMetric("/gc/gogc:percent")) }
	live := liveHeap()
	if got, want := gogc(), settledPercentFor(live); got != want {
		t.Fatalf("GOGC before the import: %d, want %d", got, want)
	}
	a := importGC()
	wide := gogc()
	if want := percentWith(liveHeap(), importHeadroom); wide != want || wide <= settledPercentFor(live) {
		t.Errorf("GOGC during an import: %d, want %d (more than %d)", wide, want, settledPercentFor(live))
	}
	b := importGC()
	a()
	a() // twice is once
	if got := gogc(); got != wide {
		t.Errorf("GOGC with one of two imports left: %d, want %d still", got, wide)
	}
	b()
	if got, want := gogc(), settledPercentFor(liveHeap()); got != want {
		t.Errorf("GOGC after the imports: %d, want %d again", got, want)
	}
	// Someone else's setting stays.
	debug.SetGCPercent(123)
	c := importGC()
	if got := gogc(); got != 123 {
		t.Errorf("GOGC set by someone else, during an import: %d, want 123 kept", got)
	}
	c()
	runtime.KeepAlive(ballast)
}
