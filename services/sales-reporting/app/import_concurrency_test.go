package app_test

import (
	"sync"
	"testing"
	"time"

	salesv1 "github.com/cqlive/alliance/gen/pb/alliance/sales/v1"
)

// Two streams import overlapping lines at once, each in full chunks (the
// groups that commit sales.db directly), the overlap sent twice within a
// stream too: every distinct line is one sale, counted once, and each
// stream's answer accounts for every line it sent.
func TestTwoStreamsImportingOverlappingLinesStoreEachLineOnce(t *testing.T) {
	e := newEnv(t)
	const distinct, overlap = 12000, 6000
	lines := make([]*salesv1.Sale, distinct)
	var gross int64
	for i := range lines {
		amount := int64(100 + i%50)
		lines[i] = order(sEnded, e.a.Tea, ext("both", i), 1, amount, t0.Add(time.Duration(i%10000)*time.Second))
		gross += amount
	}
	// Stream a: lines [0, 9000) and then [0, 1000) again; stream b: lines
	// [3000, 12000). Lines [3000, 9000) are in both.
	a := append(append([]*salesv1.Sale{}, lines[:distinct-3000]...), lines[:1000]...)
	b := lines[3000:]
	var wg sync.WaitGroup
	resps := make([]*salesv1.ImportSalesResponse, 2)
	errs := make([]error, 2)
	for i, part := range [][]*salesv1.Sale{a, b} {
		wg.Go(func() { resps[i], errs[i] = e.importSales(part) })
	}
	wg.Wait()
	var accepted, dups int64
	for i, r := range resps {
		if errs[i] != nil {
			t.Fatalf("stream %d: %v", i, errs[i])
		}
		if r.GetRejected() != 0 || r.GetAccepted()+r.GetDuplicates() != int64(len([][]*salesv1.Sale{a, b}[i])) {
			t.Fatalf("stream %d: accepted %d, duplicates %d, rejected %d of %d lines: %v", i, r.GetAccepted(), r.GetDuplicates(), r.GetRejected(), len([][]*salesv1.Sale{a, b}[i]), r.GetErrors())
		}
		accepted += r.GetAccepted()
		dups += r.GetDuplicates()
	}
	if accepted != distinct || dups != overlap+1000 {
		t.Fatalf("accepted %d and duplicates %d in all, want %d and %d", accepted, dups, distinct, overlap+1000)
	}
	if m := e.total("2026-03-10", "2026-03-12"); m.GetOrders() != distinct || m.GetGross().GetMinorUnits() != gross {
		t.Fatalf("totals %v, want %d orders, gross %d", m, distinct, gross)
	}
	if got := len(e.allSales(sEnded)); got != distinct {
		t.Fatalf("%d sales stored, want %d", got, distinct)
	}
	// After a restart the store still says so: the groups were committed.
	e.restart()
	if m := e.total("2026-03-10", "2026-03-12"); m.GetOrders() != distinct || m.GetGross().GetMinorUnits() != gross {
		t.Fatalf("after a restart: totals %v, want %d orders, gross %d", m, distinct, gross)
	}
}
