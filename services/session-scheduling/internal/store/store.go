// Package store keeps the session scheduler in one bbolt file, session.db.
// Its records are the protobuf messages of alliance.session.store.v1
// (proto/alliance/session/store/v1/records.proto); beside them it keeps
// start-time indexes (all sessions, per studio, per host, per agency, the
// sessions a sweep may have to move), an index of actual end times and
// per-hour counters, all written in the transaction that writes the
// session. Only this package sees bbolt: store.go opens the file and is
// the domain's Repo, schema.go lists the buckets, tx.go is the domain's Tx
// over a bbolt transaction, codec.go turns records into domain values and
// back, index.go says how a session is indexed, count.go answers counts,
// migrate.go moves older files on.
package store

import (
	"io"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/session-scheduling/internal/scheduling"
	bolt "go.etcd.io/bbolt"
)

// Store implements scheduling.Repo on bbolt. The bbolt file stays inside:
// app asks the store for what it needs of it (Secret).
type Store struct {
	s *boltdb.Store[scheduling.Tx]
}

// Open opens (or creates) the file, migrating an older one.
func Open(path string, o boltdb.Options) (*Store, error) {
	st, err := boltdb.OpenStore(path, Schema, o, func(tx *bolt.Tx) scheduling.Tx { return txn{tx} })
	if err != nil {
		return nil, err
	}
	return &Store{s: st}, nil
}

// View runs fn in a read transaction.
func (st *Store) View(fn func(scheduling.Tx) error) error { return st.s.View(fn) }

// Update runs fn in a write transaction that concurrent writers share
// (kit/boltdb's Committer): fn may run more than once, and nothing it
// wrote is kept when it fails.
func (st *Store) Update(fn func(scheduling.Tx) error) error { return st.s.Update(fn) }

// WriteSnapshot writes a consistent copy of session.db to w while writers
// go on (the Backup RPC of kit/backup).
func (st *Store) WriteSnapshot(w io.Writer) (boltdb.Snapshot, error) { return st.s.WriteSnapshot(w) }

// Close closes the file.
func (st *Store) Close() error { return st.s.Close() }

// Secret is the named random secret of this file (the page-token key),
// made on first use.
func (st *Store) Secret(name string) ([]byte, error) { return boltdb.Secret(st.s.DB, name) }
