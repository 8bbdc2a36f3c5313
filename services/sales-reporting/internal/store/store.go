// Package store keeps sales, their idempotency index, refunded totals,
// attribution snapshots and rollup cells in one bbolt file (sales.db).
// The records are the protobuf messages of alliance.sales.store.v1
// (proto/alliance/sales/store/v1/records.proto); schema.go lists every
// bucket. Each function that touches a bucket runs inside a transaction
// the caller owns, so the sales and the cells that count them always
// commit together. *bolt.DB does not leave this package.
//
//   - schema.go: the buckets and the schema version;
//   - tx.go: the domain's transaction (ingest.Tx) over bbolt;
//   - codec.go: records <-> domain values, and keys;
//   - salelog.go, keyindex.go, dict.go: the packed forms (blocks of sales,
//     blocks of front-coded keys, dictionaries of names);
//   - indexer.go: the listing indexes, kept off the ingestion path;
//   - load.go: what start-up reads (snapshots, cells);
//   - migrate.go, legacy.go: the steps from schemas 1 and 2.
package store

import (
	"io"
	"sync/atomic"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	bolt "go.etcd.io/bbolt"
)

// Store is sales.db.
type Store struct {
	db      *bolt.DB
	dict    *dict
	observe boltdb.CommitObserver // the commit metrics (o.Observe); nil: none
	// open is the last sale block, kept decoded between commits.
	open openBlock
	// lastWrite is when the last write transaction committed (UnixNano):
	// the indexer waits for a pause in ingestion.
	lastWrite atomic.Int64
}

// Open opens (creating, or migrating) the file.
func Open(path string, o boltdb.Options) (*Store, error) {
	db, err := boltdb.Open(path, Schema, o)
	if err != nil {
		return nil, err
	}
	var d *dict
	if err := db.View(func(btx *bolt.Tx) error {
		d, err = loadDict(btx)
		return err
	}); err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Store{db: db, dict: d, observe: o.Observe}, nil
}

// WriteSnapshot writes a consistent copy of the file to w while writes go
// on (alliance-admin backup).
func (s *Store) WriteSnapshot(w io.Writer) (boltdb.Snapshot, error) {
	return boltdb.WriteSnapshot(s.db, w)
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Secret returns the named random secret of the file (e.g. the page-token
// key), making it on first use.
func (s *Store) Secret(name string) ([]byte, error) { return boltdb.Secret(s.db, name) }

// Update implements ingest.Repo: fn's writes and the records they make
// commit in one bbolt transaction (with fsync), or none of them do. The
// ingestion's transactions are its group commits: each one is told to the
// observer with the sales it stored as its writes.
func (s *Store) Update(fn func(ingest.Tx) error) error {
	var t *tx
	start := time.Now()
	err := s.db.Update(func(btx *bolt.Tx) error {
		t = s.newTx(btx)
		if err := fn(t); err != nil {
			return err
		}
		return t.flush()
	})
	if err == nil && t != nil {
		s.dict.commit(&t.pending)
	}
	now := time.Now()
	s.lastWrite.Store(now.UnixNano())
	if s.observe != nil && t != nil && (err != nil || len(t.newSales) > 0) {
		s.observe(len(t.newSales), now.Sub(start), err)
	}
	return err
}

// View implements ingest.Repo.
func (s *Store) View(fn func(ingest.ReadTx) error) error {
	return s.db.View(func(btx *bolt.Tx) error { return fn(s.newTx(btx)) })
}

// Check runs bbolt's consistency check over the whole file.
func (s *Store) Check() error {
	return s.db.View(func(btx *bolt.Tx) error {
		for err := range btx.Check() {
			return err
		}
		return nil
	})
}

// Size is the size of the file in bytes.
func (s *Store) Size() (int64, error) {
	var n int64
	err := s.db.View(func(btx *bolt.Tx) error { n = btx.Size(); return nil })
	return n, err
}
