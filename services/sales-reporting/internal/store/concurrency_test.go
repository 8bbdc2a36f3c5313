package store

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// TestReadersSeeCommittedSalesWithTheirNames: while one writer commits
// sales of ever new sessions (new dictionary ids), readers read every sale
// committed so far by id and by key, and always find it whole, named by its
// session: a reader's transaction may see a commit before the dictionary
// learnt its names, and then reads them from the records.
func TestReadersSeeCommittedSalesWithTheirNames(t *testing.T) {
	st := open(t)
	var committed atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				n := committed.Load()
				if n == 0 {
					continue
				}
				err := st.View(func(tx ingest.ReadTx) error {
					for _, id := range []uint64{1, n / 2, n} {
						if id == 0 {
							continue
						}
						s, err := tx.SaleByID(id)
						if err != nil {
							return err
						}
						if s == nil || s.Session != fmt.Sprintf("sessions/c%d", (id-1)/3) {
							return fmt.Errorf("sale %d read back as %+v", id, s)
						}
						k, err := tx.SaleByKey("DOUYIN", s.ExternalID)
						if err != nil || k == nil || k.ID != id {
							return fmt.Errorf("sale %d by key: %+v %v", id, k, err)
						}
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range 60 {
		err := st.Update(func(tx ingest.Tx) error {
			ses := fmt.Sprintf("sessions/c%d", i)
			if err := records(tx, ses); err != nil {
				return err
			}
			for range 3 {
				id, err := tx.NextID()
				if err != nil {
					return err
				}
				if err := tx.PutSale(&ingest.Sale{ID: id, Session: ses, Product: "members/m/products/p", Kind: report.Order, Quantity: 1,
					Amount: 100, Currency: "CNY", Platform: "DOUYIN", ExternalID: fmt.Sprintf("c-%d", id), EventTime: base, CreateTime: base.Add(time.Duration(id))}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		committed.Store(uint64(3 * (i + 1)))
	}
	close(done)
	wg.Wait()
}
