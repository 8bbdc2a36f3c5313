package boltdb

import (
	"encoding/binary"
	"io"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Snapshot describes a consistent copy of a file, as the transaction that
// wrote it saw the file.
type Snapshot struct {
	// Size is the number of bytes written.
	Size int64
	// TxID is bbolt's id of the read transaction.
	TxID int
	// Began is when that transaction began.
	Began time.Time
	// SchemaVersion is the version recorded in the file's meta bucket
	// (0 when none is).
	SchemaVersion int
	// Keys counts the keys of each top-level bucket, nested buckets'
	// keys included.
	Keys map[string]int64
}

// WriteSnapshot writes a consistent copy of db to w, in one read
// transaction (bbolt's Tx.WriteTo), while writers go on committing: the
// copy holds every transaction committed before it began and none after.
// The counts come from the same transaction.
//
// A write that has to grow the file's memory map waits for every open
// read transaction, this one included, to end: a slow reader of w holds
// such a write back, which a growing file meets rarely (bbolt grows the
// map in large steps).
func WriteSnapshot(db *bolt.DB, w io.Writer) (Snapshot, error) {
	var s Snapshot
	err := db.View(func(tx *bolt.Tx) error {
		s = Snapshot{TxID: tx.ID(), Began: time.Now(), Keys: map[string]int64{}}
		counts, version, err := Count(tx)
		if err != nil {
			return err
		}
		s.Keys, s.SchemaVersion = counts, version
		s.Size, err = tx.WriteTo(w)
		return err
	})
	return s, err
}

// Count returns the number of keys in each top-level bucket of tx and the
// schema version recorded in its meta bucket (0 when none is): what a
// backup's manifest records, and what checking a copy compares with it.
func Count(tx *bolt.Tx) (map[string]int64, int, error) {
	keys := map[string]int64{}
	err := tx.ForEach(func(name []byte, b *bolt.Bucket) error {
		keys[string(name)] = int64(b.Stats().KeyN)
		return nil
	})
	version := 0
	if m := tx.Bucket(metaBucket); m != nil {
		if v := m.Get(schemaKey); len(v) == 8 {
			version = int(binary.BigEndian.Uint64(v))
		}
	}
	return keys, version, err
}

// WriteSnapshot writes a consistent copy of the store's file to w; see the
// function of that name.
func (s *Store[T]) WriteSnapshot(w io.Writer) (Snapshot, error) { return WriteSnapshot(s.DB, w) }
