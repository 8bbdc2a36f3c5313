// Package store keeps the member registry in one bbolt file, member.db:
// the buckets (schema.go), the registry's Tx over a bbolt transaction
// (tx.go), the records and their conversion to the domain (codec.go) and
// the migrations from older files (migrate.go). Nothing of bbolt leaves
// this package.
package store

import (
	"io"

	"github.com/cqlive/alliance/services/kit/boltdb"
	"github.com/cqlive/alliance/services/member-registry/internal/registry"
	bolt "go.etcd.io/bbolt"
)

// Store implements registry.Repo on bbolt. Writes share commits through
// kit/boltdb's Committer.
type Store struct {
	s *boltdb.Store[registry.Tx]
}

var _ registry.Repo = (*Store)(nil)

// Open opens (or creates) the file, migrating one of an older schema.
func Open(path string, o boltdb.Options) (*Store, error) {
	st, err := boltdb.OpenStore(path, Schema, o, func(tx *bolt.Tx) registry.Tx { return txn{tx} })
	if err != nil {
		return nil, err
	}
	return &Store{st}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.s.Close() }

// View runs fn in a read transaction.
func (s *Store) View(fn func(registry.Tx) error) error { return s.s.View(fn) }

// Update runs fn in a write transaction (shared with concurrent writers);
// it returns once the transaction is durable, or with fn's error.
func (s *Store) Update(fn func(registry.Tx) error) error { return s.s.Update(fn) }

// Secret returns the named random secret of this file (made on first
// use), such as the key of the page tokens, which then survive a restart.
func (s *Store) Secret(name string) ([]byte, error) { return boltdb.Secret(s.s.DB, name) }

// WriteSnapshot writes a consistent copy of member.db to w while writers
// go on (one read transaction), for Maintenance/Backup.
func (s *Store) WriteSnapshot(w io.Writer) (boltdb.Snapshot, error) { return s.s.WriteSnapshot(w) }
