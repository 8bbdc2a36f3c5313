package report

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// reuseQueries are queries of every path that takes its slots from
// slotReuse: the totals, the pair totals, the walk (a filter), a
// comparison, and rankings and overviews, which release theirs too.
func reuseQueries() []Query {
	y := func(yr int) Day { return civil(yr, time.January, 1) }
	return []Query{
		{Start: y(2020), End: y(2022), Granularity: Daily, GroupBy: []Dimension{DimCategory}},
		{Start: y(2021), End: y(2022), Granularity: Monthly, GroupBy: []Dimension{DimMerchant}},
		{Start: y(2021), End: y(2022), Granularity: Total, GroupBy: []Dimension{DimMerchant, DimCategory}},
		{Start: y(2021), End: y(2022), Granularity: Monthly, GroupBy: []Dimension{DimHost, DimMerchant}},
		{Start: y(2021), End: y(2022), Granularity: Weekly, GroupBy: []Dimension{DimDistrict}, Compare: PreviousYear},
		{Start: y(2021), End: y(2022), Granularity: Yearly, GroupBy: []Dimension{DimPlatform}, Filter: Filter{Category: "tea"}},
		{Start: y(2020), End: y(2022), Granularity: Daily},
	}
}

// TestAnswersStayTheirOwnWhenTheirSlotsAreReused: queries, rankings and
// overviews asked at once from several goroutines, each taking the slots
// and sort keys that another call gave back, answer exactly what they
// answer one at a time (under -race: no two calls share a slice).
func TestAnswersStayTheirOwnWhenTheirSlotsAreReused(t *testing.T) {
	w := genWorld(t, 9, 3000)
	e := applyInBatches(w, rand.New(rand.NewPCG(9, 9)))
	qs := reuseQueries()
	start, end := civil(2020, time.January, 1), civil(2022, time.January, 1)
	ask := func(i int) (any, error) {
		switch i - len(qs) {
		case 0:
			top, _, err := e.Top(DimHost, MetricNet, Filter{}, start, end, 20)
			return top, err
		case 1:
			top, _, err := e.TopCompared(DimMerchant, MetricGross, Filter{}, civil(2021, time.January, 1), end, 20, PreviousYear)
			return top, err
		case 2:
			return e.Overview(start, end), nil
		}
		return e.Query(qs[i])
	}
	calls := len(qs) + 3
	want := make([]any, calls)
	for i := range want {
		var err error
		if want[i], err = ask(i); err != nil {
			t.Fatal(err)
		}
	}
	if rows := want[0].(Result).Rows; len(rows) < 100 {
		t.Fatalf("the first query has %d rows: too few to tell", len(rows))
	}
	var wg sync.WaitGroup
	fail := make(chan string, 4)
	for g := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for range 60 {
				i := rng.IntN(calls)
				got, err := ask(i)
				if err != nil || !reflect.DeepEqual(got, want[i]) {
					select {
					case fail <- fmt.Sprintf("call %d asked at once with others: %v, not its answer asked alone", i, err):
					default:
					}
					return
				}
			}
		})
	}
	wg.Wait()
	close(fail)
	for msg := range fail {
		t.Fatal(msg)
	}
}

// TestAReportTakesItsSlotsFromTheLastOne: a report asked again allocates
// less than half of what its slots take, besides its rows: the slots, the
// grid that finds them and their sort keys come back from the call before
// (without reuse, every call allocated them).
func TestAReportTakesItsSlotsFromTheLastOne(t *testing.T) {
	if raceOn {
		t.Skip("the race detector drops what sync.Pool is given")
	}
	w := genWorld(t, 10, 6000)
	e := applyInBatches(w, rand.New(rand.NewPCG(10, 10)))
	q := reuseQueries()[0]
	q.Granularity = Daily
	for _, limit := range []int{10, 200} {
		t.Run(fmt.Sprintf("page of %d", limit), func(t *testing.T) {
			_, count, err := e.QueryPage(q, 0, limit)
			if err != nil {
				t.Fatal(err)
			}
			slots := count * int(unsafe.Sizeof(slot{}))
			if count < 300 {
				t.Fatalf("%d rows: too few to tell", count)
			}
			// The collector empties the pools: it waits, as the claim is
			// about what a call takes, not when the collector runs.
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			const calls = 20
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range calls {
				if _, _, err := e.QueryPage(q, 0, limit); err != nil {
					t.Fatal(err)
				}
			}
			runtime.ReadMemStats(&after)
			perCall := int(after.TotalAlloc-before.TotalAlloc) / calls
			rows := min(limit, count) * int(unsafe.Sizeof(Row{}))
			if perCall > rows+slots/2 {
				t.Fatalf("a call allocated %d bytes: its %d rows take %d, its %d slots %d", perCall, min(limit, count), rows, count, slots)
			}
		})
	}
}
