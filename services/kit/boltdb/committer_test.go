package boltdb

import (
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestCommitterChecksAndWritesAtomically runs many concurrent
// read-check-write increments of one counter, some of which fail their
// check: every successful one must count once, every failed one not at all.
func TestCommitterChecksAndWritesAtomically(t *testing.T) {
	db := openFresh(t, "b")
	c := NewCommitter(db, 16)
	errOdd := errors.New("odd writers are refused")
	const writers = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := c.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte("b"))
				n := uint64(0)
				if v := b.Get([]byte("n")); v != nil {
					n = binary.BigEndian.Uint64(v)
				}
				// Write first, fail after: the failure must undo the write.
				if err := b.Put([]byte("n"), binary.BigEndian.AppendUint64(nil, n+1)); err != nil {
					return err
				}
				if i%2 == 1 {
					return errOdd
				}
				return nil
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, errOdd):
				refused++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != writers/2 || refused != writers/2 {
		t.Fatalf("%d succeeded and %d were refused; want %d each", ok, refused, writers/2)
	}
	var n uint64
	_ = db.View(func(tx *bolt.Tx) error {
		n = binary.BigEndian.Uint64(tx.Bucket([]byte("b")).Get([]byte("n")))
		return nil
	})
	if n != writers/2 {
		t.Fatalf("counter = %d, want %d: a refused write leaked or a good one was lost", n, writers/2)
	}
}

func BenchmarkCommitterParallel(b *testing.B) {
	db := openFresh(b, "b")
	c := NewCommitter(db, 0)
	var seq uint64
	var mu sync.Mutex
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			seq++
			k := binary.BigEndian.AppendUint64(nil, seq)
			mu.Unlock()
			if err := c.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Put(k, []byte("x")) }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
}

// TestCommitObserverSeesEveryCommitOnce: the observer is told of each
// commit with the writes that share it, so the writes it is told of add up
// to the writes that were committed; a refused write is in none.
func TestCommitObserverSeesEveryCommitOnce(t *testing.T) {
	db := openFresh(t, "b")
	c := NewCommitter(db, 16)
	var mu sync.Mutex
	observed, commits := 0, 0
	c.Observe = func(writes int, took time.Duration, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil || writes < 1 || writes > 16 || took <= 0 {
			t.Errorf("observed a commit of %d writes in %s: %v", writes, took, err)
		}
		observed += writes
		commits++
	}
	refuse := errors.New("refused")
	const writers = 300
	var wg sync.WaitGroup
	var ok atomic.Int64
	for i := range writers {
		wg.Go(func() {
			err := c.Update(func(tx *bolt.Tx) error {
				if i%5 == 0 {
					return refuse
				}
				return tx.Bucket([]byte("b")).Put(binary.BigEndian.AppendUint64(nil, uint64(i)), nil)
			})
			if err == nil {
				ok.Add(1)
			} else if !errors.Is(err, refuse) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if observed != int(ok.Load()) || ok.Load() != writers*4/5 {
		t.Fatalf("observer counted %d writes in %d commits; %d were committed", observed, commits, ok.Load())
	}
}
