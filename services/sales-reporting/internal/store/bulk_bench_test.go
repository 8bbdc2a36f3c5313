package store

import (
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	"github.com/cqlive/alliance/services/sales-reporting/internal/report"
)

// cpuTime is the CPU this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBulkGroup writes an import's commit through UpdateLines per
// iteration: 40,000 new sales of the replay's shape (sessions of some 60
// lines on their platforms, three products each, a refund in ten), with
// their keys, cells and blocks, into a growing store, fsynced. Beside
// ns/line it reports cpu-ns/line, the CPU the process used: on a shared
// machine it moves less than the time.
//
//	go test -run '^$' -bench BulkGroup -count 6 ./internal/store/
func BenchmarkBulkGroup(b *testing.B) {
	const lines = 40000
	st, err := Open(filepath.Join(b.TempDir(), "sales.db"), boltdb.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2020, 3, 1, 8, 0, 0, 0, time.UTC)
	session := 0
	type line struct {
		session *ingest.Session
		product *ingest.Product // nil: the session's products are put already
		sale    *ingest.Sale
	}
	var cpu, elapsed time.Duration
	for i := range b.N {
		var group []line
		var ses *ingest.Session
		var products []*ingest.Product
		for l := range lines {
			if l%60 == 0 {
				session++
				ses = &ingest.Session{Name: fmt.Sprintf("sessions/s2020-%06d", session), State: ingest.Ended, Platform: "DOUYIN"}
				products = products[:0]
				for p := range 3 {
					products = append(products, &ingest.Product{Name: fmt.Sprintf("members/m%d/products/p%d", session%100, p), Merchant: fmt.Sprintf("members/m%d", session%100)})
				}
			}
			platform := []string{"DOUYIN", "KUAISHOU", "TAOBAO"}[session%3]
			s := &ingest.Sale{Session: ses.Name, Product: products[l%3].Name,
				Kind: report.Order, Quantity: 1, Amount: int64(1250 + l%7), Currency: "CNY", Platform: platform,
				ExternalID: fmt.Sprintf("s2020-%06d-o%d", session, l%60), EventTime: at.Add(time.Duration(i*lines+l) * time.Second), CreateTime: at}
			if l%10 == 9 {
				s.Kind, s.RefundOf, s.ExternalID = report.Refund, s.ExternalID, fmt.Sprintf("s2020-%06d-r%d", session, l%60)
			}
			ln := line{session: ses, sale: s}
			if l%60 < 3 {
				ln.product = products[l%60]
			}
			group = append(group, ln)
		}
		began, start := cpuTime(), time.Now()
		err := st.UpdateLines(lines, func(tx ingest.Tx) error {
			for _, ln := range group {
				if ln.product != nil {
					if err := tx.PutSession(ln.session); err != nil {
						return err
					}
					if err := tx.PutProduct(ln.product); err != nil {
						return err
					}
				}
				s := ln.sale
				id, err := tx.NextID()
				if err != nil {
					return err
				}
				s.ID = id
				if err := tx.PutSale(s); err != nil {
					return err
				}
				d := report.Delta{Session: s.Session, Product: s.Product, Day: report.DayOf(s.EventTime, time.UTC), EventTime: s.EventTime,
					Kind: s.Kind, Quantity: s.Quantity, Amount: s.Amount}
				if err := tx.AddToCell(d, report.Attribution{}); err != nil {
					return err
				}
			}
			return nil
		})
		cpu, elapsed = cpu+cpuTime()-began, elapsed+time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(b.N*lines), "ns/line")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*lines), "cpu-ns/line")
}
