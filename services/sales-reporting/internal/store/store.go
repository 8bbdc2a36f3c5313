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
	"sync/atomic"
	"time"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/sales-reporting/internal/ingest"
	bolt "go.etcd.io/bbolt"
)

// Store is sales.db.
type Store struct {
	db   *bolt.DB
	dict *dict
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
	return &Store{db: db, dict: d}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// Secret returns the named random secret of the file (e.g. the page-token
// key), making it on first use.
func (s *Store) Secret(name string) ([]byte, error) { return boltdb.Secret(s.db, name) }

// Update implements ingest.Repo: fn's writes and the records they make
// commit in one bbolt transaction (with fsync), or none of them do.
func (s *Store) Update(fn func(ingest.Tx) error) error {
	var pending *pendingNames
	err := s.db.Update(func(btx *bolt.Tx) error {
		t := s.newTx(btx)
		if err := fn(t); err != nil {
			return err
		}
		pending = &t.pending
		return t.flush()
	})
	if err == nil && pending != nil {
		s.dict.commit(pending)
	}
	s.lastWrite.Store(time.Now().UnixNano())
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
