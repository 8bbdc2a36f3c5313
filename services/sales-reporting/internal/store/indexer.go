package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/cqlive/alliance/services/kit/timekey"
	bolt "go.etcd.io/bbolt"
)

// IndexSales extends the listing indexes (by time, by session) over at
// most max sales committed since the last run, in one transaction, and
// reports whether they now cover every sale. Ingestion does not write these
// indexes: in large batches they cost a fraction of what they cost one
// sale at a time, and a crash between the two only leaves work for the
// next run, since the position is saved with the entries.
func (s *Store) IndexSales(max int) (done bool, err error) {
	err = s.writeDirect(func(btx *bolt.Tx) error {
		state := btx.Bucket(bucketListing)
		var through uint64
		if v := state.Get(throughKey); v != nil {
			through = binary.BigEndian.Uint64(v)
		}
		var timeKeys, sessionKeys [][]byte
		c := btx.Bucket(bucketSaleBlocks).Cursor()
		k, v := c.Seek(u64(through + 1))
		if k == nil || binary.BigEndian.Uint64(k) != through+1 {
			if pk, pv := c.Prev(); pk != nil {
				k, v = pk, pv
			} else {
				k, v = c.First()
			}
		}
		done = true
	blocks:
		for ; k != nil; k, v = c.Next() {
			b, err := unpackBlock(v)
			if err != nil {
				return fmt.Errorf("sale block %d: %w", binary.BigEndian.Uint64(k), err)
			}
			for i, r := range b.GetSales() {
				id := b.GetFirstId() + uint64(i)
				if id <= through {
					continue
				}
				if len(timeKeys) >= max {
					done = false
					break blocks
				}
				at := timekey.AppendKey(make([]byte, 0, cursorSize), time.Unix(b.GetBaseSeconds()+r.GetEventSeconds(), int64(r.GetEventNanos())))
				at = binary.BigEndian.AppendUint64(at, id)
				timeKeys = append(timeKeys, at)
				sessionKeys = append(sessionKeys, append(u32(r.GetSession()), at...))
				through = id
			}
		}
		if len(timeKeys) == 0 {
			return nil
		}
		// In key order: see tx.flush.
		for _, idx := range []struct {
			b    *bolt.Bucket
			keys [][]byte
		}{{btx.Bucket(bucketByTime), timeKeys}, {btx.Bucket(bucketBySession), sessionKeys}} {
			slices.SortFunc(idx.keys, bytes.Compare)
			x := newKeyIndex(idx.b)
			for _, key := range idx.keys {
				if err := x.Put(key, 0); err != nil {
					return err
				}
			}
			if err := x.flush(); err != nil {
				return err
			}
		}
		return state.Put(throughKey, u64(through))
	})
	return done, err
}

// indexed reports whether the listing indexes cover every committed sale.
func (s *Store) indexed() (bool, error) {
	if err := s.Flush(); err != nil {
		return false, err
	}
	lag, err := s.lag()
	return lag == 0, err
}

// lag is the number of committed sales the listing indexes do not cover.
func (s *Store) lag() (uint64, error) {
	var lag uint64
	err := s.db.View(func(btx *bolt.Tx) error {
		var through uint64
		if v := btx.Bucket(bucketListing).Get(throughKey); v != nil {
			through = binary.BigEndian.Uint64(v)
		}
		if seq := btx.Bucket(bucketSaleBlocks).Sequence(); seq > through {
			lag = seq - through
		}
		return nil
	})
	return lag, err
}

// maxLag is how far the listing indexes may fall behind a busy ingestion
// before the indexer runs anyway.
const maxLag = 2_000_000

// indexBatch bounds one indexing transaction.
const indexBatch = 200000

// SyncIndexes implements ingest.Repo: it brings the listing indexes up to
// every committed sale.
func (s *Store) SyncIndexes() error {
	// The indexes are made from sales.db: indexed has it take the log.
	if ok, err := s.indexed(); ok || err != nil {
		return err
	}
	for {
		done, err := s.IndexSales(indexBatch)
		if done || err != nil {
			return err
		}
	}
}

// ingesting reports whether a group commit runs or waits, or one ended
// less than pause ago. A commit that runs longer than the indexer's tick (a
// large group on a busy machine) is ingestion too: the indexer would take
// sales.db between two of an import's groups.
func (s *Store) ingesting(pause time.Duration) bool {
	return s.writing.Load() > 0 || time.Since(time.Unix(0, s.lastWrite.Load())) < pause
}

// RunIndexer keeps the listing indexes close behind ingestion until stop
// is closed: it catches up once no write committed for a tick, or when
// they fall maxLag sales behind. During a bulk import it thus indexes
// millions of sales at a time, which costs a fraction of indexing every
// commit's, and leaves the import the CPU; a listing never waits for it
// (it syncs first, see ingest.Repo).
func (s *Store) RunIndexer(stop <-chan struct{}, every time.Duration, log func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if s.ingesting(every) {
				if lag, err := s.lag(); err != nil || lag < maxLag {
					continue
				}
			}
			if err := s.SyncIndexes(); err != nil {
				log(err)
			}
		}
	}
}
