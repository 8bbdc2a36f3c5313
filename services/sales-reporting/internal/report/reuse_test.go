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
// overviews asked at once from several goroutines, each taking the slots,
// sort keys and rows that another call gave back (the rows by Recycle),
// answer exactly what they answer one at a time (under -race: no two
// calls share a slice).
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
		res, _, err := e.QueryPage(qs[i], 0, -1)
		return res, err
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
				if res, ok := got.(Result); ok {
					Recycle(res.Rows)
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
// less than half of what its slots take, and a page of 200 rows less than
// half of what its 190 more rows take over a page of 10: the slots, the
// grid that finds them, their sort keys and (Recycle) the rows come back
// from the call before (without reuse, every call allocated them).
func TestAReportTakesItsSlotsFromTheLastOne(t *testing.T) {
	if raceOn {
		t.Skip("the race detector drops what sync.Pool is given")
	}
	w := genWorld(t, 10, 6000)
	e := applyInBatches(w, rand.New(rand.NewPCG(10, 10)))
	q := reuseQueries()[0]
	perCall := func(limit int) (bytes, count int) {
		_, count, err := e.QueryPage(q, 0, limit)
		if err != nil {
			t.Fatal(err)
		}
		// The collector empties the pools: it waits, as the claim is
		// about what a call takes, not when the collector runs.
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		const calls = 20
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range calls {
			res, _, err := e.QueryPage(q, 0, limit)
			if err != nil {
				t.Fatal(err)
			}
			Recycle(res.Rows)
		}
		runtime.ReadMemStats(&after)
		return int(after.TotalAlloc-before.TotalAlloc) / calls, count
	}
	short, count := perCall(10)
	long, _ := perCall(200)
	if count < 300 {
		t.Fatalf("%d rows: too few to tell", count)
	}
	slots := count * int(unsafe.Sizeof(slot{}))
	rows := 190 * int(unsafe.Sizeof(Row{}))
	if short > slots/2 {
		t.Errorf("a page of 10 rows allocated %d bytes a call: its %d slots take %d", short, count, slots)
	}
	if long-short > rows/2 {
		t.Errorf("a page of 200 rows allocated %d bytes a call more than one of 10: 190 rows take %d", long-short, rows)
	}
}
