package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	bolt "go.etcd.io/bbolt"
)

// BenchmarkMigrateFromSchemaTwo times the schema 2 -> 3 migration of a
// year of the alliance: 184,000 sessions, half of them ENDED, in 100
// studios, as JSON records of schema 2. The migration writes each record
// again as protobuf and rebuilds every index and counter from them.
func BenchmarkMigrateFromSchemaTwo(b *testing.B) {
	const n = 184_000
	path := filepath.Join(b.TempDir(), "session.db")
	st, err := Open(path, boltdb.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	_ = st.Close()
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	records := make([][]byte, n)
	for i := range n {
		s := jsonSession{ID: fmt.Sprintf("s%06d", i), Title: "巴南银针", Host: fmt.Sprintf("members/h%d", i%500),
			Studio: fmt.Sprintf("members/base/studios/s%d", i%100), Platform: 2,
			Start: start.Add(time.Duration(i/100) * 3 * time.Hour), State: 1, Revision: 1}
		s.End = s.Start.Add(2 * time.Hour)
		if i%2 == 0 {
			s.State, s.ActualStart, s.ActualEnd = 3, s.Start, s.End
		}
		if records[i], err = json.Marshal(s); err != nil {
			b.Fatal(err)
		}
	}
	// asSchemaTwo puts the JSON records back and marks the file schema 2,
	// as main's store left it.
	asSchemaTwo := func() {
		db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		err = db.Update(func(tx *bolt.Tx) error {
			sessions := tx.Bucket(bucketSessions)
			for i, raw := range records {
				if err := sessions.Put(fmt.Appendf(nil, "s%06d", i), raw); err != nil {
					return err
				}
			}
			return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), binary.BigEndian.AppendUint64(nil, 2))
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		b.StopTimer()
		asSchemaTwo()
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
