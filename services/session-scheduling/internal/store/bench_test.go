package store

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	bolt "go.etcd.io/bbolt"
)

// BenchmarkMigrateFromSchemaOne times the schema 1 -> 2 migration of a
// year of the alliance: 184,000 sessions, half of them ENDED, in 100
// studios. The migration rebuilds every index and counter from the
// records whatever their old keys, so a file marked schema 1 costs it the
// same as one written by the schema-1 store.
func BenchmarkMigrateFromSchemaOne(b *testing.B) {
	const n = 184_000
	path := filepath.Join(b.TempDir(), "session.db")
	st, err := Open(path, boltdb.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for from := 0; from < n; from += 20_000 {
		err := st.Update(func(tx scheduling.Tx) error {
			for i := from; i < min(from+20_000, n); i++ {
				s := &scheduling.Session{ID: fmt.Sprintf("s%06d", i), Title: "巴南银针", Host: fmt.Sprintf("members/h%d", i%500),
					Studio: fmt.Sprintf("members/base/studios/s%d", i%100), Platform: 2,
					Start: start.Add(time.Duration(i/100) * 3 * time.Hour), State: scheduling.StateScheduled}
				s.End = s.Start.Add(2 * time.Hour)
				if i%2 == 0 {
					s.State, s.ActualStart, s.ActualEnd = scheduling.StateEnded, s.Start, s.End
				}
				if err := tx.PutSession(s); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	_ = st.Close()
	markSchemaOne := func() {
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, 1))
		}); err != nil {
			b.Fatal(err)
		}
		_ = db.Close()
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		markSchemaOne()
		b.StartTimer()
		st, err := Open(path, boltdb.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "sessions/s")
}
