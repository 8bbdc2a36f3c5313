package store

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
)

// sized writes group's sales through UpdateLines, told n lines.
func sized(st *Store, name string, n int, fail error) error {
	return groupWith(func(fn func(ingest.Tx) error) error { return st.UpdateLines(n, fn) }, name, n, fail)
}

func TestASizedGroupOfAnImportsSizeCommitsSalesDBItself(t *testing.T) {
	checkALargeGroupCommitsSalesDBBetweenLoggedOnes(t, "sized", func(st *Store) error { return sized(st, "g2", directSales, nil) })
}

func TestASmallSizedGroupIsLogged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sales.db")
	st := openAt(t, path, FlushEvery(time.Hour))
	if err := sized(st, "g1", 5, nil); err != nil {
		t.Fatal(err)
	}
	crash(t, st)
	st = openAt(t, path)
	if n, sales := st.Replayed(); n != 1 || sales != 5 {
		t.Fatalf("replayed %d entries of %d sales, want the small group's one entry of 5", n, sales)
	}
	if got, want := state(t, st), reference(t, 5); got != want {
		t.Fatalf("after the replay:\n%s\nwant:\n%s", got, want)
	}
}

func TestASizedGroupSeesTheLoggedGroupsBeforeIt(t *testing.T) {
	st := openAt(t, filepath.Join(t.TempDir(), "sales.db"), FlushEvery(time.Hour))
	mustGroup(t, st, "g1", 3)
	// The logged group waits in the open transaction: the sized group,
	// run in it, finds its sale by its key, and the file takes both.
	err := st.UpdateLines(directSales, func(tx ingest.Tx) error {
		s, err := tx.SaleByKey("DOUYIN", "g1-1")
		if err != nil || s == nil {
			return fmt.Errorf("g1-1 before the sized group: %v %v", s, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sized(st, "g2", directSales, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := state(t, st), reference(t, 3, directSales); got != want {
		t.Fatalf("state:\n%s\nwant:\n%s", got, want)
	}
}

func TestAFailedSizedGroupLeavesTheAnsweredOnes(t *testing.T) {
	checkAFailedGroupLeavesTheAnsweredOnes(t, "sized group", func(st *Store, boom error) error { return sized(st, "bad", directSales, boom) })
}

// The indexer catches up in a pause of ingestion; a group commit that
// runs longer than its tick is no pause.
func TestACommitThatRunsIsIngestionToTheIndexer(t *testing.T) {
	st := openAt(t, filepath.Join(t.TempDir(), "sales.db"), FlushEvery(time.Hour))
	mustGroup(t, st, "g1", 3)
	const tick = time.Millisecond
	in, out := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- st.UpdateLines(directSales, func(ingest.Tx) error { close(in); <-out; return nil })
	}()
	<-in
	time.Sleep(20 * tick)
	busy := st.ingesting(tick)
	close(out)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !busy {
		t.Fatal("a commit running for 20 ticks counted as a pause of ingestion")
	}
	time.Sleep(20 * tick)
	if st.ingesting(tick) {
		t.Fatal("20 ticks after the last commit, ingestion still counts as running")
	}
}

// Sized groups in a row: each packs its blocks while it is judged, the
// second continuing the block the first left open.
func TestSizedGroupsInARowHoldWhatGroupsOneByOneDo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sales.db")
	st := openAt(t, path, FlushEvery(time.Hour))
	for i, n := range []int{2500, directSales + 1, 3000} {
		if err := sized(st, fmt.Sprintf("g%d", i+1), n, nil); err != nil {
			t.Fatal(err)
		}
	}
	crash(t, st)
	if got, want := state(t, openAt(t, path)), reference(t, 2500, directSales+1, 3000); got != want {
		t.Fatalf("after three sized groups:\n%s\nwant:\n%s", got, want)
	}
}
