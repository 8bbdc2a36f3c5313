package boltdb

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// BenchmarkCommit is the floor under every durable write: one bbolt
// transaction with one small put, committed with fsync. Its ns/op is the
// cost of one commit; 1e9/ns is the commits (fsyncs) per second of the
// disk under the data folder. Set BENCH_DIR to measure another disk.
func BenchmarkCommit(b *testing.B) {
	dir := os.Getenv("BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else {
		var err error
		if dir, err = os.MkdirTemp(dir, "commit-bench"); err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
	}
	db, err := Open(filepath.Join(dir, "bench.db"), Schema{Version: 1, Buckets: [][]byte{[]byte("b")}}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("b")).Put(binary.BigEndian.AppendUint64(nil, uint64(i)), []byte("x"))
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
}
