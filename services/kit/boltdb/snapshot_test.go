package boltdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestSnapshotUnderWritesIsOneTransaction takes snapshots while writers
// commit: each copy opens, passes tx.Check, holds every write acknowledged
// before it began, and is one transaction's view (the counter equals the
// number of keys its writes added, and the counts it reports are the
// copy's).
func TestSnapshotUnderWritesIsOneTransaction(t *testing.T) {
	dir := t.TempDir()
	schema := Schema{Version: 3, Buckets: [][]byte{[]byte("items"), []byte("count")}}
	st, err := OpenStore(filepath.Join(dir, "live.db"), schema, Options{}, func(tx *bolt.Tx) *bolt.Tx { return tx })
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var acked atomic.Int64 // the highest item whose write returned
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := next.Add(1)
				err := st.Update(func(tx *bolt.Tx) error {
					c := tx.Bucket([]byte("count"))
					total := uint64(0)
					if v := c.Get([]byte("n")); v != nil {
						total = binary.BigEndian.Uint64(v)
					}
					if err := tx.Bucket([]byte("items")).Put(binary.BigEndian.AppendUint64(nil, uint64(n)), bytes.Repeat([]byte{1}, 100)); err != nil {
						return err
					}
					return c.Put([]byte("n"), binary.BigEndian.AppendUint64(nil, total+1))
				})
				if err != nil {
					t.Error(err)
					return
				}
				for {
					a := acked.Load()
					if a >= n || acked.CompareAndSwap(a, n) {
						break
					}
				}
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()

	for i := range 5 {
		time.Sleep(20 * time.Millisecond)
		before := acked.Load()
		path := filepath.Join(dir, "copy.db")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := st.WriteSnapshot(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(path)
		if snap.Size != fi.Size() || snap.SchemaVersion != 3 || snap.TxID == 0 {
			t.Fatalf("snapshot %d: %+v, file of %d bytes", i, snap, fi.Size())
		}
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		err = db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				t.Errorf("snapshot %d: %v", i, err)
			}
			counts, version, err := Count(tx)
			if err != nil {
				return err
			}
			for name, n := range snap.Keys {
				if counts[name] != n {
					t.Errorf("snapshot %d: bucket %s has %d keys, the snapshot said %d", i, name, counts[name], n)
				}
			}
			if version != 3 || len(counts) != len(snap.Keys) {
				t.Errorf("snapshot %d: copy's version %d, buckets %v; snapshot said %+v", i, version, counts, snap)
			}
			items := tx.Bucket([]byte("items"))
			// On a busy machine the first snapshot can come before any write
			// has committed: no counter yet is a count of 0.
			var total uint64
			if v := tx.Bucket([]byte("count")).Get([]byte("n")); v != nil {
				total = binary.BigEndian.Uint64(v)
			}
			if int64(total) != counts["items"] {
				t.Errorf("snapshot %d: counter %d, %d items: not one transaction's view", i, total, counts["items"])
			}
			if before > 0 && items.Get(binary.BigEndian.AppendUint64(nil, uint64(before))) == nil {
				t.Errorf("snapshot %d: item %d was acknowledged before it began and is missing", i, before)
			}
			return nil
		})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestSnapshotStopsAtAFailingWriter: a reader that goes away ends the
// snapshot with its error, and the file serves on.
func TestSnapshotStopsAtAFailingWriter(t *testing.T) {
	db := openFresh(t, "a")
	gone := errors.New("the client went away")
	// bbolt names the page it was writing and keeps only the cause's words.
	if _, err := WriteSnapshot(db, failingWriter{gone}); err == nil || !strings.Contains(err.Error(), gone.Error()) {
		t.Fatalf("snapshot into a failing writer: %v", err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("a")).Put([]byte("k"), []byte("v")) }); err != nil {
		t.Fatalf("a write after the failed snapshot: %v", err)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }
